import { BetaParams } from './beta';
import { OptimizerError } from './errors';
import { RateCounts } from './posteriors';

/**
 * When the weights change between allocation periods, pooled counts mix periods in different
 * proportions per arm: an arm that got most of its traffic in a good week looks better than it is
 * (Simpson's paradox). Post-stratifying by period weights every arm's per-period rates alike:
 *   mean_v = Σ_p w_p · ȳ_{v,p},  w_p = n_p / N.
 */

export interface PeriodCounts {
  /** Counts per arm in this period, in the same arm order for every period. */
  arms: readonly RateCounts[];
  /** n_p, the period's size; defaults to the trials of all arms in the period. */
  size?: number;
}

export interface StratifiedEstimate extends RateCounts {
  mean: number;
  standardError: number;
  /** Normal 95% interval, clamped to [0, 1]. */
  interval: [number, number];
}

const Z_95 = 1.959963984540054;

/**
 * Period-weighted rate per arm. An arm absent from a period (no trials, e.g. not yet launched) is
 * averaged over the periods it was in, with those periods' weights renormalised.
 * Variance: Σ w_p² · p̃(1 − p̃) / n_{v,p}, with p̃ = (y + 0.5) / (n + 1) so a period with no successes
 * still carries uncertainty.
 */
export function postStratifiedRates(periods: readonly PeriodCounts[]): StratifiedEstimate[] {
  if (periods.length === 0) return [];
  const armCount = periods[0].arms.length;
  if (periods.some((period) => period.arms.length !== armCount)) {
    throw new OptimizerError('invalid_counts', 'every period must list the same arms');
  }
  const sizes = periods.map((period) => period.size ?? period.arms.reduce((sum, arm) => sum + arm.trials, 0));

  return Array.from({ length: armCount }, (_, v) => {
    let weightTotal = 0;
    let weightedMean = 0;
    let weightedVariance = 0;
    let successes = 0;
    let trials = 0;
    periods.forEach((period, p) => {
      const counts = period.arms[v];
      successes += counts.successes;
      trials += counts.trials;
      if (counts.trials <= 0 || sizes[p] <= 0) return;
      const adjusted = (counts.successes + 0.5) / (counts.trials + 1);
      weightTotal += sizes[p];
      weightedMean += sizes[p] * (counts.successes / counts.trials);
      weightedVariance += sizes[p] * sizes[p] * ((adjusted * (1 - adjusted)) / counts.trials);
    });
    if (weightTotal === 0) {
      return { successes, trials, mean: NaN, standardError: NaN, interval: [0, 1] };
    }
    const mean = weightedMean / weightTotal;
    const standardError = Math.sqrt(weightedVariance) / weightTotal;
    return {
      successes,
      trials,
      mean,
      standardError,
      interval: [Math.max(0, mean - Z_95 * standardError), Math.min(1, mean + Z_95 * standardError)],
    };
  });
}

/**
 * The Beta with the estimate's mean m and variance se² (alpha + beta = m(1 − m)/se² − 1), so
 * stratified estimates can go through the same P(best) maths as plain posteriors. A mean of exactly
 * 0 or 1 has no such Beta; both parameters are kept at 0.001 or more.
 */
export function stratifiedBeta(estimate: StratifiedEstimate): BetaParams {
  const mean = estimate.mean;
  const variance = estimate.standardError * estimate.standardError;
  if (!(variance > 0) || !(mean >= 0 && mean <= 1)) return { alpha: 1, beta: 1 };
  const strength = Math.max((mean * (1 - mean)) / variance - 1, 0);
  return { alpha: Math.max(mean * strength, 1e-3), beta: Math.max((1 - mean) * strength, 1e-3) };
}
