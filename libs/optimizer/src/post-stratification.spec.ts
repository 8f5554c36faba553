import { postStratifiedRates, stratifiedBeta } from './post-stratification';
import { betaMean, betaVariance } from './beta';

describe('postStratifiedRates', () => {
  // Both arms convert at 10% in week 1 and 2% in week 2. Arm A got 90% of week 1's traffic and 10%
  // of week 2's, so its pooled rate (9.2%) looks far better than B's (2.8%).
  const weeks = [
    {
      arms: [
        { successes: 900, trials: 9000 },
        { successes: 100, trials: 1000 },
      ],
    },
    {
      arms: [
        { successes: 20, trials: 1000 },
        { successes: 180, trials: 9000 },
      ],
    },
  ];

  it('removes the Simpson bias of changing weights: both arms come out at 6%', () => {
    const [a, b] = postStratifiedRates(weeks);
    expect(a.successes / a.trials).toBeCloseTo(0.092, 10);
    expect(b.successes / b.trials).toBeCloseTo(0.028, 10);
    expect(a.mean).toBeCloseTo(0.06, 12);
    expect(b.mean).toBeCloseTo(0.06, 12);
    expect(a.interval[0]).toBeLessThan(0.06);
    expect(a.interval[1]).toBeGreaterThan(0.06);
  });

  it('weights periods by their size and gives the matching standard error', () => {
    const [arm] = postStratifiedRates([
      { arms: [{ successes: 10, trials: 100 }], size: 3000 },
      { arms: [{ successes: 40, trials: 100 }], size: 1000 },
    ]);
    expect(arm.mean).toBeCloseTo(0.75 * 0.1 + 0.25 * 0.4, 12);
    const varianceTerm = (y: number, n: number) => {
      const p = (y + 0.5) / (n + 1);
      return (p * (1 - p)) / n;
    };
    expect(arm.standardError).toBeCloseTo(
      Math.sqrt(0.75 ** 2 * varianceTerm(10, 100) + 0.25 ** 2 * varianceTerm(40, 100)),
      12,
    );
  });

  it('averages an arm over the periods it was in', () => {
    const [, late] = postStratifiedRates([
      {
        arms: [
          { successes: 50, trials: 1000 },
          { successes: 0, trials: 0 },
        ],
      },
      {
        arms: [
          { successes: 20, trials: 500 },
          { successes: 30, trials: 500 },
        ],
      },
    ]);
    expect(late.mean).toBeCloseTo(0.06, 12);
  });

  it('turns an estimate into a Beta with the same mean and variance', () => {
    const [estimate] = postStratifiedRates(weeks);
    const beta = stratifiedBeta(estimate);
    expect(betaMean(beta)).toBeCloseTo(estimate.mean, 12);
    expect(Math.sqrt(betaVariance(beta))).toBeCloseTo(estimate.standardError, 12);
  });
});
