import { sampleRatioMismatch } from './sample-ratio';
import { chiSquareSurvival } from './special-functions';

describe('sampleRatioMismatch', () => {
  it('accepts a fair 50/50 split', () => {
    const check = sampleRatioMismatch([{ weights: [0.5, 0.5], counts: [5020, 4980] }]);
    expect(check.expected).toEqual([5000, 5000]);
    expect(check.statistic).toBeCloseTo(0.16, 12);
    expect(check.degreesOfFreedom).toBe(1);
    expect(check.pValue).toBeGreaterThan(0.6);
    expect(check.mismatch).toBe(false);
  });

  it('flags a clear mismatch (5,300 vs 4,700 on a 50/50 split)', () => {
    const check = sampleRatioMismatch([{ weights: [0.5, 0.5], counts: [5300, 4700] }]);
    expect(check.statistic).toBeCloseTo(36, 12);
    expect(check.pValue).toBeLessThan(1e-8);
    expect(check.mismatch).toBe(true);
  });

  it('puts the threshold at p = 0.001, i.e. χ² = 10.83 for two arms', () => {
    // 10,000 units on 50/50: a split of 5,165 / 4,835 gives χ² = 10.89, 5,164 / 4,836 gives 10.76.
    const over = sampleRatioMismatch([{ weights: [1, 1], counts: [5165, 4835] }]);
    const under = sampleRatioMismatch([{ weights: [1, 1], counts: [5164, 4836] }]);
    expect(over.pValue).toBeCloseTo(chiSquareSurvival(over.statistic, 1), 15);
    expect(over.pValue).toBeLessThan(0.001);
    expect(over.mismatch).toBe(true);
    expect(under.pValue).toBeGreaterThan(0.001);
    expect(under.mismatch).toBe(false);
  });

  it('expects Σ n_p·π_{p,v} when the weights change between periods', () => {
    const periods = [
      { weights: [0.5, 0.5], counts: [510, 490] },
      { weights: [0.9, 0.1], counts: [8090, 910] },
    ];
    const check = sampleRatioMismatch(periods);
    expect(check.expected[0]).toBeCloseTo(500 + 8100, 9);
    expect(check.expected[1]).toBeCloseTo(500 + 900, 9);
    expect(check.mismatch).toBe(false);
    // Judged against the first period's 50/50 alone, the same traffic would look badly skewed.
    const naive = sampleRatioMismatch([{ weights: [0.5, 0.5], counts: [8600, 1400] }]);
    expect(naive.mismatch).toBe(true);
  });

  it('uses K − 1 degrees of freedom and flags traffic to an arm that had no weight', () => {
    const three = sampleRatioMismatch([{ weights: [0.2, 0.3, 0.5], counts: [200, 300, 500] }]);
    expect(three.degreesOfFreedom).toBe(2);
    expect(three.statistic).toBe(0);
    expect(three.pValue).toBe(1);
    const stray = sampleRatioMismatch([{ weights: [1, 0], counts: [990, 10] }]);
    expect(stray.mismatch).toBe(true);
    expect(stray.pValue).toBe(0);
  });
});
