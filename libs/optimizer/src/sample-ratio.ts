import { OptimizerError } from './errors';
import { chiSquareSurvival } from './special-functions';

/** One allocation period: the weights in force and the units each arm actually received. */
export interface AllocationPeriod {
  /** π_{p,v}; normalised to sum to 1 if they do not already. */
  weights: readonly number[];
  counts: readonly number[];
}

export interface SampleRatioCheck {
  observed: number[];
  /** Σ_p n_p · π_{p,v}, with n_p the period's total count. */
  expected: number[];
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  /** pValue below the threshold: the traffic split is not what the weights asked for. */
  mismatch: boolean;
}

export const DEFAULT_SRM_THRESHOLD = 0.001;

/**
 * Sample-ratio mismatch test: Pearson's chi-square of observed against expected counts, with K − 1
 * degrees of freedom over the K arms that were expected to get traffic. An arm that got traffic it
 * was never assigned is a mismatch outright.
 */
export function sampleRatioMismatch(
  periods: readonly AllocationPeriod[],
  threshold = DEFAULT_SRM_THRESHOLD,
): SampleRatioCheck {
  const armCount = periods[0]?.weights.length ?? 0;
  const observed = new Array<number>(armCount).fill(0);
  const expected = new Array<number>(armCount).fill(0);
  for (const period of periods) {
    if (period.weights.length !== armCount || period.counts.length !== armCount) {
      throw new OptimizerError('invalid_counts', 'every period must give a weight and a count for every arm');
    }
    const weightTotal = period.weights.reduce((sum, w) => sum + w, 0);
    const size = period.counts.reduce((sum, c) => sum + c, 0);
    if (size === 0) continue;
    if (!(weightTotal > 0) || period.weights.some((w) => w < 0) || period.counts.some((c) => c < 0)) {
      throw new OptimizerError(
        'invalid_counts',
        'weights and counts must be non-negative, weights not all 0',
      );
    }
    period.counts.forEach((count, v) => {
      observed[v] += count;
      expected[v] += (size * period.weights[v]) / weightTotal;
    });
  }

  let statistic = 0;
  let arms = 0;
  let unassignedTraffic = false;
  for (let v = 0; v < armCount; v++) {
    if (expected[v] > 0) {
      arms += 1;
      statistic += (observed[v] - expected[v]) ** 2 / expected[v];
    } else if (observed[v] > 0) {
      unassignedTraffic = true;
    }
  }
  const degreesOfFreedom = Math.max(0, arms - 1);
  if (unassignedTraffic) {
    return { observed, expected, statistic: Infinity, degreesOfFreedom, pValue: 0, mismatch: true };
  }
  const pValue = degreesOfFreedom > 0 ? chiSquareSurvival(statistic, degreesOfFreedom) : 1;
  return { observed, expected, statistic, degreesOfFreedom, pValue, mismatch: pValue < threshold };
}
