import { betaCredibleInterval } from '@adloom/optimizer';

export const TIMESERIES_METRICS = [
  'impressions',
  'starts',
  'completes',
  'clicks',
  'conversions',
  'ctr',
  'vtr',
  'cvr',
  'completion_rate',
] as const;
export type TimeseriesMetric = (typeof TIMESERIES_METRICS)[number];

export const TIMESERIES_BUCKETS = ['hour', 'day'] as const;
export type TimeseriesBucket = (typeof TIMESERIES_BUCKETS)[number];

/** A rollup counter column. */
export type RollupColumn = 'impressions' | 'starts' | 'completes' | 'clicks' | 'conversions';

/**
 * The rollup columns behind each metric: a count is its column; a rate is successes over trials,
 * with the optimiser's definitions (ctr = clicks / impressions, vtr = completion_rate =
 * completes / starts, cvr = conversions / clicks).
 */
export const METRIC_COLUMNS: Readonly<
  Record<TimeseriesMetric, { successes: RollupColumn; trials: RollupColumn | null }>
> = {
  impressions: { successes: 'impressions', trials: null },
  starts: { successes: 'starts', trials: null },
  completes: { successes: 'completes', trials: null },
  clicks: { successes: 'clicks', trials: null },
  conversions: { successes: 'conversions', trials: null },
  ctr: { successes: 'clicks', trials: 'impressions' },
  vtr: { successes: 'completes', trials: 'starts' },
  cvr: { successes: 'conversions', trials: 'clicks' },
  completion_rate: { successes: 'completes', trials: 'starts' },
};

export const isRateMetric = (metric: TimeseriesMetric): boolean => METRIC_COLUMNS[metric].trials !== null;

/** One variant's sums in one bucket. `trials` is 0 for count metrics. */
export interface BucketCounts {
  variantId: string;
  bucket: Date;
  successes: number;
  trials: number;
}

export interface CountPoint {
  at: string;
  value: number;
}

/**
 * A rate in one bucket with its 95% credible band, the 2.5% and 97.5% quantiles of
 * Beta(1 + x, 1 + n − x). A bucket with no trials has no rate: value and band are null.
 */
export interface RatePoint {
  at: string;
  value: number | null;
  low: number | null;
  high: number | null;
  successes: number;
  trials: number;
}

export interface VariantSeries {
  variantId: string;
  points: (CountPoint | RatePoint)[];
}

export interface Timeseries {
  campaignId: string;
  metric: TimeseriesMetric;
  bucket: TimeseriesBucket;
  from: string | null;
  to: string | null;
  segment: string | null;
  /** Bucket starts (UTC) shared by every series: from the first bucket with data to the last. */
  buckets: string[];
  series: VariantSeries[];
}

const BUCKET_MS: Record<TimeseriesBucket, number> = { hour: 3_600_000, day: 86_400_000 };

/** Every bucket start from `first` to `last` inclusive (both already bucket starts). */
export function bucketRange(first: Date, last: Date, bucket: TimeseriesBucket): Date[] {
  const out: Date[] = [];
  for (let at = first.getTime(); at <= last.getTime(); at += BUCKET_MS[bucket]) out.push(new Date(at));
  return out;
}

function ratePoint(at: string, successes: number, trials: number): RatePoint {
  if (!(trials > 0)) return { at, value: null, low: null, high: null, successes, trials };
  // A late or duplicated event can push successes past trials; the band needs a proper Beta.
  const capped = Math.min(successes, trials);
  const [low, high] = betaCredibleInterval({ alpha: 1 + capped, beta: 1 + trials - capped });
  return { at, value: successes / trials, low, high, successes, trials };
}

/**
 * One series per variant over a shared, gap-free axis: a bucket without rollups counts 0 (and has no
 * rate). Variants come in `variantOrder` (ids not in it follow, by id).
 */
export function buildTimeseries(
  header: Omit<Timeseries, 'buckets' | 'series'>,
  rows: readonly BucketCounts[],
  variantOrder: readonly string[] = [],
): Timeseries {
  if (rows.length === 0) return { ...header, buckets: [], series: [] };
  const times = rows.map((row) => row.bucket.getTime());
  const buckets = bucketRange(new Date(Math.min(...times)), new Date(Math.max(...times)), header.bucket);
  const position = new Map(buckets.map((bucket, index) => [bucket.getTime(), index]));

  const byVariant = new Map<string, { successes: Float64Array; trials: Float64Array }>();
  for (const row of rows) {
    let sums = byVariant.get(row.variantId);
    if (!sums) {
      sums = { successes: new Float64Array(buckets.length), trials: new Float64Array(buckets.length) };
      byVariant.set(row.variantId, sums);
    }
    const index = position.get(row.bucket.getTime());
    if (index === undefined)
      throw new RangeError(`${row.bucket.toISOString()} is not a ${header.bucket} start`);
    sums.successes[index] += row.successes;
    sums.trials[index] += row.trials;
  }

  const rank = new Map(variantOrder.map((id, index) => [id, index]));
  const ids = [...byVariant.keys()].sort(
    (a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const labels = buckets.map((bucket) => bucket.toISOString());
  const rate = isRateMetric(header.metric);
  return {
    ...header,
    buckets: labels,
    series: ids.map((variantId) => {
      const sums = byVariant.get(variantId)!;
      return {
        variantId,
        points: labels.map((at, index) =>
          rate
            ? ratePoint(at, sums.successes[index], sums.trials[index])
            : { at, value: sums.successes[index] },
        ),
      };
    }),
  };
}
