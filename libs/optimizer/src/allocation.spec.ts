import { computeWeights } from './allocation';

const arm = (clicks: number, impressions: number) => ({
  alpha: 1 + clicks,
  beta: 1 + impressions - clicks,
  trials: impressions,
});
const sum = (values: readonly number[]) => values.reduce((total, v) => total + v, 0);

describe('computeWeights', () => {
  it('gives equal weights until every arm has 100 trials', () => {
    const allocation = computeWeights([arm(30, 1000), arm(2, 1000), arm(0, 99)]);
    expect(allocation.burnIn).toBe(true);
    expect(allocation.weights).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(allocation.probabilityBest[0]).toBeGreaterThan(0.5);
  });

  it('follows P(best) after burn-in, with the 1% floor, summing to 1', () => {
    const allocation = computeWeights([arm(5, 1000), arm(9, 1000), arm(100, 1000)]);
    expect(allocation.burnIn).toBe(false);
    expect(sum(allocation.weights)).toBeCloseTo(1, 12);
    for (const weight of allocation.weights) expect(weight).toBeGreaterThanOrEqual(0.01);
    // Arms 0 and 1 have P(best) ≈ 0, so they sit on the floor; the winner takes the rest.
    expect(allocation.weights[0]).toBeCloseTo(0.01, 9);
    expect(allocation.weights[1]).toBeCloseTo(0.01, 9);
    expect(allocation.weights[2]).toBeCloseTo(0.98, 9);
  });

  it('applies p_i = f + (1 − K·f)·P(best)_i', () => {
    const allocation = computeWeights([arm(5, 1000), arm(9, 1000)], { floor: 0.1 });
    const [p0, p1] = allocation.probabilityBest;
    expect(p1).toBeCloseTo(0.85, 2);
    expect(allocation.weights[0]).toBeCloseTo(0.1 + 0.8 * p0, 9);
    expect(allocation.weights[1]).toBeCloseTo(0.1 + 0.8 * p1, 9);
  });

  it('reads a floor above 1/K as equal shares, and honours a custom burn-in', () => {
    expect(computeWeights([arm(5, 1000), arm(90, 1000)], { floor: 0.6 }).weights).toEqual([0.5, 0.5]);
    expect(computeWeights([arm(5, 150), arm(50, 150)], { minTrials: 200 }).burnIn).toBe(true);
    expect(() => computeWeights([arm(1, 100)], { floor: -0.1 })).toThrow(/floor/);
    expect(computeWeights([])).toMatchObject({ weights: [], burnIn: false });
  });
});
