export const DEFAULT_WINNER_THRESHOLD = 0.95;
export const DEFAULT_PAUSE_THRESHOLD = 0.01;
export const DEFAULT_PAUSE_MIN_TRIALS = 100;

/** Index of the arm whose P(best) reaches the threshold, or null while no arm has. */
export function pickWinner(
  probabilityBest: readonly number[],
  threshold = DEFAULT_WINNER_THRESHOLD,
): number | null {
  let best = -1;
  probabilityBest.forEach((p, i) => {
    if (p >= threshold && (best < 0 || p > probabilityBest[best])) best = i;
  });
  return best < 0 ? null : best;
}

export interface PauseCandidate {
  variantId: string;
  /** Serving now; a paused variant is neither a candidate nor counted as live. */
  live: boolean;
  probabilityBest: number;
  /** Trials in the objective's denominator. */
  trials: number;
}

export interface PauseOptions {
  /** Pause below this P(best). Default 0.01. */
  threshold?: number;
  /** Only once the variant itself has at least this many trials. Default 100. */
  minTrials?: number;
}

/**
 * Live variants of one segment that have lost: P(best) below the threshold after the minimum
 * sample. The segment always keeps at least one live variant: if every live variant qualifies, the one
 * with the highest P(best) stays.
 */
export function autoPauseCandidates(arms: readonly PauseCandidate[], options: PauseOptions = {}): string[] {
  const threshold = options.threshold ?? DEFAULT_PAUSE_THRESHOLD;
  const minTrials = options.minTrials ?? DEFAULT_PAUSE_MIN_TRIALS;
  const live = arms.filter((arm) => arm.live);
  const losers = live.filter((arm) => arm.trials >= minTrials && arm.probabilityBest < threshold);
  if (losers.length === 0 || losers.length < live.length) return losers.map((arm) => arm.variantId);
  const keep = losers.reduce((best, arm) => (arm.probabilityBest > best.probabilityBest ? arm : best));
  return losers.filter((arm) => arm !== keep).map((arm) => arm.variantId);
}
