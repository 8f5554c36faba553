import { stringify } from 'csv-stringify/sync';
import { CampaignReport, ReportRow } from './report';

/**
 * The report as CSV (RFC 4180: CRLF line ends, a header row, fields quoted only when needed). The
 * columns are fixed and the same for every `by`, so a spreadsheet built on them keeps working; a
 * figure a grouping does not have is an empty field.
 *
 *  variant_id, segment, state      which arm (variant_id empty for by=segment, segment for by=variant)
 *  control                         true on the row the group's chance to beat control is measured against
 *  impressions … conversion_value  summed rollups in the window
 *  q25_rate, q50_rate, q75_rate,   per start
 *  completion_rate
 *  ctr, cvr                        clicks / impressions, conversions / clicks
 *  objective, successes, trials    the objective and its counts (successes capped at trials)
 *  posterior_alpha, posterior_beta, posterior_mean, ci95_low, ci95_high
 *  p_best, chance_to_beat_control, expected_loss, winner
 *  weight                          current traffic weight
 *  generation_seconds, cost, cost_per_conversion
 */
export const REPORT_CSV_COLUMNS: readonly { header: string; value: (row: ReportRow) => unknown }[] = [
  { header: 'variant_id', value: (row) => row.variantId },
  { header: 'segment', value: (row) => row.segment },
  { header: 'state', value: (row) => row.state },
  { header: 'control', value: (row) => row.control },
  { header: 'impressions', value: (row) => row.impressions },
  { header: 'starts', value: (row) => row.starts },
  { header: 'q25', value: (row) => row.q25 },
  { header: 'q50', value: (row) => row.q50 },
  { header: 'q75', value: (row) => row.q75 },
  { header: 'completes', value: (row) => row.completes },
  { header: 'clicks', value: (row) => row.clicks },
  { header: 'conversions', value: (row) => row.conversions },
  { header: 'conversion_value', value: (row) => row.conversionValue },
  { header: 'q25_rate', value: (row) => row.q25Rate },
  { header: 'q50_rate', value: (row) => row.q50Rate },
  { header: 'q75_rate', value: (row) => row.q75Rate },
  { header: 'completion_rate', value: (row) => row.completionRate },
  { header: 'ctr', value: (row) => row.ctr },
  { header: 'cvr', value: (row) => row.cvr },
  { header: 'objective', value: (row) => row.posterior.objective },
  { header: 'successes', value: (row) => row.posterior.successes },
  { header: 'trials', value: (row) => row.posterior.trials },
  { header: 'posterior_alpha', value: (row) => row.posterior.alpha },
  { header: 'posterior_beta', value: (row) => row.posterior.beta },
  { header: 'posterior_mean', value: (row) => row.posterior.mean },
  { header: 'ci95_low', value: (row) => row.posterior.interval[0] },
  { header: 'ci95_high', value: (row) => row.posterior.interval[1] },
  { header: 'p_best', value: (row) => row.probabilityBest },
  { header: 'chance_to_beat_control', value: (row) => row.chanceToBeatControl },
  { header: 'expected_loss', value: (row) => row.expectedLoss },
  { header: 'winner', value: (row) => row.winner },
  { header: 'weight', value: (row) => row.weight },
  { header: 'generation_seconds', value: (row) => row.generationSeconds },
  { header: 'cost', value: (row) => row.cost },
  { header: 'cost_per_conversion', value: (row) => row.costPerConversion },
];

export function reportCsv(report: CampaignReport): string {
  return stringify(
    report.rows.map((row) => REPORT_CSV_COLUMNS.map((column) => column.value(row))),
    {
      header: true,
      columns: REPORT_CSV_COLUMNS.map((column) => column.header),
      record_delimiter: 'windows',
      cast: { boolean: (value) => (value ? 'true' : 'false') },
    },
  );
}

export function reportCsvFilename(report: CampaignReport): string {
  const grouping = report.by.replace(',', '-');
  return `campaign-${report.campaignId}-report-by-${grouping}.csv`;
}

/**
 * True when the Accept header asks for CSV at least as much as for JSON: `text/csv` listed with a
 * positive quality, and no JSON type (`application/json`, `application/*`, `*\/*`) with a higher one or
 * with the same one listed earlier.
 */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  let csv: { q: number; position: number } | undefined;
  let json: { q: number; position: number } | undefined;
  accept.split(',').forEach((part, position) => {
    const [type, ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const qParam = params.find((param) => param.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q)) return;
    if (type === 'text/csv') {
      if (!csv || q > csv.q) csv = { q, position };
    } else if (type === 'application/json' || type === 'application/*' || type === '*/*') {
      if (!json || q > json.q) json = { q, position };
    }
  });
  if (!csv || csv.q <= 0) return false;
  if (!json) return true;
  return csv.q > json.q || (csv.q === json.q && csv.position < json.position);
}
