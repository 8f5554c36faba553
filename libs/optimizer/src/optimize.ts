import { AllocationOptions, computeWeights } from './allocation';
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
