import { BetaParams, betaMean, betaQuantile } from './beta';
import { compareArms } from './probability-best';

/**
 * The two decisions a media buyer acts on, pausing a variant and declaring a segment's winner, as
 * rules over one segment's posteriors. Both are written to be rare when wrong:
 *
 * - Pause: only a variant that is very unlikely to be within a practical margin of the leader. All of
 *   (1) enough information: trials × the leader's mean ≥ `minExpectedSuccesses` (expected successes,
 *   not raw impressions: 100 impressions at a 4% CTR are 4 expected clicks, far too few); (2) its upper
 *   credible bound (1 − `boundTail`) is below the leader's lower bound (`boundTail`); (3) the expected
 *   loss of keeping it instead of the leader, E[max(θ_leader − θ_k, 0)], is at least `lossMargin` of
 *   the leader's mean. Never the last live variant of a segment. A paused variant keeps its
 *   approval and gets weight 0; every run judges it again on its (discounted, pooled) evidence and
 *   revives it as soon as the rule no longer holds, e.g. when its old evidence has aged below the
 *   minimum information, the leader fades, or the prior pooled from its other segments moves.
 * - Winner: an arm qualifies in a run when P(best) ≥ `winnerProbability`, its expected loss is at most
 *   `winnerLossMargin` of its mean, and it has the minimum information. It is declared once it has
 *   qualified in every run for `winnerHoldHours` (hours, not runs: runs a minute apart see nearly the
 *   same data), and a declared winner is withdrawn only after its P(best) has stayed below
 *   `withdrawProbability` that long, or another arm has qualified that long (it takes over).
 */
export interface GuardSettings {
  minExpectedSuccesses: number;
  boundTail: number;
  lossMargin: number;
  winnerProbability: number;
  winnerLossMargin: number;
  winnerHoldHours: number;
  withdrawProbability: number;
}

export const DEFAULT_GUARDS: Readonly<GuardSettings> = Object.freeze({
  minExpectedSuccesses: 30,
  boundTail: 0.001,
  lossMargin: 0.1,
  winnerProbability: 0.95,
  winnerLossMargin: 0.05,
  winnerHoldHours: 6,
  withdrawProbability: 0.5,
});

export interface GuardedArm extends BetaParams {
  variantId: string;
  /** Trials in the objective's denominator (discounted where the posterior is). */
  trials: number;
  probabilityBest: number;
  expectedLoss: number;
}

/** Why a variant is paused: the rule's numbers, as the report and console show them. */
export interface PauseReason {
  leader: string;
  expectedSuccesses: number;
  upperBound: number;
  leaderLowerBound: number;
  expectedLoss: number;
  leaderMean: number;
}

/** The segment's winner state carried from run to run (times as ISO strings). */
export interface WinnerState {
  declared: { variantId: string; since: string } | null;
  /** The arm that has qualified in every run since `since` (a challenger while another is declared). */
  streak: { variantId: string; since: string } | null;
  /** Since when the declared winner's P(best) has stayed below the withdrawal level. */
  weakSince: string | null;
}

export const NO_WINNER: Readonly<WinnerState> = Object.freeze({
  declared: null,
  streak: null,
  weakSince: null,
});

export function describeRules(settings: GuardSettings): { pause: string; winner: string } {
  return {
    pause:
      `paused when expected successes ≥ ${settings.minExpectedSuccesses}, its ${fmtPct(1 - settings.boundTail)} ` +
      `upper bound < the leader's ${fmtPct(settings.boundTail)} lower bound, and the expected loss of keeping it ≥ ` +
      `${fmtPct(settings.lossMargin)} of the leader's rate; never the last live variant; revived when that no longer holds`,
    winner:
      `declared once every run for ${settings.winnerHoldHours} h had P(best) ≥ ${settings.winnerProbability}, expected loss ≤ ` +
      `${fmtPct(settings.winnerLossMargin)} of its rate and expected successes ≥ ${settings.minExpectedSuccesses}; ` +
      `withdrawn once its P(best) stayed < ${settings.withdrawProbability} for ${settings.winnerHoldHours} h (or a challenger qualified that long)`,
  };
}

function fmtPct(value: number): string {
  return `${Number((value * 100).toPrecision(4))}%`;
}

function leaderOf(arms: readonly GuardedArm[]): GuardedArm {
  return arms.reduce((best, arm) => (betaMean(arm) > betaMean(best) ? arm : best));
}

/**
 * Variants of one segment to pause, with the numbers that justify each. `arms` are every approved
 * variant of the segment, paused ones included (they are judged again, which is how they revive).
 */
export function pauseDecisions(
  arms: readonly GuardedArm[],
  settings: GuardSettings = DEFAULT_GUARDS,
): Map<string, PauseReason> {
  const paused = new Map<string, PauseReason>();
  if (arms.length < 2) return paused;
  const leader = leaderOf(arms);
  const leaderMean = betaMean(leader);
  const leaderLowerBound = betaQuantile(settings.boundTail, leader);
  for (const arm of arms) {
    if (arm === leader) continue;
    const expectedSuccesses = arm.trials * leaderMean;
    if (expectedSuccesses < settings.minExpectedSuccesses) continue;
    const upperBound = betaQuantile(1 - settings.boundTail, arm);
    if (!(upperBound < leaderLowerBound)) continue;
    const expectedLoss = compareArms([leader, arm]).expectedLoss[1];
    if (expectedLoss < settings.lossMargin * leaderMean) continue;
    paused.set(arm.variantId, {
      leader: leader.variantId,
      expectedSuccesses,
      upperBound,
      leaderLowerBound,
      expectedLoss,
      leaderMean,
    });
  }
  // The leader is never paused, so a segment always keeps one live variant.
  return paused;
}

/** Whether `arm` qualifies as the winner in this run. */
export function qualifiesAsWinner(arm: GuardedArm, settings: GuardSettings = DEFAULT_GUARDS): boolean {
  const mean = betaMean(arm);
  return (
    arm.probabilityBest >= settings.winnerProbability &&
    arm.expectedLoss <= settings.winnerLossMargin * mean &&
    arm.trials * mean >= settings.minExpectedSuccesses
  );
}

export interface WinnerStep {
  state: WinnerState;
  /** True when this run withdrew a declared winner (replaced or not). */
  withdrawn: boolean;
  /** True when this run declared a (new) winner. */
  declared: boolean;
}

const HOUR_MS = 3_600_000;

function heldFor(since: string, now: string): number {
  return (Date.parse(now) - Date.parse(since)) / HOUR_MS;
}

/** The next winner state of one segment after a run at `now` (ISO time) over its live arms. */
export function stepWinner(
  previous: WinnerState,
  arms: readonly GuardedArm[],
  now: string,
  settings: GuardSettings = DEFAULT_GUARDS,
): WinnerStep {
  const qualifying = arms.find((arm) => qualifiesAsWinner(arm, settings)) ?? null;
  const streak = qualifying
    ? {
        variantId: qualifying.variantId,
        since: previous.streak?.variantId === qualifying.variantId ? previous.streak.since : now,
      }
    : null;
  const held = (since: string | null | undefined) =>
    since != null && heldFor(since, now) >= settings.winnerHoldHours;
  let declared = previous.declared;
  let weakSince: string | null = null;
  let withdrawn = false;
  let isNew = false;
  if (declared) {
    const current = arms.find((arm) => arm.variantId === declared!.variantId);
    if (current && current.probabilityBest < settings.withdrawProbability)
      weakSince = previous.weakSince ?? now;
    const challenger = streak !== null && streak.variantId !== declared.variantId && held(streak.since);
    if (!current || challenger || held(weakSince)) {
      declared = null;
      withdrawn = true;
      weakSince = null;
    }
  }
  if (!declared && streak && held(streak.since)) {
    declared = { variantId: streak.variantId, since: now };
    isNew = true;
  }
  return { state: { declared, streak, weakSince }, withdrawn, declared: isNew };
}

/** What a run decided for one segment, stored beside its weights (`allocation.decisions`). */
export interface SegmentDecisions {
  rules: { pause: string; winner: string };
  halfLifeHours: number | null;
  winnerState: WinnerState;
  paused: Record<string, PauseReason>;
  /** The declared winner's figures in this run. */
  winner: { probabilityBest: number; expectedLoss: number; mean: number } | null;
}

/** One variant's standing by the optimiser's rules, with the sentence a media buyer reads. */
export interface VariantDecision {
  status: 'paused' | 'winner' | 'live';
  rule: string | null;
  reason: string | null;
  numbers: Record<string, number | string> | null;
}

const pct = (value: number) => `${(value * 100).toFixed(2)}%`;

/** The standing of `variantId` in its segment's latest decisions. */
export function explainDecision(decisions: SegmentDecisions, variantId: string): VariantDecision {
  const paused = decisions.paused[variantId];
  if (paused) {
    return {
      status: 'paused',
      rule: decisions.rules.pause,
      reason:
        `paused: ${paused.expectedSuccesses.toFixed(0)} expected successes; upper bound ${pct(paused.upperBound)} < ` +
        `the leader's lower bound ${pct(paused.leaderLowerBound)}; keeping it loses ${pct(paused.expectedLoss)} ` +
        `(${((100 * paused.expectedLoss) / paused.leaderMean).toFixed(0)}% of the leader's ${pct(paused.leaderMean)})`,
      numbers: { ...paused },
    };
  }
  const declared = decisions.winnerState.declared;
  if (declared?.variantId === variantId) {
    const figures = decisions.winner;
    return {
      status: 'winner',
      rule: decisions.rules.winner,
      reason: figures
        ? `winner since ${declared.since}: P(best) ${figures.probabilityBest.toFixed(3)}, expected loss ` +
          `${pct(figures.expectedLoss)} of a ${pct(figures.mean)} rate`
        : `winner since ${declared.since}`,
      numbers: { since: declared.since, ...(figures ?? {}) },
    };
  }
  return { status: 'live', rule: null, reason: null, numbers: null };
}
