import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '@adloom/db';
import { RollupArrays } from './events';

export interface VariantRef {
  id: string;
  workspaceId: string;
  campaignId: string;
  /** The key of the one segment the variant was made for. */
  segmentKey: string;
}

/**
 * One batch of fresh-or-not events as column arrays. `variants` is 1-based into the dictionary,
 * `types` indexes `EVENT_TYPES`, `hours` counts whole hours since the epoch.
 */
export interface EventColumns {
  ids: string[];
  variants: number[];
  types: number[];
  hours: number[];
  /** Conversion values; null for events without one. */
  values: (number | null)[];
}

export interface VariantDictionary {
  variantIds: string[];
  campaignIds: string[];
  segmentKeys: string[];
}

/** Where dedupe looks: new ids go to `today`'s partition; partitions since `windowStart` are consulted. */
export interface SeenDays {
  /** `YYYY-MM-DD`, UTC. */
  today: string;
  windowStart: string;
}

export interface ImportedFile {
  imported: boolean;
  rows: number;
  importedAt: Date;
}

const COUNTERS = ['impressions', 'starts', 'q25', 'q50', 'q75', 'completes', 'clicks', 'conversions'];
const ADD_COUNTERS = [...COUNTERS, 'conversion_value']
  .map((column) => `${column} = m.${column} + excluded.${column}`)
  .join(', ');
const ROLLUP_COLUMNS = `campaign_id, variant_id, segment_key, hour, ${COUNTERS.join(', ')}, conversion_value`;

/**
 * Dedupe and rollups in one statement. The batch arrives as column arrays, each written here as one
 * array literal, which is several times faster than `pg`'s own encoding of array parameters. An id is
 * new when no partition of `event_seen` within the window ($11 onwards) holds it: earlier days are
 * looked up, today's partition ($10) refuses it by its key. The new ids come back from the insert,
 * only those are counted per variant × hour, and the counts are added to `metric_rollup`. Rows are
 * written in key order (ids, then rollup keys) so concurrent batches cannot deadlock on each other.
 * Duplicate ids within one batch must be removed before: a second copy would be counted twice.
 */
const RECORD_EVENTS_SQL = `
  WITH input AS (
    SELECT * FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::numeric[])
      AS e(id, variant, type, hour, value)
  ), fresh AS (
    INSERT INTO event_seen (workspace_id, id, day)
    SELECT $1, i.id, $10::date FROM input i
    WHERE NOT EXISTS (
      SELECT 1 FROM event_seen s
      WHERE s.workspace_id = $1 AND s.id = i.id AND s.day >= $11::date AND s.day < $10::date
    )
    ORDER BY i.id COLLATE "C"
    ON CONFLICT DO NOTHING
    RETURNING id
  ), counted AS (
    SELECT e.variant, e.hour,
      ${COUNTERS.map((column, type) => `count(*) FILTER (WHERE e.type = ${type}) AS ${column}`).join(',\n      ')},
      coalesce(sum(e.value) FILTER (WHERE e.type = 7), 0) AS conversion_value
    FROM input e
    -- Every id new (the usual case): no need to look each one up among the fresh ones.
    WHERE (SELECT count(*) FROM fresh) = cardinality($2::text[]) OR e.id IN (SELECT id FROM fresh)
    GROUP BY e.variant, e.hour
  ), added AS (
    INSERT INTO metric_rollup AS m (${ROLLUP_COLUMNS})
    SELECT d.campaign_id, d.variant_id, d.segment_key, to_timestamp(c.hour::bigint * 3600),
      ${COUNTERS.map((column) => `c.${column}`).join(', ')}, c.conversion_value
    FROM counted c
    JOIN unnest($7::uuid[], $8::uuid[], $9::text[]) WITH ORDINALITY AS d(variant_id, campaign_id, segment_key, n)
      ON d.n = c.variant
    ORDER BY d.variant_id, d.segment_key COLLATE "C", c.hour
    ON CONFLICT (campaign_id, variant_id, segment_key, hour) DO UPDATE SET ${ADD_COUNTERS}
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM fresh)::int AS accepted`;

const ADD_ROLLUPS_SQL = `
  INSERT INTO metric_rollup AS m (${ROLLUP_COLUMNS})
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[],
                       $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[],
                       $11::bigint[], $12::bigint[], $13::numeric[])
    AS r(${ROLLUP_COLUMNS})
  ORDER BY r.variant_id, r.segment_key COLLATE "C", r.hour
  ON CONFLICT (campaign_id, variant_id, segment_key, hour) DO UPDATE SET ${ADD_COUNTERS}`;

@Injectable()
export class EngagementRepository {
  constructor(private readonly db: Db) {}

  async variants(ids: readonly string[]): Promise<VariantRef[]> {
    if (ids.length === 0) return [];
    return this.db.query<VariantRef>(
      `SELECT v.id, v.workspace_id AS "workspaceId", v.campaign_id AS "campaignId", s.key AS "segmentKey"
       FROM variant v JOIN segment s ON s.id = v.segment_id
       WHERE v.id = ANY($1::uuid[])`,
      [ids],
    );
  }

  /**
   * Records a batch; returns how many of its ids were new (and so counted). New ids are remembered in
   * the partition of `days.today`; ids remembered since `days.windowStart` count as seen.
   */
  async recordEvents(
    workspaceId: string,
    events: EventColumns,
    dictionary: VariantDictionary,
    days: SeenDays,
    tx?: Queryable,
  ): Promise<number> {
    if (events.ids.length === 0) return 0;
    const row = await this.db.one<{ accepted: number }>(
      RECORD_EVENTS_SQL,
      [
        workspaceId,
        textArrayLiteral(events.ids),
        arrayLiteral(events.variants),
        arrayLiteral(events.types),
        arrayLiteral(events.hours),
        arrayLiteral(events.values),
        dictionary.variantIds,
        dictionary.campaignIds,
        dictionary.segmentKeys,
        days.today,
        days.windowStart,
      ],
      tx,
    );
    return row!.accepted;
  }

  /**
   * Adds a file's rollups once: the file's hash is recorded in the same transaction, so a second
   * import of the same bytes (even concurrent) adds nothing and reports the first import.
   */
  async importRollups(
    workspaceId: string,
    sha256: string,
    rollups: RollupArrays & { campaignIds: string[] },
  ): Promise<ImportedFile> {
    const rows = rollups.variantIds.length;
    return this.db.transaction(async (tx) => {
      const inserted = await this.db.one<{ imported_at: Date }>(
        `INSERT INTO import_file (workspace_id, sha256, rows) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING imported_at`,
        [workspaceId, sha256, rows],
        tx,
      );
      if (!inserted) {
        const earlier = await this.db.one<{ rows: number; imported_at: Date }>(
          `SELECT rows, imported_at FROM import_file WHERE workspace_id = $1 AND sha256 = $2`,
          [workspaceId, sha256],
          tx,
        );
        return { imported: false, rows: earlier!.rows, importedAt: earlier!.imported_at };
      }
      await this.db.query(
        ADD_ROLLUPS_SQL,
        [
          rollups.campaignIds,
          rollups.variantIds,
          rollups.segments,
          rollups.hours,
          rollups.impressions,
          rollups.starts,
          rollups.q25,
          rollups.q50,
          rollups.q75,
          rollups.completes,
          rollups.clicks,
          rollups.conversions,
          rollups.conversionValues,
        ],
        tx,
      );
      return { imported: true, rows, importedAt: inserted.imported_at };
    });
  }

  /** The days that have an `event_seen` partition, oldest first (`YYYY-MM-DD`). */
  async seenPartitionDays(): Promise<string[]> {
    const rows = await this.db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'event_seen'::regclass ORDER BY c.relname`,
    );
    return rows.flatMap(({ name }) => {
      const m = /^event_seen_(\d{4})(\d{2})(\d{2})$/.exec(name);
      return m ? [`${m[1]}-${m[2]}-${m[3]}`] : [];
    });
  }

  /** Makes the partitions of these days (`YYYY-MM-DD`) where missing; safe to run from many processes. */
  async createSeenPartitions(days: readonly string[]): Promise<void> {
    if (days.length === 0) return;
    await this.db.transaction(async (tx) => {
      await this.db.query(`SELECT pg_advisory_xact_lock(hashtext('event_seen partitions'))`, [], tx);
      for (const day of days) {
        const next = nextDay(day);
        await this.db.query(
          `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF event_seen
           FOR VALUES FROM ('${day}') TO ('${next}')`,
          [],
          tx,
        );
      }
    });
  }

  /** Drops the partitions of these days: their ids are forgotten. */
  async dropSeenPartitions(days: readonly string[]): Promise<void> {
    if (days.length === 0) return;
    await this.db.transaction(async (tx) => {
      await this.db.query(`SELECT pg_advisory_xact_lock(hashtext('event_seen partitions'))`, [], tx);
      for (const day of days) await this.db.query(`DROP TABLE IF EXISTS ${partitionName(day)}`, [], tx);
    });
  }

  async landingUrl(campaignId: string): Promise<string | undefined> {
    const row = await this.db.one<{ landing_url: string }>('SELECT landing_url FROM campaign WHERE id = $1', [
      campaignId,
    ]);
    return row?.landing_url;
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `event_seen_20261203` for 2026-12-03; the day is checked, as it is written into DDL. */
function partitionName(day: string): string {
  if (!DAY.test(day)) throw new RangeError(`not a day: ${day}`);
  return `event_seen_${day.replace(/-/g, '')}`;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** A Postgres array literal of texts, each quoted (`{"a","b\\"c"}`). */
function textArrayLiteral(values: readonly string[]): string {
  const quoted = values.map((value) =>
    value.includes('"') || value.includes('\\') ? `"${value.replace(/["\\]/g, '\\$&')}"` : `"${value}"`,
  );
  return `{${quoted.join(',')}}`;
}

/** A Postgres array literal of numbers (`{1,2,NULL}`); numbers need no quoting. */
function arrayLiteral(values: readonly (number | null)[]): string {
  return `{${values.map((value) => (value === null ? 'NULL' : String(value))).join(',')}}`;
}
