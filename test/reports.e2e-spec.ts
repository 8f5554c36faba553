import { parse } from 'csv-parse/sync';
import type { AllocationHistory, CampaignReport, RatePoint, ReportRow, Timeseries } from '@adloom/reports';
import { EngagementConsumer } from '@adloom/engagement';
import { seedCampaign, sql } from './support/fixtures';
import { TestApi } from './support/harness';

/**
 * The analysts' API against raw events: engagement goes in through `POST /v1/events`, and every
 * figure of the report is checked against a computation done here, from the same events, with plain
 * numerical integration (no code shared with the optimiser).
 */

// ---------- independent statistics ----------

/** Grid on [0, 1] fine enough that trapezoid integrals of these posteriors are good to ~1e-9. */
const GRID = 200_000;
const H = 1 / GRID;

interface Density {
  alpha: number;
  beta: number;
  pdf: Float64Array;
  cdf: Float64Array;
}

/** Beta(alpha, beta) on the grid: the density normalised numerically, its CDF by cumulative trapezoid. */
function density(alpha: number, beta: number): Density {
  const log = new Float64Array(GRID + 1);
  let peak = -Infinity;
  for (let i = 0; i <= GRID; i++) {
    const x = i * H;
    const a = alpha === 1 ? 0 : x === 0 ? -Infinity : (alpha - 1) * Math.log(x);
    const b = beta === 1 ? 0 : x === 1 ? -Infinity : (beta - 1) * Math.log(1 - x);
    log[i] = a + b;
    if (log[i] > peak) peak = log[i];
  }
  const pdf = new Float64Array(GRID + 1);
  for (let i = 0; i <= GRID; i++) pdf[i] = Math.exp(log[i] - peak);
  const cdf = new Float64Array(GRID + 1);
  for (let i = 1; i <= GRID; i++) cdf[i] = cdf[i - 1] + 0.5 * H * (pdf[i - 1] + pdf[i]);
  const total = cdf[GRID];
  for (let i = 0; i <= GRID; i++) {
    pdf[i] /= total;
    cdf[i] /= total;
  }
  return { alpha, beta, pdf, cdf };
}

function quantile(d: Density, p: number): number {
  let low = 0;
  let high = GRID;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (d.cdf[mid] < p) low = mid;
    else high = mid;
  }
  return (low + (p - d.cdf[low]) / (d.cdf[high] - d.cdf[low])) * H;
}

function integrate(f: (i: number) => number): number {
  let sum = 0.5 * (f(0) + f(GRID));
  for (let i = 1; i < GRID; i++) sum += f(i);
  return sum * H;
}

/** P(best) of each arm, expected loss E[max] − mean with E[max] = ∫ (1 − Π F_j) dx, chance to beat `control`. */
function compare(arms: Density[], control?: Density) {
  const pBest = arms.map((arm, k) =>
    integrate((i) =>
      arms.reduce((product, other, j) => (j === k ? product : product * other.cdf[i]), arm.pdf[i]),
    ),
  );
  const expectedMax = integrate((i) => 1 - arms.reduce((product, arm) => product * arm.cdf[i], 1));
  const loss = arms.map((arm) => expectedMax - arm.alpha / (arm.alpha + arm.beta));
  const beat = control ? arms.map((arm) => integrate((i) => arm.pdf[i] * control.cdf[i])) : [];
  return { pBest, loss, beat };
}

interface Prior {
  alpha: number;
  beta: number;
  pooled: boolean;
}

/**
 * The empirical-Bayes prior of a family of variants from its per-segment counts, as documented: the
 * method of moments for the beta-binomial (intra-segment correlation ρ from the spread of the segment
 * rates), strength 1/ρ − 1 kept within [2, 100] (100 when the spread is no wider than binomial noise),
 * Beta(1, 1) with fewer than two segments with data, fewer than 30 trials, or a rate of 0 or 1.
 */
function familyPrior(observations: { successes: number; trials: number }[]): Prior {
  const observed = observations.filter((o) => o.trials > 0);
  const n = observed.reduce((sum, o) => sum + o.trials, 0);
  const flat = { alpha: 1, beta: 1, pooled: false };
  if (observed.length < 2 || n < 30) return flat;
  const mean = observed.reduce((sum, o) => sum + o.successes, 0) / n;
  if (mean <= 0 || mean >= 1) return flat;
  const spread = observed.reduce((sum, o) => sum + o.trials * (o.successes / o.trials - mean) ** 2, 0);
  const squares = observed.reduce((sum, o) => sum + o.trials * o.trials, 0);
  const df = observed.length - 1;
  const denominator = n - squares / n - df;
  if (!(denominator > 0)) return flat;
  const rho = (spread / (mean * (1 - mean)) - df) / denominator;
  const strength = rho <= 0 ? 100 : Math.min(100, Math.max(2, 1 / rho - 1));
  return { alpha: mean * strength, beta: (1 - mean) * strength, pooled: true };
}

// ---------- raw events ----------

type EventType =
  | 'impression'
  | 'start'
  | 'firstQuartile'
  | 'midpoint'
  | 'thirdQuartile'
  | 'complete'
  | 'click'
  | 'conversion';
interface RawEvent {
  id: string;
  type: EventType;
  variantId: string;
  segment: string;
  ts: string;
  value?: number;
}

const COUNTER: Record<EventType, keyof Counts> = {
  impression: 'impressions',
  start: 'starts',
  firstQuartile: 'q25',
  midpoint: 'q50',
  thirdQuartile: 'q75',
  complete: 'completes',
  click: 'clicks',
  conversion: 'conversions',
};

interface Counts {
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

const zero = (): Counts => ({
  impressions: 0,
  starts: 0,
  q25: 0,
  q50: 0,
  q75: 0,
  completes: 0,
  clicks: 0,
  conversions: 0,
  conversionValue: 0,
});

function tally(events: RawEvent[], keep: (event: RawEvent) => boolean = () => true): Counts {
  const counts = zero();
  for (const event of events.filter(keep)) {
    counts[COUNTER[event.type]]++;
    if (event.type === 'conversion') counts.conversionValue += event.value ?? 0;
  }
  return counts;
}

/** A small LCG so the events are the same on every run. */
function lcg(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Hours 22:00 on 10 March to 03:00 on 11 March 2025 (UTC): six hours over two days. */
const FIRST_HOUR = Date.UTC(2025, 2, 10, 22);
const HOURS = 6;

function simulate(
  variantId: string,
  segment: string,
  impressions: number,
  rates: { start: number; click: number; convert: number },
  random: () => number,
): RawEvent[] {
  const events: RawEvent[] = [];
  for (let i = 0; i < impressions; i++) {
    const ts = new Date(
      FIRST_HOUR + (i % HOURS) * 3_600_000 + Math.floor(random() * 3_599_000),
    ).toISOString();
    const add = (type: EventType, value?: number) =>
      events.push({
        id: `${variantId}:${i}:${type}`,
        type,
        variantId,
        segment,
        ts,
        ...(value === undefined ? {} : { value }),
      });
    add('impression');
    if (random() < rates.start) {
      add('start');
      let watching = true;
      for (const type of ['firstQuartile', 'midpoint', 'thirdQuartile', 'complete'] as const) {
        watching = watching && random() < 0.85;
        if (watching) add(type);
      }
    }
    if (random() < rates.click) {
      add('click');
      if (random() < rates.convert) add('conversion', 10 + (i % 5));
    }
  }
  return events;
}

// ---------- seeding ----------

interface SeededVariant {
  id: string;
  segment: string;
}

async function insertVariants(
  databaseUrl: string,
  seeded: { workspaceId: string; campaignId: string; templateVersionIds: string[] },
  specs: {
    segmentId: string;
    segment: string;
    state: string;
    /** Index of the campaign's template version (default 0): one family of variants per template. */
    template?: number;
    isControl?: boolean;
    clip?: string;
  }[],
  clips: Record<string, { seconds: number; cost: number }>,
): Promise<SeededVariant[]> {
  const [{ id: waveId }] = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO wave (workspace_id, campaign_id, number, status) VALUES ($1, $2, 1, 'completed') RETURNING id`,
    [seeded.workspaceId, seeded.campaignId],
  );
  const clipIds: Record<string, string> = {};
  for (const [name, clip] of Object.entries(clips)) {
    const [{ id }] = await sql<{ id: string }>(
      databaseUrl,
      `INSERT INTO clip (workspace_id, prompt_hash, generator, status, gpu_seconds, cost)
       VALUES ($1, $2, 'procedural', 'ready', $3, $4) RETURNING id`,
      [seeded.workspaceId, `${seeded.campaignId}-${name}`, clip.seconds, clip.cost],
    );
    clipIds[name] = id;
  }
  const variants: SeededVariant[] = [];
  for (const [n, spec] of specs.entries()) {
    const [{ id }] = await sql<{ id: string }>(
      databaseUrl,
      `INSERT INTO variant (workspace_id, campaign_id, wave_id, template_version_id, segment_id, locale, state,
                            prompt, prompt_hash, copy, clip_id, is_control, created_at)
       VALUES ($1, $2, $3, $4, $5, 'en-US', $6, 'a prompt', $7, '{}', $8, $9,
               '2025-01-01T00:00:00Z'::timestamptz + $10 * interval '1 second')
       RETURNING id`,
      [
        seeded.workspaceId,
        seeded.campaignId,
        waveId,
        seeded.templateVersionIds[spec.template ?? 0],
        spec.segmentId,
        spec.state,
        `${seeded.campaignId}-${spec.clip ?? n}`,
        spec.clip ? clipIds[spec.clip] : null,
        spec.isControl ?? false,
        n,
      ],
    );
    variants.push({ id, segment: spec.segment });
  }
  return variants;
}

// ---------- the tests ----------

/** Posterior figures must match the integration here to this much. */
const TOLERANCE = 1e-6;

function expectNear(actual: number | null, expected: number) {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThan(TOLERANCE);
}

describe('reports', () => {
  let api: TestApi;
  let analyst: string;
  let marketer: string;
  let platform: string;
  let campaignId: string;
  let v: SeededVariant[];
  let events: RawEvent[];

  const report = (query: string, key = analyst, headers: Record<string, string> = {}) =>
    api.request<CampaignReport>('GET', `/v1/campaigns/${campaignId}/report${query}`, { key, headers });

  beforeAll(async () => {
    // The traffic is of March 2025: a dedupe window that reaches back to it.
    api = await TestApi.start({ ENGAGEMENT_DEDUPE_WINDOW: '3650d' });
    analyst = await api.key('analyst');
    marketer = await api.key('marketer');
    platform = await api.key('platform');
    const databaseUrl = api.config.DATABASE_URL!;
    const seeded = await seedCampaign(databaseUrl, {
      prompts: ['A {{segment.name}} morning', 'A {{segment.name}} evening', 'At noon', 'At night'],
      segments: [
        { key: 'runners', name: 'Runners', locales: ['en-US'], attributes: {} },
        { key: 'gamers', name: 'Gamers', locales: ['en-US'], attributes: {} },
      ],
    });
    campaignId = seeded.campaignId;
    const [runners, gamers] = seeded.segmentIds;
    v = await insertVariants(
      databaseUrl,
      seeded,
      [
        { segmentId: runners, segment: 'runners', state: 'approved', template: 0, clip: 'shared' }, // v[0]
        { segmentId: runners, segment: 'runners', state: 'approved', template: 1, clip: 'b' }, // v[1]
        { segmentId: runners, segment: 'runners', state: 'approved', template: 2, clip: 'c' }, // v[2]: few events
        { segmentId: gamers, segment: 'gamers', state: 'approved', template: 0, clip: 'shared' }, // v[3]
        { segmentId: gamers, segment: 'gamers', state: 'approved', template: 1, isControl: true, clip: 'd' }, // v[4]
        { segmentId: runners, segment: 'runners', state: 'approved', template: 3 }, // v[5]: approved, never served
        { segmentId: runners, segment: 'runners', state: 'rejected', template: 3 }, // v[6]: not in the report
      ],
      {
        shared: { seconds: 12, cost: 0.6 },
        b: { seconds: 8, cost: 0.4 },
        c: { seconds: 10, cost: 0.5 },
        d: { seconds: 9, cost: 0.45 },
      },
    );

    const random = lcg(20251122);
    events = [
      ...simulate(v[0].id, 'runners', 400, { start: 0.7, click: 0.05, convert: 0.3 }, random),
      ...simulate(v[1].id, 'runners', 350, { start: 0.6, click: 0.08, convert: 0.2 }, random),
      ...simulate(v[2].id, 'runners', 30, { start: 0.7, click: 0.1, convert: 0.3 }, random),
      ...simulate(v[3].id, 'gamers', 300, { start: 0.8, click: 0.03, convert: 0.4 }, random),
      ...simulate(v[4].id, 'gamers', 250, { start: 0.75, click: 0.06, convert: 0.25 }, random),
    ];
    const ingest = await api.request('POST', '/v1/events', { key: platform, body: { events } });
    expect(ingest.status).toBe(202);
    expect(ingest.body).toMatchObject({ accepted: events.length, rejected: [] });
    await api.app.get(EngagementConsumer).drain();
  });

  afterAll(async () => {
    await api?.close();
  });

  function independentRow(
    variantIds: string[],
    segment: string | null,
    keep: (e: RawEvent) => boolean = () => true,
  ) {
    return tally(
      events,
      (e) => variantIds.includes(e.variantId) && (segment === null || e.segment === segment) && keep(e),
    );
  }

  /** The templates' families: v[0] and v[3], v[1] and v[4], each in runners and gamers; v[2] and v[5] alone. */
  const FAMILIES = [[0, 3], [1, 4], [2], [5, 6]];

  /** CTR counts per segment of the family of `variantId`. */
  function familyCounts(variantId: string) {
    const family = FAMILIES.find((members) => members.some((i) => v[i].id === variantId))!;
    return family.map((i) => {
      const counts = independentRow([v[i].id], v[i].segment);
      return { successes: counts.clicks, trials: counts.impressions };
    });
  }

  function expectCounts(row: ReportRow, counts: Counts) {
    const { conversionValue, ...whole } = counts;
    expect({
      impressions: row.impressions,
      starts: row.starts,
      q25: row.q25,
      q50: row.q50,
      q75: row.q75,
      completes: row.completes,
      clicks: row.clicks,
      conversions: row.conversions,
    }).toEqual(whole);
    expect(row.conversionValue).toBeCloseTo(conversionValue, 9);
  }

  /** The CTR posterior Beta(alpha₀ + clicks, beta₀ + impressions − clicks) on the grid. */
  const ctrDensity = (counts: Counts, prior: Prior = { alpha: 1, beta: 1, pooled: false }) =>
    density(prior.alpha + counts.clicks, prior.beta + counts.impressions - counts.clicks);

  function expectPosterior(row: ReportRow, counts: Counts, d: Density) {
    expect(row.posterior.successes).toBe(counts.clicks);
    expect(row.posterior.trials).toBe(counts.impressions);
    expect(row.posterior.alpha).toBeCloseTo(d.alpha, 9);
    expect(row.posterior.beta).toBeCloseTo(d.beta, 9);
    expectNear(row.posterior.mean, d.alpha / (d.alpha + d.beta));
    expectNear(row.posterior.interval[0], quantile(d, 0.025));
    expectNear(row.posterior.interval[1], quantile(d, 0.975));
  }

  it('reports each variant in each segment: exact counts, rates, posterior, P(best), loss, chance to beat control', async () => {
    const res = await report('?by=variant,segment');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const body = res.body;
    expect(body).toMatchObject({ campaignId, objective: 'ctr', by: 'variant,segment', from: null, to: null });
    // Segments in key order, variants in creation order; the idle approved variant has a zero row, the
    // rejected one none.
    expect(body.rows.map((row: ReportRow) => [row.segment, row.variantId])).toEqual([
      ['gamers', v[3].id],
      ['gamers', v[4].id],
      ['runners', v[0].id],
      ['runners', v[1].id],
      ['runners', v[2].id],
      ['runners', v[5].id],
    ]);

    for (const segment of ['runners', 'gamers']) {
      const rows = body.rows.filter((row: ReportRow) => row.segment === segment);
      const served = rows.filter((row: ReportRow) => row.impressions > 0);
      const counts = served.map((row: ReportRow) => independentRow([row.variantId!], segment));
      const priors = served.map((row: ReportRow) => familyPrior(familyCounts(row.variantId!)));
      const densities = counts.map((c: Counts, k: number) => ctrDensity(c, priors[k]));
      // Control: the marked variant in gamers; the first variant with data in runners.
      const controlIndex = segment === 'gamers' ? 1 : 0;
      const expected = compare(densities, densities[controlIndex]);
      served.forEach((row: ReportRow, k: number) => {
        expectCounts(row, counts[k]);
        expect(row.ctr).toBeCloseTo(counts[k].clicks / counts[k].impressions, 12);
        expect(row.completionRate).toBeCloseTo(counts[k].completes / counts[k].starts, 12);
        expect(row.q25Rate).toBeCloseTo(counts[k].q25 / counts[k].starts, 12);
        expect(row.q50Rate).toBeCloseTo(counts[k].q50 / counts[k].starts, 12);
        expect(row.q75Rate).toBeCloseTo(counts[k].q75 / counts[k].starts, 12);
        if (counts[k].clicks === 0) expect(row.cvr).toBeNull();
        else expect(row.cvr).toBeCloseTo(counts[k].conversions / counts[k].clicks, 12);
        expect(row.posterior.prior.pooled).toBe(priors[k].pooled);
        expect(row.posterior.prior.alpha).toBeCloseTo(priors[k].alpha, 9);
        expect(row.posterior.prior.beta).toBeCloseTo(priors[k].beta, 9);
        expectPosterior(row, counts[k], densities[k]);
        expectNear(row.probabilityBest, expected.pBest[k]);
        expectNear(row.expectedLoss, expected.loss[k]);
        expect(row.control).toBe(k === controlIndex);
        if (k === controlIndex) expect(row.chanceToBeatControl).toBeNull();
        else expectNear(row.chanceToBeatControl, expected.beat[k]);
        expect(row.winner).toBe(expected.pBest[k] >= 0.95);
      });
    }

    // The two families with traffic in both segments borrow strength; the others stand alone.
    const pooledOf = (i: number) =>
      body.rows.find((row: ReportRow) => row.variantId === v[i].id)!.posterior.prior.pooled;
    expect([0, 1, 2, 3, 4, 5].map(pooledOf)).toEqual([true, true, false, true, true, false]);

    const idle = body.rows.find((row: ReportRow) => row.variantId === v[5].id);
    expect(idle).toMatchObject({
      impressions: 0,
      clicks: 0,
      ctr: null,
      probabilityBest: null,
      expectedLoss: null,
    });

    // Cost: the shared clip is split between its two variants; every other clip is its variant's own.
    const cost = (id: string) => body.rows.find((row: ReportRow) => row.variantId === id)!;
    expect(cost(v[0].id)).toMatchObject({ generationSeconds: 6, cost: 0.3 });
    expect(cost(v[3].id)).toMatchObject({ generationSeconds: 6, cost: 0.3 });
    expect(cost(v[1].id)).toMatchObject({ generationSeconds: 8, cost: 0.4 });
    expect(cost(v[5].id)).toMatchObject({ generationSeconds: 0, cost: 0, costPerConversion: null });
    const v1 = independentRow([v[1].id], 'runners');
    expect(cost(v[1].id).costPerConversion).toBeCloseTo(0.4 / v1.conversions, 12);
    expect(body.totals.cost).toBeCloseTo(0.6 + 0.4 + 0.5 + 0.45, 12);
    expect(body.totals.impressions).toBe(tally(events).impressions);

    // The variant with 30 impressions and the one never served are below 50 trials.
    expect(body.cautions).toHaveLength(1);
    expect(body.cautions[0].caution).toMatch(/fewer than 50 events/);
    expect(body.cautions[0].arms).toEqual([
      { variantId: v[2].id, segment: 'runners', trials: 30 },
      { variantId: v[5].id, segment: 'runners', trials: 0 },
    ]);
  });

  it('reports variants over all segments with a Beta(1, 1) posterior and the marked control', async () => {
    const res = await report('?by=variant');
    expect(res.status).toBe(200);
    const rows = res.body.rows;
    expect(rows.map((row: ReportRow) => row.variantId)).toEqual([
      v[0].id,
      v[1].id,
      v[2].id,
      v[3].id,
      v[4].id,
      v[5].id,
    ]);
    const served = rows.slice(0, 5);
    const counts = served.map((row: ReportRow) => independentRow([row.variantId!], null));
    const densities = counts.map((c: Counts) => ctrDensity(c));
    const expected = compare(densities, densities[4]);
    served.forEach((row: ReportRow, k: number) => {
      expect(row.segment).toBeNull();
      expectCounts(row, counts[k]);
      expectPosterior(row, counts[k], densities[k]);
      expectNear(row.probabilityBest, expected.pBest[k]);
      expectNear(row.expectedLoss, expected.loss[k]);
      if (k === 4) expect(row).toMatchObject({ control: true, chanceToBeatControl: null });
      else expectNear(row.chanceToBeatControl, expected.beat[k]);
    });
    const winner = expected.pBest.findIndex((p) => p >= 0.95);
    expect(res.body.winners).toEqual(
      winner < 0
        ? []
        : [{ segment: null, variantId: v[winner].id, probabilityBest: rows[winner].probabilityBest }],
    );
  });

  it('reports segments as the sum of their variants, without comparisons', async () => {
    const res = await report('?by=segment');
    expect(res.status).toBe(200);
    expect(res.body.rows.map((row: ReportRow) => row.segment)).toEqual(['gamers', 'runners']);
    for (const row of res.body.rows) {
      const counts = tally(events, (e) => e.segment === row.segment);
      expect(row.variantId).toBeNull();
      expectCounts(row, counts);
      expectPosterior(row, counts, ctrDensity(counts));
      expect(row).toMatchObject({
        probabilityBest: null,
        chanceToBeatControl: null,
        expectedLoss: null,
        weight: null,
      });
    }
    expect(res.body.rows[0].cost).toBeCloseTo(0.3 + 0.45, 12);
    expect(res.body.rows[1].cost).toBeCloseTo(0.3 + 0.4 + 0.5, 12);
  });

  it('filters rollup hours with from (inclusive) and to (exclusive)', async () => {
    const from = new Date(FIRST_HOUR + 3_600_000).toISOString();
    const to = new Date(FIRST_HOUR + 4 * 3_600_000).toISOString();
    const res = await report(`?by=variant&from=${from}&to=${to}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from, to });
    const inWindow = (e: RawEvent) =>
      Date.parse(e.ts) >= Date.parse(from) && Date.parse(e.ts) < Date.parse(to);
    for (const row of res.body.rows.slice(0, 5)) {
      const counts = independentRow([row.variantId!], null, inWindow);
      expect(counts.impressions).toBeGreaterThan(0);
      expectCounts(row, counts);
      expectPosterior(row, counts, ctrDensity(counts));
    }

    const backwards = await api.request('GET', `/v1/campaigns/${campaignId}/report?from=${to}&to=${from}`, {
      key: analyst,
    });
    expect(backwards.status).toBe(400);
    expect(backwards.body).toMatchObject({ code: 'invalid_range', field: 'query.to' });
  });

  it('uses the campaign objective: cvr is conversions per click', async () => {
    await sql(api.config.DATABASE_URL!, `UPDATE campaign SET objective = 'cvr' WHERE id = $1`, [campaignId]);
    try {
      const res = await report('?by=variant');
      expect(res.status).toBe(200);
      expect(res.body.objective).toBe('cvr');
      for (const row of res.body.rows.slice(0, 5)) {
        const counts = independentRow([row.variantId!], null);
        const d = density(1 + counts.conversions, 1 + counts.clicks - counts.conversions);
        expect(row.posterior).toMatchObject({
          objective: 'cvr',
          successes: counts.conversions,
          trials: counts.clicks,
        });
        expectNear(row.posterior.interval[0], quantile(d, 0.025));
        expectNear(row.posterior.interval[1], quantile(d, 0.975));
      }
      // Every arm has fewer than 50 clicks.
      expect(res.body.cautions[0].arms).toHaveLength(6);
      expect(res.body.cautions[0].caution).toMatch(/\(clicks\)/);
    } finally {
      await sql(api.config.DATABASE_URL!, `UPDATE campaign SET objective = 'ctr' WHERE id = $1`, [
        campaignId,
      ]);
    }
  });

  it('answers CSV for Accept: text/csv, with a fixed header and the JSON figures', async () => {
    const json = await report('?by=variant,segment');
    const res = await report('?by=variant,segment', analyst, { accept: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="campaign-${campaignId}-report-by-variant-segment.csv"`,
    );
    expect(res.text.split('\r\n')[0]).toBe(
      'variant_id,segment,state,control,impressions,starts,q25,q50,q75,completes,clicks,conversions,' +
        'conversion_value,q25_rate,q50_rate,q75_rate,completion_rate,ctr,cvr,objective,successes,trials,' +
        'posterior_alpha,posterior_beta,posterior_mean,ci95_low,ci95_high,p_best,chance_to_beat_control,' +
        'expected_loss,winner,weight,generation_seconds,cost,cost_per_conversion',
    );
    expect(res.text.endsWith('\r\n')).toBe(true);
    const records = parse(res.text, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(json.body.rows.length);
    records.forEach((record, i) => {
      const row = json.body.rows[i];
      expect(record.variant_id).toBe(row.variantId);
      expect(record.segment).toBe(row.segment);
      expect(record.control).toBe(String(row.control));
      expect(Number(record.impressions)).toBe(row.impressions);
      expect(Number(record.clicks)).toBe(row.clicks);
      expect(Number(record.ci95_low)).toBe(row.posterior.interval[0]);
      expect(record.p_best).toBe(row.probabilityBest === null ? '' : String(row.probabilityBest));
      expect(record.chance_to_beat_control).toBe(
        row.chanceToBeatControl === null ? '' : String(row.chanceToBeatControl),
      );
      expect(Number(record.cost)).toBe(row.cost);
    });

    // JSON stays the default; CSV only when asked for at least as strongly.
    expect((await report('', analyst, { accept: '*/*' })).headers['content-type']).toMatch(
      /application\/json/,
    );
    expect(
      (await report('', analyst, { accept: 'application/json, text/csv;q=0.5' })).headers['content-type'],
    ).toMatch(/application\/json/);
    const segments = await report('?by=segment', analyst, { accept: 'text/csv, application/json;q=0.9' });
    expect(segments.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(segments.text.split('\r\n').filter(Boolean)).toHaveLength(3);
  });

  it('shows current weights, the allocation history and the sample-ratio test from it', async () => {
    const databaseUrl = api.config.DATABASE_URL!;
    await sql(
      databaseUrl,
      `INSERT INTO allocation (campaign_id, segment_key, weights, p_best, frozen, reason, computed_at)
       VALUES ($1, 'runners', $2, $3, false, 'thompson', '2025-03-11T03:00:00Z'),
              ($1, 'gamers', $4, '{}', true, 'burn-in', '2025-03-11T03:00:00Z')`,
      [
        campaignId,
        JSON.stringify({ [v[0].id]: 0.5, [v[1].id]: 0.3, [v[2].id]: 0.1, [v[5].id]: 0.1 }),
        JSON.stringify({ [v[0].id]: 0.2, [v[1].id]: 0.7 }),
        JSON.stringify({ [v[3].id]: 0.5, [v[4].id]: 0.5 }),
      ],
    );
    const history: [string, string, number | null][] = [
      ['runners', '2025-03-10T22:00:00Z', 0.5],
      ['runners', '2025-03-11T00:00:00Z', 0.2],
      ['runners', '2025-03-11T02:00:00Z', null],
      ['gamers', '2025-03-10T23:00:00Z', 0.0004],
      ['gamers', '2025-03-11T01:00:00Z', 0.03],
    ];
    for (const [segment, at, srmP] of history) {
      await sql(
        databaseUrl,
        `INSERT INTO allocation_history (campaign_id, segment_key, weights, p_best, frozen, srm_p, reason, computed_at)
         VALUES ($1, $2, $3, '{}', false, $4, 'thompson', $5)`,
        [campaignId, segment, JSON.stringify({ [v[0].id]: srmP ?? 0 }), srmP, at],
      );
    }

    const res = await report('?by=variant,segment');
    const weight = (id: string) => res.body.rows.find((row: ReportRow) => row.variantId === id)!.weight;
    expect([weight(v[0].id), weight(v[1].id), weight(v[2].id), weight(v[5].id)]).toEqual([
      0.5, 0.3, 0.1, 0.1,
    ]);
    expect([weight(v[3].id), weight(v[4].id)]).toEqual([0.5, 0.5]);
    // Each segment's latest recorded p-value (a run without one does not hide the last one).
    expect(res.body.srm).toEqual({
      pValue: 0.03,
      threshold: 0.001,
      mismatch: false,
      segments: { gamers: 0.03, runners: 0.2 },
    });
    // As of a time before gamers' second test, its mismatch shows.
    const earlier = await report('?to=2025-03-11T00:30:00Z');
    expect(earlier.body.srm).toMatchObject({
      pValue: 0.0004,
      mismatch: true,
      segments: { gamers: 0.0004, runners: 0.2 },
    });

    const allocations = await api.request<AllocationHistory>(
      'GET',
      `/v1/campaigns/${campaignId}/allocations`,
      {
        key: analyst,
      },
    );
    expect(allocations.status).toBe(200);
    expect(allocations.body.campaignId).toBe(campaignId);
    expect(allocations.body.segments.runners.map((entry) => [entry.at, entry.srmP])).toEqual([
      ['2025-03-10T22:00:00.000Z', 0.5],
      ['2025-03-11T00:00:00.000Z', 0.2],
      ['2025-03-11T02:00:00.000Z', null],
    ]);
    expect(allocations.body.segments.gamers[0]).toEqual({
      at: '2025-03-10T23:00:00.000Z',
      weights: { [v[0].id]: 0.0004 },
      pBest: {},
      frozen: false,
      srmP: 0.0004,
      reason: 'thompson',
    });
    expect(allocations.body.current.runners).toEqual({
      at: '2025-03-11T03:00:00.000Z',
      weights: { [v[0].id]: 0.5, [v[1].id]: 0.3, [v[2].id]: 0.1, [v[5].id]: 0.1 },
      pBest: { [v[0].id]: 0.2, [v[1].id]: 0.7 },
      frozen: false,
      reason: 'thompson',
    });
    expect(allocations.body.current.gamers).toMatchObject({ frozen: true, reason: 'burn-in' });

    const latest = await api.request<AllocationHistory>(
      'GET',
      `/v1/campaigns/${campaignId}/allocations?segment=runners&limit=2&from=2025-03-10T21:00:00Z`,
      { key: analyst },
    );
    expect(Object.keys(latest.body.segments)).toEqual(['runners']);
    expect(latest.body.segments.runners.map((entry) => entry.at)).toEqual([
      '2025-03-11T00:00:00.000Z',
      '2025-03-11T02:00:00.000Z',
    ]);
    expect(Object.keys(latest.body.current)).toEqual(['runners']);
  });

  it('charts counts per variant per hour on a gap-free axis', async () => {
    const res = await api.request(
      'GET',
      `/v1/campaigns/${campaignId}/timeseries?metric=impressions&bucket=hour`,
      {
        key: analyst,
      },
    );
    expect(res.status).toBe(200);
    const hours = Array.from({ length: HOURS }, (_, h) => new Date(FIRST_HOUR + h * 3_600_000).toISOString());
    expect(res.body.buckets).toEqual(hours);
    expect(res.body.series.map((s: Timeseries['series'][number]) => s.variantId)).toEqual(
      v.slice(0, 5).map((x) => x.id),
    );
    for (const series of res.body.series) {
      expect(series.points.map((p: { at: string }) => p.at)).toEqual(hours);
      series.points.forEach((point: object, h: number) => {
        const start = FIRST_HOUR + h * 3_600_000;
        const expected = tally(
          events,
          (e) =>
            e.variantId === series.variantId &&
            Date.parse(e.ts) >= start &&
            Date.parse(e.ts) < start + 3_600_000,
        );
        expect(point).toEqual({ at: hours[h], value: expected.impressions });
      });
    }
  });

  it('charts a rate per day with a 95% credible band', async () => {
    const res = await api.request(
      'GET',
      `/v1/campaigns/${campaignId}/timeseries?metric=ctr&bucket=day&segment=gamers`,
      { key: analyst },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ metric: 'ctr', bucket: 'day', segment: 'gamers' });
    expect(res.body.buckets).toEqual(['2025-03-10T00:00:00.000Z', '2025-03-11T00:00:00.000Z']);
    expect(res.body.series.map((s: Timeseries['series'][number]) => s.variantId)).toEqual([v[3].id, v[4].id]);
    for (const series of res.body.series) {
      series.points.forEach((point: RatePoint, day: number) => {
        const start = Date.UTC(2025, 2, 10 + day);
        const counts = tally(
          events,
          (e) =>
            e.variantId === series.variantId &&
            Date.parse(e.ts) >= start &&
            Date.parse(e.ts) < start + 86_400_000,
        );
        const d = density(1 + counts.clicks, 1 + counts.impressions - counts.clicks);
        expect(point).toMatchObject({ successes: counts.clicks, trials: counts.impressions });
        expect(point.value).toBeCloseTo(counts.clicks / counts.impressions, 12);
        expectNear(point.low, quantile(d, 0.025));
        expectNear(point.high, quantile(d, 0.975));
      });
    }

    const bad = await api.request('GET', `/v1/campaigns/${campaignId}/timeseries?metric=likes`, {
      key: analyst,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('query.metric');
  });

  it('pools a family of variants across segments: the prior the optimiser uses', async () => {
    const databaseUrl = api.config.DATABASE_URL!;
    const seeded = await seedCampaign(databaseUrl, {
      workspace: 'default',
      prompts: ['One template', 'Another template'],
      segments: [
        { key: 'north', name: 'North', locales: ['en-US'], attributes: {} },
        { key: 'south', name: 'South', locales: ['en-US'], attributes: {} },
        { key: 'east', name: 'East', locales: ['en-US'], attributes: {} },
      ],
    });
    const [north, south, east] = seeded.segmentIds;
    // a, b and c come from one template (one family), d from another.
    const [a, b, c, d] = await insertVariants(
      databaseUrl,
      seeded,
      [
        { segmentId: north, segment: 'north', state: 'approved', template: 0 },
        { segmentId: south, segment: 'south', state: 'approved', template: 0 },
        { segmentId: east, segment: 'east', state: 'approved', template: 0 },
        { segmentId: south, segment: 'south', state: 'approved', template: 1 },
      ],
      {},
    );
    const cells: [SeededVariant, number, number][] = [
      [a, 400, 20],
      [b, 60, 9],
      [c, 200, 4],
      [d, 300, 12],
    ];
    for (const [variant, impressions, clicks] of cells) {
      await sql(
        databaseUrl,
        `INSERT INTO metric_rollup (campaign_id, variant_id, segment_key, hour, impressions, clicks)
         VALUES ($1, $2, $3, '2025-03-10T10:00:00Z', $4, $5)`,
        [seeded.campaignId, variant.id, variant.segment, impressions, clicks],
      );
    }
    const res = await api.request<CampaignReport>(
      'GET',
      `/v1/campaigns/${seeded.campaignId}/report?by=segment,variant`,
      { key: analyst },
    );
    expect(res.status).toBe(200);
    expect(res.body.by).toBe('variant,segment');

    const prior = familyPrior(cells.slice(0, 3).map(([, trials, successes]) => ({ successes, trials })));
    expect(prior.pooled).toBe(true);
    const southRows = res.body.rows.filter((row: ReportRow) => row.segment === 'south');
    expect(southRows.map((row: ReportRow) => row.variantId)).toEqual([b.id, d.id]);
    const pooled = density(prior.alpha + 9, prior.beta + 51);
    const flat = density(1 + 12, 1 + 288);
    expect(southRows[0].posterior.prior.pooled).toBe(true);
    expect(southRows[0].posterior.prior.alpha).toBeCloseTo(prior.alpha, 9);
    expect(southRows[0].posterior.prior.beta).toBeCloseTo(prior.beta, 9);
    expect(southRows[1].posterior.prior).toEqual({ alpha: 1, beta: 1, pooled: false });
    expectNear(southRows[0].posterior.mean, pooled.alpha / (pooled.alpha + pooled.beta));
    expectNear(southRows[0].posterior.interval[0], quantile(pooled, 0.025));
    expectNear(southRows[0].posterior.interval[1], quantile(pooled, 0.975));
    const expected = compare([pooled, flat], pooled);
    expectNear(southRows[0].probabilityBest, expected.pBest[0]);
    expectNear(southRows[1].probabilityBest, expected.pBest[1]);
    expectNear(southRows[1].chanceToBeatControl, expected.beat[1]);
    // Alone in its segment, a variant is best for sure, but wins nothing.
    const eastRow = res.body.rows.find((row: ReportRow) => row.segment === 'east');
    expect(eastRow).toMatchObject({
      variantId: c.id,
      probabilityBest: 1,
      expectedLoss: 0,
      control: true,
      winner: false,
    });
  });

  it('lets analysts and marketers read, and no one else', async () => {
    expect((await report('?by=variant', marketer)).status).toBe(200);
    const admin = await api.key('admin');
    expect((await report('?by=variant', admin)).status).toBe(200);
    const denied = await api.request('GET', `/v1/campaigns/${campaignId}/report`, { key: platform });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('role_forbidden');
    expect((await report('')).status).toBe(200);
    expect((await api.request('GET', `/v1/campaigns/${campaignId}/report`)).status).toBe(401);

    const bad = await api.request('GET', `/v1/campaigns/${campaignId}/report?by=template`, { key: analyst });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('query.by');
  });

  it('documents the report routes in the OpenAPI document', async () => {
    const docs = await api.request('GET', '/docs-json');
    expect(docs.status).toBe(200);
    const report = docs.body.paths['/v1/campaigns/{id}/report'].get;
    expect(report.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(
      expect.arrayContaining(['id', 'by', 'from', 'to']),
    );
    expect(Object.keys(report.responses['200'].content)).toEqual(['application/json', 'text/csv']);
    expect(docs.body.paths['/v1/campaigns/{id}/allocations'].get).toBeDefined();
    expect(docs.body.paths['/v1/campaigns/{id}/timeseries'].get).toBeDefined();
  });

  it('answers 404 for another workspace’s campaign', async () => {
    const stranger = await api.key('analyst', 'someone-else');
    for (const path of ['report', 'allocations', 'timeseries?metric=clicks']) {
      const res = await api.request('GET', `/v1/campaigns/${campaignId}/${path}`, { key: stranger });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('campaign_not_found');
    }
  });

  it('refuses an analyst key every change: approve, reject, launch, pause, edit, generate, events', async () => {
    const attempts: [string, string, unknown][] = [
      ['POST', `/v1/variants/${v[0].id}/approve`, undefined],
      ['POST', `/v1/variants/${v[0].id}/reject`, { reason: 'no' }],
      ['POST', `/v1/campaigns/${campaignId}/launch`, undefined],
      ['POST', `/v1/campaigns/${campaignId}/pause`, undefined],
      ['POST', `/v1/campaigns/${campaignId}/archive`, undefined],
      ['PATCH', `/v1/campaigns/${campaignId}`, { name: 'renamed' }],
      ['POST', `/v1/campaigns/${campaignId}/generate`, undefined],
      ['POST', `/v1/campaigns/${campaignId}/variants/approve`, { variantIds: [v[0].id] }],
      ['POST', '/v1/campaigns', { name: 'new' }],
      ['POST', '/v1/segments', { key: 'new', name: 'New', locales: ['en-US'] }],
      ['POST', '/v1/events', { events: events.slice(0, 1) }],
    ];
    for (const [method, url, body] of attempts) {
      const res = await api.request(method, url, { key: analyst, body });
      expect({ method, url, status: res.status, code: res.body?.code }).toEqual({
        method,
        url,
        status: 403,
        code: 'role_forbidden',
      });
    }
    const [campaign] = await sql<{ name: string; status: string }>(
      api.config.DATABASE_URL!,
      'SELECT name, status FROM campaign WHERE id = $1',
      [campaignId],
    );
    expect(campaign).toEqual({ name: 'seeded', status: 'draft' });
    const states = await sql<{ state: string }>(
      api.config.DATABASE_URL!,
      'SELECT state FROM variant WHERE id = ANY($1::uuid[]) ORDER BY created_at',
      [[v[0].id, v[6].id]],
    );
    expect(states.map((row) => row.state)).toEqual(['approved', 'rejected']);
  });
});
