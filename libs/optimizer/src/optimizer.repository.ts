import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '@adloom/db';
import { GuardSettings, SegmentDecisions } from './guards';
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
  /** Discount half-life in hours (fatigue); null: stationary. Default DEFAULT_HALF_LIFE_HOURS. */
  halfLifeHours?: number | null;
  guards?: Partial<GuardSettings>;
  autoPause?: boolean;
  autoEvolve?: boolean;
}

interface Counters {
  impressions: number;
  starts: number;
  completes: number;
  clicks: number;
  conversions: number;
}

/** One approved variant in its segment: lifetime counts, and `discounted` ones weighted by age. */
export interface ArmRow extends Counters {
  variant_id: string;
  template_version_id: string;
  locale: string;
  slots: Record<string, number>;
  segment_key: string;
  discounted: Counters;
}

export type Snapshot = Record<
  string,
  { impressions: number; starts: number; completes: number; clicks: number; conversions: number }
>;

export interface HistoryRow {
  segment_key: string;
  weights: Record<string, number>;
  counts: Snapshot;
  computed_at: Date;
}

/** Approved variants with lifetime and discounted counts ($1 campaign, $2 half-life in hours or null). */
export const ARMS_SQL = `WITH newest AS (SELECT max(hour) AS hour FROM metric_rollup WHERE campaign_id = $1),
       counts AS (
         SELECT r.variant_id, r.segment_key,
                sum(r.impressions) AS impressions, sum(r.starts) AS starts, sum(r.completes) AS completes,
                sum(r.clicks) AS clicks, sum(r.conversions) AS conversions,
                ARRAY[sum(r.impressions * w), sum(r.starts * w), sum(r.completes * w), sum(r.clicks * w),
                      sum(r.conversions * w)] AS d
         FROM (
           -- float8 throughout: sum() of a bigint is numeric, several times slower.
           SELECT m.variant_id, m.segment_key, m.impressions::float8 AS impressions, m.starts::float8 AS starts,
                  m.completes::float8 AS completes, m.clicks::float8 AS clicks, m.conversions::float8 AS conversions,
                  CASE WHEN $2::float8 IS NULL THEN 1::float8
                            ELSE exp(-0.6931471805599453 * extract(epoch FROM newest.hour - m.hour)::float8 / (3600 * $2::float8))
                       END AS w
           FROM metric_rollup m, newest WHERE m.campaign_id = $1
         ) r
         GROUP BY r.variant_id, r.segment_key
       )
       SELECT v.id AS variant_id, v.template_version_id, v.locale, v.slots, s.key AS segment_key,
              coalesce(c.impressions, 0) AS impressions, coalesce(c.starts, 0) AS starts,
              coalesce(c.completes, 0) AS completes, coalesce(c.clicks, 0) AS clicks,
              coalesce(c.conversions, 0) AS conversions, coalesce(c.d, ARRAY[0, 0, 0, 0, 0]::float8[]) AS d
       FROM variant v
       JOIN segment s ON s.id = v.segment_id
       LEFT JOIN counts c ON c.variant_id = v.id AND c.segment_key = s.key
       WHERE v.campaign_id = $1 AND v.state = 'approved'
       ORDER BY s.key, v.created_at, v.id`;

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

  /**
   * Approved variants with their summed engagement in their segment, lifetime and discounted: each
   * hour weighs 0.5^(age / half-life), age counted from the campaign's newest rollup hour (null
   * half-life: weight 1). One index-backed aggregate.
   */
  async arms(campaignId: string, halfLifeHours: number | null): Promise<ArmRow[]> {
    const rows = await this.db.query<ArmRow & { d: number[] }>(ARMS_SQL, [campaignId, halfLifeHours]);
    return rows.map(({ d, ...row }) => ({
      ...row,
      discounted: { impressions: d[0], starts: d[1], completes: d[2], clicks: d[3], conversions: d[4] },
    }));
  }

  /** Each segment's latest `limit` allocation snapshots, oldest first: enough for the live arms' periods. */
  history(campaignId: string, limit = 200) {
    return this.db.query<HistoryRow>(
      `SELECT segment_key, weights, counts, computed_at FROM (
         SELECT h.*, row_number() OVER (PARTITION BY segment_key ORDER BY computed_at DESC, id DESC) AS newest
         FROM allocation_history h WHERE campaign_id = $1) h
       WHERE newest <= $2
       ORDER BY segment_key, computed_at, id`,
      [campaignId, limit],
    );
  }

  /** The previous run's decisions per segment (winner state and pauses carry over). */
  async previous(campaignId: string): Promise<Map<string, { decisions: SegmentDecisions }>> {
    const rows = await this.db.query<{ segment_key: string; decisions: Partial<SegmentDecisions> }>(
      `SELECT segment_key, decisions FROM allocation WHERE campaign_id = $1`,
      [campaignId],
    );
    return new Map(
      rows
        .filter((r) => r.decisions.winnerState !== undefined)
        .map((r) => [r.segment_key, { decisions: r.decisions as SegmentDecisions }]),
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
      decisions: SegmentDecisions;
      /** Also append to allocation_history. */
      history: boolean;
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
      `INSERT INTO allocation (campaign_id, segment_key, weights, p_best, frozen, reason, decisions, computed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (campaign_id, segment_key) DO UPDATE SET weights = EXCLUDED.weights, p_best = EXCLUDED.p_best,
         frozen = EXCLUDED.frozen, reason = EXCLUDED.reason, decisions = EXCLUDED.decisions,
         computed_at = EXCLUDED.computed_at`,
      [...params, JSON.stringify(allocation.decisions)],
      tx,
    );
    if (!allocation.history) return;
    await this.db.query(
      `INSERT INTO allocation_history (campaign_id, segment_key, weights, p_best, frozen, reason, srm_p, counts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [...params, allocation.srmP, JSON.stringify(allocation.counts)],
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
