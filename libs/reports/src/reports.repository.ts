import { Injectable } from '@nestjs/common';
import { Db } from '@adloom/db';
import { Objective, SegmentDecisions, armFamilyKey } from '@adloom/optimizer';
import { CellTotals, ReportVariant } from './report';
import { BucketCounts, METRIC_COLUMNS, TimeseriesBucket, TimeseriesMetric } from './timeseries';

export interface ReportCampaign {
  id: string;
  objective: Objective;
  srmFlag: boolean;
  winner: unknown;
}

/** A time window on rollup hours (or allocation times): `from` inclusive, `to` exclusive; null is open. */
export interface TimeWindow {
  from: Date | null;
  to: Date | null;
}

export interface AllocationRow {
  segment: string;
  weights: Record<string, number>;
  pBest: Record<string, number>;
  frozen: boolean;
  reason: string | null;
  srmP: number | null;
  computedAt: Date;
}

/**
 * Distinct segment keys of a campaign's allocation history by a loose index scan (one index probe per
 * key on allocation_history_segment), which stays cheap however many runs the history holds.
 */
const HISTORY_SEGMENTS = `
  WITH RECURSIVE segments AS (
    (SELECT segment_key FROM allocation_history WHERE campaign_id = $1 ORDER BY segment_key LIMIT 1)
    UNION ALL
    SELECT (SELECT h.segment_key FROM allocation_history h
            WHERE h.campaign_id = $1 AND h.segment_key > segments.segment_key
            ORDER BY h.segment_key LIMIT 1)
    FROM segments WHERE segments.segment_key IS NOT NULL
  )`;

/** Summed counters as float8, which node-postgres returns as numbers (exact below 2^53). */
const SUMS = `
  sum(impressions)::float8 AS impressions, sum(starts)::float8 AS starts,
  sum(q25)::float8 AS q25, sum(q50)::float8 AS q50, sum(q75)::float8 AS q75,
  sum(completes)::float8 AS completes, sum(clicks)::float8 AS clicks,
  sum(conversions)::float8 AS conversions, sum(conversion_value)::float8 AS "conversionValue"`;

interface VariantRow extends Omit<ReportVariant, 'poolKey'> {
  templateVersionId: string;
  locale: string;
  slots: Record<string, number>;
}

@Injectable()
export class ReportsRepository {
  constructor(private readonly db: Db) {}

  async campaign(workspaceId: string, campaignId: string): Promise<ReportCampaign | undefined> {
    return this.db.one<ReportCampaign>(
      `SELECT id, objective, srm_flag AS "srmFlag", winner FROM campaign WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, campaignId],
    );
  }

  /** The campaign's variants in creation order, with their pooling family and the clip each one uses. */
  async variants(workspaceId: string, campaignId: string): Promise<ReportVariant[]> {
    const rows = await this.db.query<VariantRow>(
      `SELECT v.id, s.key AS segment, v.template_version_id AS "templateVersionId", v.locale, v.slots,
              v.state, v.is_control AS "isControl", v.clip_id AS "clipId",
              coalesce(c.gpu_seconds, 0)::float8 AS "clipSeconds", coalesce(c.cost, 0)::float8 AS "clipCost",
              c.generator AS "clipProvider", c.model AS "clipModel"
       FROM variant v
       JOIN segment s ON s.id = v.segment_id
       LEFT JOIN clip c ON c.id = v.clip_id
       WHERE v.workspace_id = $1 AND v.campaign_id = $2
       ORDER BY v.created_at, v.id`,
      [workspaceId, campaignId],
    );
    return rows.map(({ templateVersionId, locale, slots, ...variant }) => ({
      ...variant,
      poolKey: armFamilyKey(templateVersionId, locale, slots),
    }));
  }

  /**
   * The report's one aggregate: every rollup of the campaign in the window, summed per variant and
   * segment. It reads the primary key's (campaign_id, variant_id, segment_key, hour) range for the
   * campaign, already in group order.
   */
  cells(campaignId: string, window: TimeWindow): Promise<CellTotals[]> {
    return this.db.query<CellTotals>(
      `SELECT variant_id AS "variantId", segment_key AS segment, ${SUMS}
       FROM metric_rollup
       WHERE campaign_id = $1
         AND hour >= coalesce($2::timestamptz, '-infinity') AND hour < coalesce($3::timestamptz, 'infinity')
       GROUP BY variant_id, segment_key`,
      [campaignId, window.from, window.to],
    );
  }

  /** Current weights: segment key → variant id → weight. */
  async currentWeights(campaignId: string): Promise<Record<string, Record<string, number>>> {
    const rows = await this.db.query<{ segment: string; weights: Record<string, number> }>(
      `SELECT segment_key AS segment, weights FROM allocation WHERE campaign_id = $1`,
      [campaignId],
    );
    return Object.fromEntries(rows.map((row) => [row.segment, row.weights]));
  }

  /** The optimiser's latest decisions per segment (segments it has not decided for since are absent). */
  async currentDecisions(campaignId: string): Promise<Record<string, SegmentDecisions>> {
    const rows = await this.db.query<{ segment: string; decisions: SegmentDecisions }>(
      `SELECT segment_key AS segment, decisions FROM allocation WHERE campaign_id = $1 AND decisions -> 'winnerState' IS NOT NULL`,
      [campaignId],
    );
    return Object.fromEntries(rows.map((row) => [row.segment, row.decisions]));
  }

  /** Each segment's latest sample-ratio p-value recorded before `before` (null: the latest of all). */
  async latestSampleRatio(campaignId: string, before: Date | null): Promise<Record<string, number>> {
    const rows = await this.db.query<{ segment: string; srmP: number }>(
      `${HISTORY_SEGMENTS}
       SELECT segments.segment_key AS segment, latest.srm_p AS "srmP"
       FROM segments
       CROSS JOIN LATERAL (
         SELECT h.srm_p FROM allocation_history h
         WHERE h.campaign_id = $1 AND h.segment_key = segments.segment_key AND h.srm_p IS NOT NULL
           AND h.computed_at < coalesce($2::timestamptz, 'infinity')
         ORDER BY h.computed_at DESC, h.id DESC LIMIT 1
       ) latest
       WHERE segments.segment_key IS NOT NULL`,
      [campaignId, before],
    );
    return Object.fromEntries(rows.map((row) => [row.segment, row.srmP]));
  }

  currentAllocations(campaignId: string, segment: string | null): Promise<AllocationRow[]> {
    return this.db.query<AllocationRow>(
      `SELECT segment_key AS segment, weights, p_best AS "pBest", frozen, reason, NULL::float8 AS "srmP",
              computed_at AS "computedAt"
       FROM allocation WHERE campaign_id = $1 AND ($2::text IS NULL OR segment_key = $2)
       ORDER BY segment_key`,
      [campaignId, segment],
    );
  }

  /** The latest `limit` history rows of each segment in the window, oldest first within a segment. */
  allocationHistory(
    campaignId: string,
    window: TimeWindow,
    segment: string | null,
    limit: number,
  ): Promise<AllocationRow[]> {
    const segments =
      segment === null ? `${HISTORY_SEGMENTS}` : `WITH segments AS (SELECT $5::text AS segment_key)`;
    return this.db.query<AllocationRow>(
      `${segments}
       SELECT h.segment_key AS segment, h.weights, h.p_best AS "pBest", h.frozen, h.reason, h.srm_p AS "srmP",
              h.computed_at AS "computedAt"
       FROM segments
       CROSS JOIN LATERAL (
         SELECT * FROM allocation_history h
         WHERE h.campaign_id = $1 AND h.segment_key = segments.segment_key
           AND h.computed_at >= coalesce($2::timestamptz, '-infinity')
           AND h.computed_at < coalesce($3::timestamptz, 'infinity')
         ORDER BY h.computed_at DESC, h.id DESC LIMIT $4
       ) h
       WHERE segments.segment_key IS NOT NULL
       ORDER BY h.segment_key, h.computed_at, h.id`,
      segment === null
        ? [campaignId, window.from, window.to, limit]
        : [campaignId, window.from, window.to, limit, segment],
    );
  }

  /** The metric's columns summed per variant and UTC hour or day. */
  timeseries(
    campaignId: string,
    metric: TimeseriesMetric,
    bucket: TimeseriesBucket,
    window: TimeWindow,
    segment: string | null,
  ): Promise<BucketCounts[]> {
    // Column names come from a fixed table, never from the request.
    const { successes, trials } = METRIC_COLUMNS[metric];
    return this.db.query<BucketCounts>(
      `SELECT variant_id AS "variantId", date_trunc($2, hour, 'UTC') AS bucket,
              sum(${successes})::float8 AS successes, ${trials ? `sum(${trials})::float8` : '0::float8'} AS trials
       FROM metric_rollup
       WHERE campaign_id = $1
         AND hour >= coalesce($3::timestamptz, '-infinity') AND hour < coalesce($4::timestamptz, 'infinity')
         AND ($5::text IS NULL OR segment_key = $5)
       GROUP BY 1, 2`,
      [campaignId, bucket, window.from, window.to, segment],
    );
  }
}
