import { chanceToBeatControl, compareArms, fitBetaPrior } from '@adloom/optimizer';
import {
  attributeGenerationCost,
  buildReport,
  CellTotals,
  emptyTotals,
  ReportInput,
  ReportVariant,
  spendByProvider,
} from './report';

const variant = (id: string, segment: string, extra: Partial<ReportVariant> = {}): ReportVariant => ({
  id,
  segment,
  poolKey: id,
  state: 'approved',
  isControl: false,
  clipId: null,
  clipSeconds: 0,
  clipCost: 0,
  ...extra,
});

const cell = (variantId: string, segment: string, impressions: number, clicks: number): CellTotals => ({
  ...emptyTotals(),
  variantId,
  segment,
  impressions,
  clicks,
});

function input(overrides: Partial<ReportInput>): ReportInput {
  return {
    campaignId: 'c1',
    objective: 'ctr',
    by: 'variant,segment',
    from: null,
    to: null,
    variants: [],
    cells: [],
    weights: {},
    srm: { segments: {}, flagged: false },
    declaredWinner: null,
    ...overrides,
  };
}

describe('buildReport', () => {
  const variants = [
    variant('a', 'north'),
    variant('b', 'north', { isControl: true }),
    variant('c', 'north'),
    variant('d', 'south'),
    variant('idle', 'south'),
    variant('gone', 'south', { state: 'rejected' }),
  ];
  const cells = [
    cell('a', 'north', 1000, 30),
    cell('b', 'north', 1000, 20),
    cell('c', 'north', 1000, 70),
    cell('d', 'south', 40, 2),
  ];

  it('compares variants within their segment against the marked control', () => {
    const report = buildReport(input({ variants, cells }));
    expect(report.rows.map((row) => row.variantId)).toEqual(['a', 'b', 'c', 'd', 'idle']);
    const north = report.rows.slice(0, 3);
    const params = north.map((row) => ({ alpha: row.posterior.alpha, beta: row.posterior.beta }));
    expect(params).toEqual([
      { alpha: 31, beta: 971 },
      { alpha: 21, beta: 981 },
      { alpha: 71, beta: 931 },
    ]);
    const reference = compareArms(params);
    north.forEach((row, k) => {
      expect(row.probabilityBest).toBeCloseTo(reference.probabilityBest[k], 8);
      expect(row.expectedLoss).toBeCloseTo(reference.expectedLoss[k], 8);
    });
    expect(north.map((row) => row.control)).toEqual([false, true, false]);
    expect(north[0].chanceToBeatControl).toBeCloseTo(chanceToBeatControl(params[0], params[1]), 8);
    expect(north[1].chanceToBeatControl).toBeNull();
    expect(north[2].winner).toBe(true);
    expect(report.winners).toEqual([
      { segment: 'north', variantId: 'c', probabilityBest: north[2].probabilityBest },
    ]);
  });

  it('leaves arms without trials out of the comparison and names them in the caution', () => {
    const report = buildReport(input({ variants, cells }));
    const [d, idle] = report.rows.slice(3);
    // Alone among arms with data in south, d is best for sure and is the control (first with data).
    expect(d).toMatchObject({
      probabilityBest: 1,
      expectedLoss: 0,
      control: true,
      chanceToBeatControl: null,
      winner: false,
    });
    expect(idle).toMatchObject({
      impressions: 0,
      probabilityBest: null,
      expectedLoss: null,
      control: false,
      ctr: null,
    });
    expect(idle.posterior).toMatchObject({ alpha: 1, beta: 1, mean: 0.5 });
    expect(report.cautions).toEqual([
      {
        caution: expect.stringMatching(/^2 of 5 arms have fewer than 50 events .*\(impressions\)/),
        arms: [
          { variantId: 'd', segment: 'south', trials: 40 },
          { variantId: 'idle', segment: 'south', trials: 0 },
        ],
      },
    ]);
  });

  it('pools a family of variants (same template version, locale and slots) across segments', () => {
    const family = [
      variant('n', 'north', { poolKey: 't1' }),
      variant('s', 'south', { poolKey: 't1' }),
      variant('e', 'east', { poolKey: 't1' }),
      variant('other', 'south', { poolKey: 't2' }),
    ];
    const observations = [
      { successes: 20, trials: 400 },
      { successes: 9, trials: 60 },
      { successes: 4, trials: 200 },
    ];
    const report = buildReport(
      input({
        variants: family,
        cells: [
          cell('n', 'north', 400, 20),
          cell('s', 'south', 60, 9),
          cell('e', 'east', 200, 4),
          cell('other', 'south', 300, 12),
        ],
      }),
    );
    const prior = fitBetaPrior(observations);
    expect(prior.pooled).toBe(true);
    const south = report.rows.find((row) => row.variantId === 's')!;
    expect(south.posterior).toMatchObject({
      prior: { alpha: prior.alpha, beta: prior.beta, pooled: true },
      alpha: prior.alpha + 9,
      beta: prior.beta + 51,
    });
    const other = report.rows.find((row) => row.variantId === 'other')!;
    expect(other.posterior).toMatchObject({
      prior: { alpha: 1, beta: 1, pooled: false },
      alpha: 13,
      beta: 289,
    });
  });

  it('uses the objective’s counts: cvr is conversions over clicks, capped at clicks', () => {
    const report = buildReport(
      input({
        objective: 'cvr',
        by: 'variant',
        variants: [variant('a', 'north')],
        cells: [{ ...cell('a', 'north', 500, 10), conversions: 12 }],
      }),
    );
    expect(report.rows[0].posterior).toMatchObject({
      objective: 'cvr',
      successes: 10,
      trials: 10,
      alpha: 11,
      beta: 1,
    });
    expect(report.rows[0].cvr).toBe(1.2);
  });

  it('groups by variant across segments and by segment across variants', () => {
    const spread = [cell('a', 'north', 100, 5), cell('a', 'south', 300, 9), cell('b', 'south', 200, 4)];
    const vs = [variant('a', 'north'), variant('b', 'south')];
    const byVariant = buildReport(
      input({
        by: 'variant',
        variants: vs,
        cells: spread,
        weights: { north: { a: 0.7 }, south: { a: 0.1, b: 0.9 } },
      }),
    );
    expect(
      byVariant.rows.map((row) => [row.variantId, row.segment, row.impressions, row.clicks, row.weight]),
    ).toEqual([
      ['a', null, 400, 14, 0.7],
      ['b', null, 200, 4, 0.9],
    ]);
    expect(byVariant.rows[0].posterior.prior).toEqual({ alpha: 1, beta: 1, pooled: false });

    const bySegment = buildReport(input({ by: 'segment', variants: vs, cells: spread }));
    expect(bySegment.rows.map((row) => [row.segment, row.variantId, row.impressions, row.clicks])).toEqual([
      ['north', null, 100, 5],
      ['south', null, 500, 13],
    ]);
    expect(bySegment.rows[1]).toMatchObject({
      probabilityBest: null,
      chanceToBeatControl: null,
      weight: null,
    });
    expect(bySegment.winners).toEqual([]);
  });

  it('puts a variant’s generation cost on its own segment’s row once', () => {
    const vs = [
      variant('a', 'north', { clipId: 'k', clipSeconds: 10, clipCost: 1 }),
      variant('b', 'south', { clipId: 'k', clipSeconds: 10, clipCost: 1 }),
      variant('c', 'south', { clipId: 'm', clipSeconds: 4, clipCost: 0.2 }),
    ];
    expect(attributeGenerationCost(vs).get('a')).toEqual({ generationSeconds: 5, cost: 0.5 });
    const report = buildReport(
      input({
        variants: vs,
        cells: [
          { ...cell('a', 'north', 10, 1), conversions: 2 },
          cell('a', 'south', 10, 1),
          cell('b', 'south', 10, 1),
          cell('c', 'south', 10, 1),
        ],
      }),
    );
    expect(report.rows.map((row) => [row.variantId, row.segment, row.cost])).toEqual([
      ['a', 'north', 0.5],
      ['a', 'south', 0],
      ['b', 'south', 0.5],
      ['c', 'south', 0.2],
    ]);
    expect(report.rows[0].costPerConversion).toBe(0.25);
    expect(report.totals).toMatchObject({ impressions: 40, generationSeconds: 14, cost: 1.2 });
  });

  it('summarises the sample-ratio test: the lowest segment p-value, or the campaign flag', () => {
    const quiet = buildReport(
      input({ srm: { segments: { north: 0.4, south: 0.02, east: null }, flagged: false } }),
    );
    expect(quiet.srm).toEqual({
      pValue: 0.02,
      threshold: 0.001,
      mismatch: false,
      segments: { north: 0.4, south: 0.02, east: null },
    });
    expect(buildReport(input({ srm: { segments: { north: 0.0002 }, flagged: false } })).srm.mismatch).toBe(
      true,
    );
    expect(buildReport(input({ srm: { segments: {}, flagged: true } })).srm).toMatchObject({
      pValue: null,
      mismatch: true,
    });
  });
});

describe('spendByProvider', () => {
  it('counts each clip once per provider and model, however many variants share it', () => {
    const variant = (
      id: string,
      clipId: string | null,
      provider: string | null,
      seconds: number,
      cost: number,
    ) => ({
      id,
      segment: 's',
      poolKey: 'k',
      state: 'ready',
      isControl: false,
      clipId,
      clipSeconds: seconds,
      clipCost: cost,
      clipProvider: provider,
      clipModel: provider === 'fal' ? 'wan-2.2' : 'veo',
    });
    expect(
      spendByProvider([
        variant('a', 'c1', 'gemini-veo', 4, 0.6),
        variant('b', 'c1', 'gemini-veo', 4, 0.6),
        variant('c', 'c2', 'fal', 5, 0.4),
        variant('d', 'c3', 'gemini-veo', 8, 1.2),
        variant('e', null, null, 0, 0),
      ]),
    ).toEqual([
      { provider: 'fal', model: 'wan-2.2', clips: 1, generationSeconds: 5, cost: 0.4 },
      { provider: 'gemini-veo', model: 'veo', clips: 2, generationSeconds: 12, cost: 1.8 },
    ]);
  });
});
