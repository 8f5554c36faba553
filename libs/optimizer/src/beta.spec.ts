import { betaCdf, betaCredibleInterval, betaMean, betaPdf, betaQuantile, betaVariance } from './beta';

// Expected quantiles from SciPy 1.17 (scipy.special.betaincinv).
describe('Beta distribution', () => {
  it('has the right mean and variance', () => {
    expect(betaMean({ alpha: 6, beta: 996 })).toBeCloseTo(6 / 1002, 15);
    expect(betaVariance({ alpha: 2, beta: 3 })).toBeCloseTo(6 / (25 * 6), 15);
  });

  it('has a density that integrates to 1 and matches 12x(1 − x)² for Beta(2, 3)', () => {
    expect(betaPdf(0.3, { alpha: 2, beta: 3 })).toBeCloseTo(12 * 0.3 * 0.49, 12);
    let total = 0;
    const steps = 100_000;
    for (let i = 0; i < steps; i++) total += betaPdf((i + 0.5) / steps, { alpha: 6, beta: 996 }) / steps;
    expect(total).toBeCloseTo(1, 6);
    expect(betaPdf(0, { alpha: 1, beta: 5 })).toBeCloseTo(5, 12);
    expect(betaPdf(-0.1, { alpha: 2, beta: 2 })).toBe(0);
  });

  it.each([
    [0.025, 6, 996, 0.0022027766157155003],
    [0.975, 6, 996, 0.011617891448578138],
    [1e-10, 1, 1001, 9.990009990508991e-14],
    [0.5, 0.3, 40, 0.0018426702598702807],
    [1 - 1e-10, 1001, 49001, 0.024258911799451048],
  ])('quantile(%d) of Beta(%d, %d) = %d', (p, alpha, beta, expected) => {
    const x = betaQuantile(p, { alpha, beta });
    expect(Math.abs(x - expected) / expected).toBeLessThan(1e-9);
  });

  it('inverts the CDF across shapes and tails', () => {
    const shapes = [
      { alpha: 1, beta: 1 },
      { alpha: 0.5, beta: 0.5 },
      { alpha: 1, beta: 50_001 },
      { alpha: 5001, beta: 495_001 },
      { alpha: 40, beta: 3 },
    ];
    for (const shape of shapes) {
      for (const p of [1e-9, 1e-4, 0.025, 0.3, 0.5, 0.9, 0.975, 1 - 1e-6]) {
        expect(Math.abs(betaCdf(betaQuantile(p, shape), shape) - p)).toBeLessThan(1e-10 + 1e-9 * p);
      }
    }
  });

  it('gives the 95% credible interval, e.g. [0.025, 0.975] for Beta(1, 1)', () => {
    const [low, high] = betaCredibleInterval({ alpha: 1, beta: 1 });
    expect(low).toBeCloseTo(0.025, 12);
    expect(high).toBeCloseTo(0.975, 12);
    const [clickLow, clickHigh] = betaCredibleInterval({ alpha: 6, beta: 996 });
    expect(clickLow).toBeCloseTo(0.0022027766157155003, 12);
    expect(clickHigh).toBeCloseTo(0.011617891448578138, 12);
  });
});
