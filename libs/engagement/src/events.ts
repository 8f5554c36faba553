import { textFault } from '@adloom/http';
import { z } from 'zod';

/** What players and platforms report; each one is counted in its own rollup column. */
export const EVENT_TYPES = [
  'impression',
  'start',
  'firstQuartile',
  'midpoint',
  'thirdQuartile',
  'complete',
  'click',
  'conversion',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const MAX_EVENTS_PER_BATCH = 10_000;
export const SEGMENT_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Event timestamps are epoch milliseconds within these bounds. */
export const EARLIEST_EVENT_TS = Date.UTC(2000, 0, 1);
export const LATEST_EVENT_TS = Date.UTC(2100, 0, 1);
const MS_PER_HOUR = 3_600_000;

const timestampSchema = z
  .union(
    [
      z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone (Z or ±hh:mm)' }),
      z
        .number()
        .min(EARLIEST_EVENT_TS, 'must be epoch milliseconds (this looks like seconds or is before 2000)')
        .max(LATEST_EVENT_TS, 'must be epoch milliseconds before 2100')
        .refine(Number.isInteger, 'must be whole epoch milliseconds'),
    ],
    { error: 'must be an ISO 8601 date-time or epoch milliseconds' },
  )
  .transform((ts) => (typeof ts === 'number' ? ts : Date.parse(ts)));

export const engagementEventSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .superRefine((id, ctx) => {
      const fault = textFault(id);
      if (fault) ctx.addIssue({ code: 'custom', message: fault });
    }),
  type: z.enum(EVENT_TYPES),
  variantId: z.guid('must be a UUID').transform((id) => id.toLowerCase()),
  segment: z
    .string()
    .regex(SEGMENT_KEY_PATTERN, 'must be a segment key (letters, digits, _ . -; at most 64)'),
  ts: timestampSchema,
  /** Conversion value in the campaign's currency; counted for `conversion` events only. */
  value: z.number().optional(),
});

/** The body of `POST /v1/events`; zod issue paths name the item, e.g. `events[3].type`. */
export const eventBatchSchema = z.object({
  events: z.array(engagementEventSchema).min(1).max(MAX_EVENTS_PER_BATCH),
});

/** An event after validation: `ts` is epoch milliseconds. */
export type EngagementEvent = z.output<typeof engagementEventSchema>;
export type EventBatchBody = z.input<typeof eventBatchSchema>;

/** Start of the UTC hour holding `ts`, as epoch milliseconds. */
export function hourOf(ts: number | string | Date): number {
  const ms = typeof ts === 'number' ? ts : typeof ts === 'string' ? Date.parse(ts) : ts.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not a timestamp: ${String(ts)}`);
  return Math.floor(ms / MS_PER_HOUR) * MS_PER_HOUR;
}

// ---- hourly rollups ----

export interface RollupCounters {
  impressions: number;
  starts: number;
  q25: number;
  q50: number;
  q75: number;
  completes: number;
  clicks: number;
  conversions: number;
  conversionValue: number;
}

export interface RollupRow extends RollupCounters {
  variantId: string;
  segment: string;
  /** Start of the UTC hour, epoch milliseconds. */
  hour: number;
}

const COUNTER_OF_EVENT: Record<EventType, Exclude<keyof RollupCounters, 'conversionValue'>> = {
  impression: 'impressions',
  start: 'starts',
  firstQuartile: 'q25',
  midpoint: 'q50',
  thirdQuartile: 'q75',
  complete: 'completes',
  click: 'clicks',
  conversion: 'conversions',
};

export function rollupKey(variantId: string, segment: string, hour: number): string {
  return `${variantId}|${segment}|${hour}`;
}

export function emptyRollup(variantId: string, segment: string, hour: number): RollupRow {
  return {
    variantId,
    segment,
    hour,
    impressions: 0,
    starts: 0,
    q25: 0,
    q50: 0,
    q75: 0,
    completes: 0,
    clicks: 0,
    conversions: 0,
    conversionValue: 0,
  };
}

/** Finds or creates the row for (variant, segment, hour) in `rollups`. */
export function rollupFor(rollups: Map<string, RollupRow>, variantId: string, segment: string, hour: number) {
  const key = rollupKey(variantId, segment, hour);
  let row = rollups.get(key);
  if (!row) {
    row = emptyRollup(variantId, segment, hour);
    rollups.set(key, row);
  }
  return row;
}

/**
 * Counts events per variant × segment × UTC hour. An id seen twice in the input counts once, so
 * a retried batch that repeats itself does not inflate the counts; ids seen in earlier batches
 * are for the caller to filter out before this.
 */
export function aggregateEvents(events: Iterable<EngagementEvent>): Map<string, RollupRow> {
  const rollups = new Map<string, RollupRow>();
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const row = rollupFor(rollups, event.variantId, event.segment, hourOf(event.ts));
    row[COUNTER_OF_EVENT[event.type]]++;
    if (event.type === 'conversion' && event.value !== undefined) row.conversionValue += event.value;
  }
  return rollups;
}

/** Column arrays for one `unnest` upsert, in the same order for every array. */
export interface RollupArrays {
  variantIds: string[];
  segments: string[];
  /** ISO 8601 UTC instants, for a `timestamptz[]` parameter. */
  hours: string[];
  impressions: number[];
  starts: number[];
  q25: number[];
  q50: number[];
  q75: number[];
  completes: number[];
  clicks: number[];
  conversions: number[];
  conversionValues: number[];
}

/**
 * Rows as column arrays for one statement of the form
 *
 *   INSERT INTO metric_rollup (variant_id, segment, hour, impressions, …, conversion_value)
 *   SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::bigint[], …, $12::numeric[])
 *   ON CONFLICT (variant_id, segment, hour) DO UPDATE
 *     SET impressions = metric_rollup.impressions + excluded.impressions, …
 *
 * Rows come out sorted by key, so concurrent upserts lock rows in the same order and cannot
 * deadlock on each other. Keys are unique (they come from a Map), which `ON CONFLICT DO UPDATE`
 * requires within one statement.
 */
export function toRollupArrays(rollups: Iterable<RollupRow>): RollupArrays {
  const rows = [...rollups].sort(compareRollupKeys);
  return {
    variantIds: rows.map((row) => row.variantId),
    segments: rows.map((row) => row.segment),
    hours: rows.map((row) => new Date(row.hour).toISOString()),
    impressions: rows.map((row) => row.impressions),
    starts: rows.map((row) => row.starts),
    q25: rows.map((row) => row.q25),
    q50: rows.map((row) => row.q50),
    q75: rows.map((row) => row.q75),
    completes: rows.map((row) => row.completes),
    clicks: rows.map((row) => row.clicks),
    conversions: rows.map((row) => row.conversions),
    conversionValues: rows.map((row) => row.conversionValue),
  };
}

function compareRollupKeys(a: RollupRow, b: RollupRow): number {
  return compareText(a.variantId, b.variantId) || compareText(a.segment, b.segment) || a.hour - b.hour;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
