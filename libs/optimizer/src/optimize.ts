import { AllocationOptions, DEFAULT_FLOOR, DEFAULT_MIN_TRIALS, computeWeights } from './allocation';
import {
  DEFAULT_GUARDS,
  GuardSettings,
  GuardedArm,
  PauseReason,
  WinnerState,
  WinnerStep,
  pauseDecisions,
  stepWinner,
} from './guards';
import { DEFAULT_WINNER_THRESHOLD, PauseOptions, autoPauseCandidates, pickWinner } from './decisions';
import {
  EngagementCounts,
  Objective,
  PosteriorOptions,
  SegmentPosterior,
  segmentPosteriors,
} from './posteriors';

export interface SegmentPlanOptions {
  posterior?: PosteriorOptions;
  allocation?: AllocationOptions;
  pause?: PauseOptions;
  /** P(best) at which a variant is declared the segment's winner. Default 0.95. */
  winnerThreshold?: number;
}

export interface PlannedArm extends SegmentPosterior {
  probabilityBest: number;
  expectedLoss: number;
  weight: number;
}

export interface SegmentPlan {
  segment: string;
  /** Variants in input order of first appearance. */
  arms: PlannedArm[];
  burnIn: boolean;
  winner: string | null;
  pauseCandidates: string[];
}

/**
 * One optimisation pass over the live variants of a campaign: pooled posteriors, then per segment
 * P(best), expected loss, weights with floor and burn-in, a winner if any, and variants to pause.
 */
export function planSegments(
  rows: readonly EngagementCounts[],
  objective: Objective,
  options: SegmentPlanOptions = {},
): SegmentPlan[] {
  const bySegment = new Map<string, SegmentPosterior[]>();
  for (const posterior of segmentPosteriors(rows, objective, options.posterior)) {
    bySegment.set(posterior.segment, [...(bySegment.get(posterior.segment) ?? []), posterior]);
  }
  return [...bySegment].map(([segment, posteriors]) => {
    const allocation = computeWeights(posteriors, options.allocation);
    const arms = posteriors.map((posterior, i) => ({
      ...posterior,
      probabilityBest: allocation.probabilityBest[i],
      expectedLoss: allocation.expectedLoss[i],
      weight: allocation.weights[i],
    }));
    const winnerIndex = pickWinner(
      allocation.probabilityBest,
      options.winnerThreshold ?? DEFAULT_WINNER_THRESHOLD,
    );
    const pauseCandidates = autoPauseCandidates(
      arms.map((arm) => ({ ...arm, live: true })),
      options.pause,
    );
    return {
      segment,
      arms,
      burnIn: allocation.burnIn,
      winner: winnerIndex === null ? null : arms[winnerIndex].variantId,
      pauseCandidates,
    };
  });
}

export interface GuardOptions {
  guards?: Partial<GuardSettings>;
  /** Share every live arm keeps, as in `computeWeights`. Default 0.01. */
  floor?: number;
  /** Equal weights until every live arm has this many trials over its lifetime. Default 100. */
  minTrials?: number;
  /** false: nothing is paused (the rule is still reported). Default true. */
  autoPause?: boolean;
}

export interface GuardedSegment {
  /** Traffic share per arm in input order; 0 for a paused arm. */
  weights: number[];
  burnIn: boolean;
  paused: Map<string, PauseReason>;
  winner: WinnerStep;
}

/**
 * One segment's decisions in a run: which arms are paused (weight 0, re-judged every run), the live
 * arms' Thompson weights with the floor, burn-in while a live arm is short of its lifetime minimum,
 * and the winner state after this run. `lifetimeTrials` are undiscounted, in the arms' order.
 */
export function guardSegment(
  arms: readonly GuardedArm[],
  lifetimeTrials: readonly number[],
  previous: WinnerState,
  now: string,
  options: GuardOptions = {},
): GuardedSegment {
  const settings = { ...DEFAULT_GUARDS, ...options.guards };
  const paused =
    options.autoPause === false ? new Map<string, PauseReason>() : pauseDecisions(arms, settings);
  const live = arms.map((arm) => !paused.has(arm.variantId));
  const liveCount = live.filter(Boolean).length;
  const minTrials = options.minTrials ?? DEFAULT_MIN_TRIALS;
  const burnIn = arms.some((_, i) => live[i] && lifetimeTrials[i] < minTrials);
  const floor = Math.min(options.floor ?? DEFAULT_FLOOR, 1 / Math.max(1, liveCount));
  const total = arms.reduce((sum, arm, i) => sum + (live[i] ? arm.probabilityBest : 0), 0);
  const leaderMean = Math.max(...arms.map((arm) => arm.alpha / (arm.alpha + arm.beta)));
  const thompson = arms.map((arm, i) => {
    if (!live[i]) return 0;
    if (burnIn || !(total > 0)) return 1 / liveCount;
    const share = floor + (1 - liveCount * floor) * (arm.probabilityBest / total);
    // Too little information to judge (the pause rule's minimum): an equal share at least, so an
    // unlucky start is outgrown rather than starved at the floor.
    const unjudged = arm.trials * leaderMean < settings.minExpectedSuccesses;
    return unjudged ? Math.max(share, 1 / liveCount) : share;
  });
  const sum = thompson.reduce((a, b) => a + b, 0);
  const weights = thompson.map((w) => w / sum);
  const winner = stepWinner(
    previous,
    arms.filter((_, i) => live[i]),
    now,
    settings,
  );
  return { weights, burnIn, paused, winner };
}
