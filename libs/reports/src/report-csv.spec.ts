import { parse } from 'csv-parse/sync';
import { buildReport, emptyTotals } from './report';
import { prefersCsv, REPORT_CSV_COLUMNS, reportCsv, reportCsvFilename } from './report-csv';

describe('reportCsv', () => {
  const report = buildReport({
    campaignId: 'c1',
    objective: 'ctr',
    by: 'variant,segment',
    from: null,
    to: null,
    variants: [
      {
        id: 'a',
        segment: 'north, "east"',
        poolKey: 'a',
        state: 'approved',
        isControl: false,
        clipId: null,
        clipSeconds: 0,
        clipCost: 0,
      },
      {
        id: 'b',
        segment: 'north, "east"',
        poolKey: 'b',
        state: 'approved',
        isControl: false,
        clipId: null,
        clipSeconds: 0,
        clipCost: 0,
      },
    ],
    cells: [
      { ...emptyTotals(), variantId: 'a', segment: 'north, "east"', impressions: 200, clicks: 7 },
      { ...emptyTotals(), variantId: 'b', segment: 'north, "east"', impressions: 150, clicks: 3 },
    ],
    weights: {},
    srm: { segments: {}, flagged: false },
    declaredWinner: null,
  });

  it('writes RFC 4180: a fixed header, CRLF line ends, quoting where needed, empty fields for nulls', () => {
    const csv = reportCsv(report);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(REPORT_CSV_COLUMNS.map((column) => column.header).join(','));
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(lines[1].startsWith('a,"north, ""east""",approved,true,200,0,')).toBe(true);

    const [first, second] = parse(csv, { columns: true }) as Record<string, string>[];
    expect(first).toMatchObject({
      segment: 'north, "east"',
      control: 'true',
      ctr: String(7 / 200),
      q25_rate: '',
    });
    expect(Number(first.p_best)).toBe(report.rows[0].probabilityBest);
    expect(first.chance_to_beat_control).toBe('');
    expect(Number(second.chance_to_beat_control)).toBe(report.rows[1].chanceToBeatControl);
    expect(second).toMatchObject({ control: 'false', winner: 'false', weight: '', cost_per_conversion: '' });
  });

  it('names the file after the campaign and the grouping', () => {
    expect(reportCsvFilename(report)).toBe('campaign-c1-report-by-variant-segment.csv');
  });
});

describe('prefersCsv', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['application/json', false],
    ['text/csv', true],
    ['TEXT/CSV; charset=utf-8', true],
    ['text/csv, application/json', true],
    ['application/json, text/csv', false],
    ['application/json;q=0.5, text/csv', true],
    ['text/csv;q=0.2, */*', false],
    ['text/csv;q=0, */*;q=0.1', false],
    ['text/html, text/csv', true],
  ])('%p → %p', (accept, expected) => {
    expect(prefersCsv(accept)).toBe(expected);
  });
});
