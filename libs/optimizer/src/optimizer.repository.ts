import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '@adloom/db';
import { Objective } from './posteriors';

export interface CampaignForOptimizer {
  id: string;
  workspace_id: string;
  status: string;
  objective: Objective;
  optimizer: OptimizerSettings;
  winner: Record<string, { variantId: string; probabilityBest: number; at: string }> | null;
  evolved_from: string[];
}

/** Per-campaign settings (`campaign.optimizer`); every one optional. */
export interface OptimizerSettings {
  floor?: number;
  minImpressions?: number;
  winnerThreshold?: number;
  pauseThreshold?: number;
  autoPause?: boolean;
  autoEvolve?: boolean;
}

export interface ArmRow {
  variant_id: string;
  template_version_id: string;
  locale: string;
  slots: Record<string, number>;
  segment_key: string;
  impressions: number;
  starts: number;
  completes: number;
  clicks: number;
  conversions: number;
}

export type Snapshot = Record<
  string,
  { impressions: number; starts: number; completes: number; clicks: number; conversions: number }
>;

export interface HistoryRow {
  weights: Record<string, number>;
  counts: Snapshot;
  computed_at: Date;
}

@Injectable()
export class OptimizerRepository {
  constructor(private readonly db: Db) {}

  async liveCampaignIds(): Promise<string[]> {
    return (await this.db.query<{ id: string }>(`SELECT id FROM campaign WHERE status = 'live'`)).map(
      (r) => r.id,
    );
  }

  campaign(campaignId: string, workspaceId?: string) {
    return this.db.one<CampaignForOptimizer>(
      `SELECT id, workspace_id, status, objective, optimizer, winner, evolved_from FROM campaign
       WHERE id = $1 AND ($2::uuid IS NULL OR workspace_id = $2)`,
      [campaignId, workspaceId ?? null],
    );
  }

  /** Approved variants with their summed engagement in their segment, one index-backed aggregate. */
  arms(campaignId: string) {
    return this.db.query<ArmRow>(
      `SELECT v.id AS variant_id, v.template_version_id, v.locale, v.slots, s.key AS segment_key,
              coalesce(sum(r.impressions), 0)::float8 AS impressions, coalesce(sum(r.starts), 0)::float8 AS starts,
              coalesce(sum(r.completes), 0)::float8 AS completes, coalesce(sum(r.clicks), 0)::float8 AS clicks,
              coalesce(sum(r.conversions), 0)::float8 AS conversions
       FROM variant v
       JOIN segment s ON s.id = v.segment_id
       LEFT JOIN metric_rollup r ON r.campaign_id = v.campaign_id AND r.variant_id = v.id AND r.segment_key = s.key
       WHERE v.campaign_id = $1 AND v.state = 'approved'
       GROUP BY v.id, s.key
       ORDER BY s.key, v.created_at, v.id`,
      [campaignId],
    );
  }

  history(campaignId: string, segmentKey: string) {
    return this.db.query<HistoryRow>(
      `SELECT weights, counts, computed_at FROM allocation_history
       WHERE campaign_id = $1 AND segment_key = $2 ORDER BY computed_at, id`,
      [campaignId, segmentKey],
    );
  }

  async write(
    campaignId: string,
    segmentKey: string,
    allocation: {
      weights: Record<string, number>;
      pBest: Record<string, number>;
      frozen: boolean;
      reason: string | null;
      srmP: number | null;
      counts: Snapshot;
    },
    tx: Queryable,
  ): Promise<void> {
    const params = [
      campaignId,
      segmentKey,
      JSON.stringify(allocation.weights),
      JSON.stringify(allocation.pBest),
      allocation.frozen,
      allocation.reason,
    ];
    await this.db.query(
      `INSERT INTO allocation (campaign_id, segment_key, weights, p_best, frozen, reason, computed_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (campaign_id, segment_key) DO UPDATE SET weights = EXCLUDED.weights, p_best = EXCLUDED.p_best,
         frozen = EXCLUDED.frozen, reason = EXCLUDED.reason, computed_at = EXCLUDED.computed_at`,
      params,
      tx,
    );
    await this.db.query(
      `INSERT INTO allocation_history (campaign_id, segment_key, weights, p_best, frozen, reason, srm_p, counts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [...params, allocation.srmP, JSON.stringify(allocation.counts)],
      tx,
    );
  }

  async pause(variantIds: string[], tx: Queryable): Promise<void> {
    if (!variantIds.length) return;
    await this.db.query(
      `UPDATE variant SET state = 'paused', review_reason = 'paused by the optimiser: P(best) stayed below the threshold',
              updated_at = now()
       WHERE id = ANY($1::uuid[]) AND state = 'approved'`,
      [variantIds],
      tx,
    );
  }

  async flags(
    campaignId: string,
    flags: { srm: boolean; winner: CampaignForOptimizer['winner']; evolvedFrom: string[] },
    tx: Queryable,
  ): Promise<void> {
    await this.db.query(
      `UPDATE campaign SET srm_flag = $2, winner = $3, evolved_from = $4 WHERE id = $1`,
      [campaignId, flags.srm, flags.winner ? JSON.stringify(flags.winner) : null, flags.evolvedFrom],
      tx,
    );
  }
}
