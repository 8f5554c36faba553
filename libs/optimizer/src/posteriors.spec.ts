import {
  EngagementCounts,
  armFamilyKey,
  fitBetaPrior,
  objectiveCounts,
  segmentPosteriors,
} from './posteriors';

const row = (variantId: string, segment: string, counts: Partial<EngagementCounts>): EngagementCounts => ({
  variantId,
  segment,
  impressions: 0,
  starts: 0,
  completes: 0,
  clicks: 0,
  conversions: 0,
  ...counts,
});

describe('objectiveCounts', () => {
  const counts = row('v1', 'teens', {
    impressions: 1000,
    starts: 800,
    completes: 200,
    clicks: 30,
    conversions: 3,
  });

  it('reads ctr as clicks/impressions, vtr as completes/starts and cvr as conversions/clicks', () => {
    expect(objectiveCounts(counts, 'ctr')).toEqual({ successes: 30, trials: 1000 });
    expect(objectiveCounts(counts, 'vtr')).toEqual({ successes: 200, trials: 800 });
    expect(objectiveCounts(counts, 'cvr')).toEqual({ successes: 3, trials: 30 });
  });

  it('caps a numerator that outran its denominator and rejects negative counts', () => {
    expect(objectiveCounts(row('v1', 's', { impressions: 10, clicks: 12 }), 'ctr')).toEqual({
      successes: 10,
      trials: 10,
    });
    expect(() => objectiveCounts(row('v1', 's', { impressions: -1 }), 'ctr')).toThrow(/non-negative/);
  });
});

describe('fitBetaPrior', () => {
  it('centres on the pooled rate and uses the cap when segments differ no more than noise', () => {
    const prior = fitBetaPrior([
      { successes: 200, trials: 10_000 },
      { successes: 205, trials: 10_000 },
      { successes: 195, trials: 10_000 },
    ]);
    expect(prior.pooled).toBe(true);
    expect(prior.alpha + prior.beta).toBeCloseTo(100, 10);
    expect(prior.alpha / (prior.alpha + prior.beta)).toBeCloseTo(0.02, 10);
  });

  it('fits a weak prior when segments really differ', () => {
    const prior = fitBetaPrior([
      { successes: 50, trials: 5000 },
      { successes: 250, trials: 5000 },
      { successes: 500, trials: 5000 },
      { successes: 1000, trials: 5000 },
    ]);
    const strength = prior.alpha + prior.beta;
    // Between-segment variance of the rates is about 0.0046 around a mean of 0.09, so
    // α₀ + β₀ ≈ 0.09 · 0.91 / 0.0046 − 1 ≈ 17.
    expect(strength).toBeGreaterThan(10);
    expect(strength).toBeLessThan(25);
    expect(prior.alpha / strength).toBeCloseTo(1800 / 20_000, 10);
  });

  it('respects a lower cap', () => {
    const prior = fitBetaPrior(
      [
        { successes: 200, trials: 10_000 },
        { successes: 200, trials: 10_000 },
      ],
      { maxStrength: 20 },
    );
    expect(prior.alpha + prior.beta).toBeCloseTo(20, 10);
  });

  it('falls back to Beta(1, 1) with one segment, too few trials, or no successes at all', () => {
    const uniform = { alpha: 1, beta: 1, pooled: false };
    expect(fitBetaPrior([{ successes: 20, trials: 1000 }])).toEqual(uniform);
    expect(
      fitBetaPrior([
        { successes: 1, trials: 5 },
        { successes: 2, trials: 6 },
      ]),
    ).toEqual(uniform);
    expect(
      fitBetaPrior([
        { successes: 0, trials: 5000 },
        { successes: 0, trials: 4000 },
      ]),
    ).toEqual(uniform);
  });
});

describe('segmentPosteriors', () => {
  const rows = [
    row('hero', 'north', { impressions: 10_000, clicks: 180 }),
    row('hero', 'south', { impressions: 10_000, clicks: 200 }),
    row('hero', 'east', { impressions: 10_000, clicks: 220 }),
    row('hero', 'west', { impressions: 10_000, clicks: 200 }),
    row('hero', 'islands', { impressions: 20, clicks: 3 }),
  ];

  it("shrinks a sparse segment toward the variant's overall rate and leaves big segments alone", () => {
    const pooled = segmentPosteriors(rows, 'ctr');
    const unpooled = segmentPosteriors(rows, 'ctr', { pool: false });
    const overall = 803 / 40_020;
    const islands = pooled.find((p) => p.segment === 'islands')!;
    const islandsRaw = unpooled.find((p) => p.segment === 'islands')!;
    expect(islandsRaw.mean).toBeCloseTo(4 / 22, 10);
    // 3 clicks in 20 impressions (15%) next to a variant that converts at 2%: the prior
    // (strength 100) pulls the estimate to (2.0 + 3) / (100 + 20) ≈ 4.2%.
    expect(islands.prior.alpha + islands.prior.beta).toBeCloseTo(100, 10);
    expect(islands.mean).toBeCloseTo((100 * overall + 3) / 120, 10);
    expect(Math.abs(islands.mean - overall)).toBeLessThan(Math.abs(islandsRaw.mean - overall) / 5);
    expect(islands.interval[1] - islands.interval[0]).toBeLessThan(
      islandsRaw.interval[1] - islandsRaw.interval[0],
    );

    const north = pooled.find((p) => p.segment === 'north')!;
    expect(north.mean).toBeCloseTo(0.018, 3);
    expect(Math.abs(north.mean - 0.018)).toBeLessThan(0.0002);
    expect(north.interval[0]).toBeLessThan(north.mean);
    expect(north.interval[1]).toBeGreaterThan(north.mean);
  });

  it('adds duplicate rows of a cell and fits each variant on its own segments', () => {
    const posteriors = segmentPosteriors(
      [
        row('a', 's1', { impressions: 500, clicks: 10 }),
        row('a', 's1', { impressions: 500, clicks: 10 }),
        row('b', 's1', { impressions: 1000, clicks: 50 }),
      ],
      'ctr',
    );
    expect(posteriors).toHaveLength(2);
    const a = posteriors.find((p) => p.variantId === 'a')!;
    expect(a).toMatchObject({ successes: 20, trials: 1000, alpha: 21, beta: 981 });
    expect(a.prior.pooled).toBe(false);
  });
});

describe('armFamilyKey', () => {
  const version = '0b6c3f52-5a8e-4f0e-9d61-3f1f7f0e2a10';

  it('is one key for the same template version, locale and slot choices, in any slot order', () => {
    const key = armFamilyKey(version, 'en-US', { hook: 1, music: 0 });
    expect(armFamilyKey(version, 'en-US', { music: 0, hook: 1 })).toBe(key);
    expect(armFamilyKey(version, 'en-US', {})).toBe(armFamilyKey(version, 'en-US', null));
  });

  it('tells apart another locale, another slot choice and another template version', () => {
    const keys = new Set([
      armFamilyKey(version, 'en-US', { hook: 1 }),
      armFamilyKey(version, 'en-GB', { hook: 1 }),
      armFamilyKey(version, 'en-US', { hook: 2 }),
      armFamilyKey(version, 'en-US', {}),
      armFamilyKey('5d7cbb0e-8f38-4c43-a3a5-b4b0f0d2f9c1', 'en-US', { hook: 1 }),
    ]);
    expect(keys.size).toBe(5);
  });
});
