import { AdLookup, importAggregatesCsv, normaliseHeader } from './csv-import';
import { toRollupArrays } from './events';

const VARIANT_A = '0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b';
const VARIANT_B = '6f1c2a9e-5b7d-4c1e-9f3a-2d4b6c8e0a11';
const DAY_1 = Date.UTC(2027, 2, 14);
const DAY_2 = Date.UTC(2027, 2, 15);

const ads = new Map([
  [VARIANT_A, { variantId: VARIANT_A, segment: 'young-urban' }],
  ['1790000000000001', { variantId: VARIANT_A, segment: 'young-urban' }],
  ['1790000000000002', { variantId: VARIANT_B.toUpperCase(), segment: 'retirees' }],
]);
const lookup: AdLookup = (adId) => ads.get(adId);

const SAMPLE = [
  'date,ad_id,impressions,video_starts,video_p25,video_p50,video_p75,video_completions,clicks,conversions',
  `2027-03-14,${VARIANT_A},"12,500",9000,7000,5000,3000,2000,150,12`,
  '2027-03-14,1790000000000002,800,600,500,400,300,200,10,1',
  '2027-03-15,1790000000000002,900,700,0,0,0,0,,',
  '',
].join('\n');

describe('importAggregatesCsv', () => {
  it('turns each row into a rollup at 00:00 UTC of its day', () => {
    const result = importAggregatesCsv(SAMPLE, lookup);
    expect(result).toEqual({
      ok: true,
      ignoredColumns: [],
      rows: [
        {
          variantId: VARIANT_A,
          segment: 'young-urban',
          hour: DAY_1,
          impressions: 12_500,
          starts: 9000,
          q25: 7000,
          q50: 5000,
          q75: 3000,
          completes: 2000,
          clicks: 150,
          conversions: 12,
          conversionValue: 0,
        },
        expect.objectContaining({
          variantId: VARIANT_B,
          segment: 'retirees',
          hour: DAY_1,
          impressions: 800,
          q75: 300,
        }),
        expect.objectContaining({
          variantId: VARIANT_B,
          segment: 'retirees',
          hour: DAY_2,
          starts: 700,
          clicks: 0,
        }),
      ],
    });
    if (result.ok) expect(toRollupArrays(result.rows).hours).toContain('2027-03-15T00:00:00.000Z');
  });

  it('reads a platform export: aliases in any case, a BOM, midnight times, extra columns', () => {
    const csv = [
      '\ufeffStat Time Day,Ad ID,Ad Name,Spend,Impr.,Video Play Actions,Video Views P25,Video Views P50,' +
        'Video Views P75,Video Views P100,Clicks,Conversions,Conversion Value',
      '2027-03-14 00:00:00,1790000000000001,Spring A,12.40,"1,000",800,600,400,200,100,20,2,"1,234.50"',
      '2027-03-14 00:00:00,1790000000000001,Spring A (placement 2),3.10,500,400,300,200,100,50,5,1,10',
    ].join('\r\n');
    const result = importAggregatesCsv(Buffer.from(csv), lookup);
    expect(result).toEqual({
      ok: true,
      ignoredColumns: ['Ad Name', 'Spend'],
      rows: [
        {
          variantId: VARIANT_A,
          segment: 'young-urban',
          hour: DAY_1,
          impressions: 1500,
          starts: 1200,
          q25: 900,
          q50: 600,
          q75: 300,
          completes: 150,
          clicks: 25,
          conversions: 3,
          conversionValue: 1244.5,
        },
      ],
    });
  });

  it('takes a file with only some metrics and counts the rest as zero', () => {
    const result = importAggregatesCsv(`Day,Variant ID,Conversions\n2027-03-14,${VARIANT_A},4\n`, lookup);
    expect(result).toMatchObject({ ok: true, rows: [{ conversions: 4, impressions: 0, clicks: 0 }] });
  });

  it('names the line and column of every bad cell and imports nothing', () => {
    const csv = [
      'date,ad_id,impressions,clicks',
      `2027-03-14,${VARIANT_A},100,5`,
      `2027-02-30,${VARIANT_A},100,5`,
      '2027-03-14,unknown-ad,100,5',
      `2027-03-14,${VARIANT_A},-3,1.5`,
      `14/03/2027,,12k,5`,
    ].join('\n');
    expect(importAggregatesCsv(csv, lookup)).toEqual({
      ok: false,
      errors: [
        { row: 3, column: 'date', message: 'expected a date as YYYY-MM-DD, got "2027-02-30"' },
        { row: 4, column: 'ad_id', message: 'no variant is known by the ad id "unknown-ad"' },
        { row: 5, column: 'impressions', message: 'expected a whole number ≥ 0, got "-3"' },
        { row: 5, column: 'clicks', message: 'expected a whole number ≥ 0, got "1.5"' },
        { row: 6, column: 'date', message: 'expected a date as YYYY-MM-DD, got "14/03/2027"' },
        { row: 6, column: 'ad_id', message: 'the ad id is empty' },
        { row: 6, column: 'impressions', message: 'expected a whole number ≥ 0, got "12k"' },
      ],
    });
  });

  it('says which required columns are missing', () => {
    const result = importAggregatesCsv('Ad name,Spend\nA,1\n', lookup);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^no date column \(accepted headers: date, day, /),
      expect.stringMatching(/^no ad_id column/),
      expect.stringMatching(/^no metric column/),
    ]);
    expect(result.errors.every((error) => error.row === 1)).toBe(true);
  });

  it('refuses two columns that mean the same thing', () => {
    const result = importAggregatesCsv('date,ad_id,Impressions,impr\n2027-03-14,x,1,1\n', lookup);
    expect(result).toEqual({
      ok: false,
      errors: [{ row: 1, column: 'impr', message: '"Impressions" already gives impressions' }],
    });
  });

  it('reports a broken CSV with its line', () => {
    const result = importAggregatesCsv(`date,ad_id,impressions\n2027-03-14,${VARIANT_A},1,9\n`, lookup);
    expect(result).toMatchObject({
      ok: false,
      errors: [{ row: 2, message: expect.stringMatching(/Record Length/) }],
    });
    expect(importAggregatesCsv('', lookup)).toEqual({
      ok: false,
      errors: [{ message: 'the file is empty' }],
    });
  });

  it('stops listing errors after 100', () => {
    const rows = Array.from({ length: 500 }, () => 'bad-date,x,1');
    const result = importAggregatesCsv(['date,ad_id,impressions', ...rows].join('\n'), lookup);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toHaveLength(100);
  });
});

describe('normaliseHeader', () => {
  it.each([
    ['Ad ID', 'ad_id'],
    [' Impr. ', 'impr'],
    ['Video plays at 25%', 'video_plays_at_25'],
    ['VIDEO_P100', 'video_p100'],
  ])('%p → %p', (header, expected) => {
    expect(normaliseHeader(header)).toBe(expected);
  });
});
