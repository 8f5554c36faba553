import { SeededRandom } from './random';
import { discountFactor, discountHorizonHours } from './discount';
import { DelayCell, cohortMaturity, estimateDelayCdf, maturedCounts } from './late-conversions';

describe('discountFactor', () => {
  it('halves evidence every half-life and is 1 without discounting', () => {
    expect(discountFactor(12, 12)).toBeCloseTo(0.5, 12);
    expect(discountFactor(36, 12)).toBeCloseTo(0.125, 12);
    expect(discountFactor(1000, null)).toBe(1);
    expect(discountHorizonHours(12)).toBe(120);
  });
});

describe('late conversions', () => {
  /** 24 hours of 2,000 clicks an hour converting at 5% after an exponential delay of mean 6 h. */
  function campaign(seed: number) {
    const random = new SeededRandom(seed);
    const cells = new Map<string, DelayCell>();
    const cohorts = [];
    for (let hour = 0; hour < 24; hour++) {
      let conversions = 0;
      for (let c = 0; c < 2000; c++) {
        if (random.next() >= 0.05) continue;
        const delay = -6 * Math.log(1 - random.next());
        if (hour + random.next() + delay > 24) continue;
        conversions++;
        const key = `${hour}|${Math.floor(delay)}`;
        const cell = cells.get(key) ?? { clickHour: hour, delayHours: Math.floor(delay), conversions: 0 };
        cell.conversions++;
        cells.set(key, cell);
      }
      cohorts.push({ clickHour: hour, clicks: 2000, conversions });
    }
    return { cells: [...cells.values()], cohorts };
  }

  it('recovers the exponential delay CDF by chain-ladder within a few points', () => {
    const { cells } = campaign(5);
    const cdf = estimateDelayCdf(cells, 24)!;
    for (const d of [1, 3, 6, 12]) {
      // The longest delay seen in full is 22 h; P(delay > 22 h) ≈ 2.6% is not corrected for.
      const truth = (1 - Math.exp(-d / 6)) / (1 - Math.exp(-22 / 6));
      expect(Math.abs(cdf[d] - truth)).toBeLessThan(0.04);
    }
  });

  it('corrects the CVR of a young campaign to within 5% where the naive one is 20% low', () => {
    const { cells, cohorts } = campaign(9);
    const cdf = estimateDelayCdf(cells, 24);
    const corrected = maturedCounts(cohorts, cdf, 24);
    const naive = maturedCounts(cohorts, null, 24);
    expect(Math.abs(corrected.successes / corrected.trials / 0.05 - 1)).toBeLessThan(0.05);
    expect(naive.successes / naive.trials / 0.05 - 1).toBeLessThan(-0.2);
  });

  it('counts a cohort from this very hour as barely mature, and none without a delay estimate', () => {
    const cdf = estimateDelayCdf(campaign(3).cells, 24)!;
    expect(cohortMaturity(cdf, 23.9, 24)).toBeLessThan(0.02);
    expect(cohortMaturity(cdf, 0, 24)).toBeGreaterThan(0.9);
    expect(estimateDelayCdf([], 24)).toBeNull();
    expect(cohortMaturity(null, 23, 24)).toBe(1);
  });
});
