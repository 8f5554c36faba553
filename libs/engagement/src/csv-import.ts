import { CsvError, parse } from 'csv-parse/sync';
import { RollupCounters, RollupRow, rollupFor } from './events';

/**
 * Imports a platform's daily aggregates as rollup rows at 00:00 UTC of each day.
 *
 * Headers are matched case-insensitively after folding every run of other characters to `_`
 * (`Ad ID` → `ad_id`, `Video plays at 25%` → `video_plays_at_25`), against the aliases below.
 * `date` and `ad_id` are required, with at least one metric; a missing metric counts as 0 and
 * columns that match nothing (ad names, spend, …) are reported back as ignored. Dates are
 * `YYYY-MM-DD` (a midnight time after it is allowed). Counts are whole numbers, optionally with
 * `,` thousands separators; an empty cell is 0. Rows with the same variant and day are summed.
 * Errors name the row by its line in the file and the column by its header as written.
 */
export const CSV_COLUMN_ALIASES = {
  date: ['date', 'day', 'date_start', 'reporting_starts', 'report_date', 'reporting_date', 'stat_time_day'],
  ad_id: ['ad_id', 'adid', 'creative_id', 'external_ad_id', 'platform_ad_id', 'variant_id'],
  impressions: ['impressions', 'impression', 'impr', 'imps'],
  video_starts: ['video_starts', 'video_start', 'starts', 'video_plays', 'plays', 'video_play_actions'],
  video_p25: [
    'video_p25',
    'p25',
    'q25',
    'first_quartile',
    'video_first_quartile',
    'video_views_p25',
    'video_p25_watched_actions',
    'video_plays_at_25',
    'video_views_at_25',
  ],
  video_p50: [
    'video_p50',
    'p50',
    'q50',
    'midpoint',
    'video_midpoint',
    'video_views_p50',
    'video_p50_watched_actions',
    'video_plays_at_50',
    'video_views_at_50',
  ],
  video_p75: [
    'video_p75',
    'p75',
    'q75',
    'third_quartile',
    'video_third_quartile',
    'video_views_p75',
    'video_p75_watched_actions',
    'video_plays_at_75',
    'video_views_at_75',
  ],
  video_completions: [
    'video_completions',
    'video_completes',
    'completions',
    'completes',
    'video_p100',
    'video_views_p100',
    'video_p100_watched_actions',
    'video_plays_at_100',
    'video_views_at_100',
  ],
  clicks: ['clicks', 'click', 'link_clicks'],
  conversions: ['conversions', 'conversion', 'conv', 'convs'],
  conversion_value: ['conversion_value', 'conversions_value', 'conv_value', 'value', 'revenue'],
} as const;

export type CsvColumn = keyof typeof CSV_COLUMN_ALIASES;

/** The variant (and its segment) an `ad_id` stands for: a variant id or an ad id on the platform. */
export interface AdMapping {
  variantId: string;
  segment: string;
}
export type AdLookup = (adId: string) => AdMapping | undefined;

export interface CsvImportError {
  /** Line in the file, counting from 1. Absent when the problem is the file as a whole. */
  row?: number;
  /** The column's header as written in the file. */
  column?: string;
  message: string;
}

export type CsvImportResult =
  { ok: true; rows: RollupRow[]; ignoredColumns: string[] } | { ok: false; errors: CsvImportError[] };

/** Errors reported for one file; a file wrong on every line names the first ones only. */
export const MAX_CSV_ERRORS = 100;

type Metric = Exclude<CsvColumn, 'date' | 'ad_id'>;

const METRIC_COUNTER: Record<Metric, keyof RollupCounters> = {
  impressions: 'impressions',
  video_starts: 'starts',
  video_p25: 'q25',
  video_p50: 'q50',
  video_p75: 'q75',
  video_completions: 'completes',
  clicks: 'clicks',
  conversions: 'conversions',
  conversion_value: 'conversionValue',
};
const METRICS = Object.keys(METRIC_COUNTER) as Metric[];

const COLUMN_OF_ALIAS = new Map<string, CsvColumn>(
  Object.entries(CSV_COLUMN_ALIASES).flatMap(([column, aliases]) =>
    aliases.map((alias) => [alias, column as CsvColumn] as const),
  ),
);

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?Z?)?$/;
const WHOLE = /^(?:\d+|\d{1,3}(?:,\d{3})+)$/;
const DECIMAL = /^-?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$/;

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

export function importAggregatesCsv(csv: string | Buffer, lookup: AdLookup): CsvImportResult {
  let records: ParsedRecord[];
  try {
    // With `info`, csv-parse returns { record, info } pairs, which its typings do not express.
    records = parse(csv, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as ParsedRecord[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    return { ok: false, errors: [{ row: numberOr(error.lines), message: error.message }] };
  }
  if (records.length === 0) return { ok: false, errors: [{ message: 'the file is empty' }] };

  const [{ record: header, info: headerInfo }, ...body] = records;
  const columns = mapHeader(header, headerInfo.lines);
  if ('errors' in columns) return { ok: false, errors: columns.errors };

  const errors: CsvImportError[] = [];
  const rollups = new Map<string, RollupRow>();
  for (const { record, info } of body) {
    if (errors.length >= MAX_CSV_ERRORS) break;
    const rowErrors: CsvImportError[] = [];
    const fail = (index: number, message: string) =>
      rowErrors.push({ row: info.lines, column: header[index], message });

    const day = parseDay(record[columns.date]);
    if (day === undefined) fail(columns.date, `expected a date as YYYY-MM-DD, got "${record[columns.date]}"`);
    const adId = record[columns.adId];
    const ad = adId ? lookup(adId) : undefined;
    if (!ad) fail(columns.adId, adId ? `no variant is known by the ad id "${adId}"` : 'the ad id is empty');

    const counts: [keyof RollupCounters, number][] = [];
    for (const { metric, index } of columns.metrics) {
      const isValue = metric === 'conversion_value';
      const value = isValue ? parseDecimal(record[index]) : parseWhole(record[index]);
      if (value === undefined) {
        fail(index, `expected ${isValue ? 'a number' : 'a whole number ≥ 0'}, got "${record[index]}"`);
      } else {
        counts.push([METRIC_COUNTER[metric], value]);
      }
    }

    if (rowErrors.length > 0 || day === undefined || !ad) {
      errors.push(...rowErrors);
      continue;
    }
    const row = rollupFor(rollups, ad.variantId.toLowerCase(), ad.segment, day);
    for (const [counter, value] of counts) row[counter] += value;
  }

  if (errors.length > 0) return { ok: false, errors: errors.slice(0, MAX_CSV_ERRORS) };
  return { ok: true, rows: [...rollups.values()], ignoredColumns: columns.ignored };
}

interface ColumnIndexes {
  date: number;
  adId: number;
  metrics: { metric: Metric; index: number }[];
  ignored: string[];
}

function mapHeader(header: string[], line: number): ColumnIndexes | { errors: CsvImportError[] } {
  const indexOf = new Map<CsvColumn, number>();
  const ignored: string[] = [];
  const errors: CsvImportError[] = [];
  header.forEach((name, index) => {
    const column = COLUMN_OF_ALIAS.get(normaliseHeader(name));
    const earlier = column === undefined ? undefined : indexOf.get(column);
    if (column === undefined) ignored.push(name);
    else if (earlier !== undefined) {
      errors.push({ row: line, column: name, message: `"${header[earlier]}" already gives ${column}` });
    } else indexOf.set(column, index);
  });
  const date = indexOf.get('date');
  const adId = indexOf.get('ad_id');
  const metrics = METRICS.flatMap((metric) => {
    const index = indexOf.get(metric);
    return index === undefined ? [] : [{ metric, index }];
  });
  for (const [required, index] of [
    ['date', date],
    ['ad_id', adId],
  ] as const) {
    if (index === undefined) {
      const aliases = CSV_COLUMN_ALIASES[required].join(', ');
      errors.push({ row: line, message: `no ${required} column (accepted headers: ${aliases})` });
    }
  }
  if (metrics.length === 0)
    errors.push({ row: line, message: `no metric column (e.g. ${METRICS.join(', ')})` });
  if (errors.length > 0 || date === undefined || adId === undefined) return { errors };
  return { date, adId, metrics, ignored };
}

export function normaliseHeader(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/** 00:00 UTC of the day, epoch milliseconds. */
function parseDay(text: string): number | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  const real =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real ? ms : undefined;
}

function parseWhole(text: string): number | undefined {
  if (text === '') return 0;
  if (!WHOLE.test(text)) return undefined;
  const value = Number(text.replaceAll(',', ''));
  return Number.isSafeInteger(value) ? value : undefined;
}

function parseDecimal(text: string): number | undefined {
  if (text === '') return 0;
  return DECIMAL.test(text) ? Number(text.replaceAll(',', '')) : undefined;
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
