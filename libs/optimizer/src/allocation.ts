import { BetaParams } from './beta';
import { OptimizerError } from './errors';
import { compareArms } from './probability-best';

export interface AllocationArm extends BetaParams {
  /** Trials so far in the objective's denominator (impressions for ctr, starts for vtr, clicks for cvr). */
  trials: number;
}

export interface AllocationOptions {
  /** Share every arm keeps whatever its P(best), added as p_i = f + (1 − K·f)·w_i. Default 0.01. */
  floor?: number;
  /** Equal weights until every arm has this many trials. Default 100. */
  minTrials?: number;
}

export interface Allocation {
  /** Traffic share per arm, in input order; sums to 1. */
  weights: number[];
  probabilityBest: number[];
  expectedLoss: number[];
  /** True while some arm is short of `minTrials`, so the weights are equal. */
  burnIn: boolean;
}

export const DEFAULT_FLOOR = 0.01;
export const DEFAULT_MIN_TRIALS = 100;

/**
 * Thompson-sampling weights: each arm's share is its P(best), lifted by a floor so no arm starves
 * (a floor above 1/K is read as 1/K, i.e. equal shares). During burn-in every arm gets 1/K.
 */
export function computeWeights(arms: readonly AllocationArm[], options: AllocationOptions = {}): Allocation {
  const floor = options.floor ?? DEFAULT_FLOOR;
  const minTrials = options.minTrials ?? DEFAULT_MIN_TRIALS;
  if (!(floor >= 0 && floor <= 1)) {
    throw new OptimizerError('invalid_parameters', `floor must be within [0, 1] (got ${floor})`);
  }
  const count = arms.length;
  if (count === 0) return { weights: [], probabilityBest: [], expectedLoss: [], burnIn: false };

  const { probabilityBest, expectedLoss } = compareArms(arms);
  const burnIn = arms.some((arm) => arm.trials < minTrials);
  if (burnIn) {
    return { weights: arms.map(() => 1 / count), probabilityBest, expectedLoss, burnIn };
  }
  const effectiveFloor = Math.min(floor, 1 / count);
  const total = probabilityBest.reduce((sum, p) => sum + p, 0);
  const weights = probabilityBest.map((p) => effectiveFloor + (1 - count * effectiveFloor) * (p / total));
  return { weights, probabilityBest, expectedLoss, burnIn };
}
