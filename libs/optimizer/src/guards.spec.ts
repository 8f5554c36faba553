import { compareArms } from './probability-best';
import { DEFAULT_GUARDS, GuardedArm, NO_WINNER, WinnerState, pauseDecisions, stepWinner } from './guards';
import { guardSegment } from './optimize';

/** Arms from (clicks, impressions) with Beta(1, 1) priors and their P(best) and expected loss. */
function arms(...counts: [number, number][]): GuardedArm[] {
  const params = counts.map(([y, n]) => ({ alpha: 1 + y, beta: 1 + n - y }));
  const { probabilityBest, expectedLoss } = compareArms(params);
  return params.map((p, i) => ({
    variantId: `v${i}`,
    ...p,
    trials: counts[i][1],
    probabilityBest: probabilityBest[i],
    expectedLoss: expectedLoss[i],
  }));
}

describe('pauseDecisions', () => {
  it('does not pause an arm after two unlucky rounds: 100 impressions are 4 expected clicks', () => {
    // The case: P(best) under 1% at 100 impressions, yet far too little information.
    expect(pauseDecisions(arms([14, 300], [0, 100], [12, 300])).size).toBe(0);
  });

  it('pauses a clear loser once it has the minimum information, with the numbers', () => {
    const paused = pauseDecisions(arms([300, 5000], [120, 5000], [290, 5000]));
    expect([...paused.keys()]).toEqual(['v1']);
    const reason = paused.get('v1')!;
    expect(reason.leader).toBe('v0');
    expect(reason.upperBound).toBeLessThan(reason.leaderLowerBound);
    expect(reason.expectedLoss).toBeGreaterThan(0.1 * reason.leaderMean);
    expect(reason.expectedSuccesses).toBeGreaterThanOrEqual(DEFAULT_GUARDS.minExpectedSuccesses);
  });

  it('keeps an arm within the practical margin even when its bounds are apart', () => {
    // 5.5% vs 6%: separated by 200,000 impressions each, but less than 10% worse.
    expect(pauseDecisions(arms([12_000, 200_000], [11_000, 200_000])).size).toBe(0);
  });

  it('never pauses the leader, so a segment keeps a live variant', () => {
    expect(pauseDecisions(arms([500, 5000])).size).toBe(0);
    const two = pauseDecisions(arms([500, 5000], [100, 5000]));
    expect([...two.keys()]).toEqual(['v1']);
  });
});

describe('stepWinner', () => {
  const hour = (h: number) => new Date(Date.UTC(2026, 0, 1, h)).toISOString();
  const strong = arms([400, 5000], [250, 5000]);
  const even = arms([300, 5000], [300, 5000]);

  it('declares only after the arm qualified in every run for the hold time', () => {
    let state: WinnerState = NO_WINNER;
    for (let h = 0; h < DEFAULT_GUARDS.winnerHoldHours; h++) {
      const step = stepWinner(state, strong, hour(h));
      expect(step.state.declared).toBeNull();
      state = step.state;
    }
    const step = stepWinner(state, strong, hour(DEFAULT_GUARDS.winnerHoldHours));
    expect(step.declared).toBe(true);
    expect(step.state.declared?.variantId).toBe('v0');
  });

  it('a run without a qualifying arm restarts the streak', () => {
    let state = stepWinner(NO_WINNER, strong, hour(0)).state;
    state = stepWinner(state, even, hour(3)).state;
    state = stepWinner(state, strong, hour(4)).state;
    expect(stepWinner(state, strong, hour(7)).state.declared).toBeNull();
    expect(stepWinner(state, strong, hour(10)).state.declared?.variantId).toBe('v0');
  });

  it('keeps a declared winner through a dip, and withdraws it only after it stayed weak', () => {
    const declared: WinnerState = {
      declared: { variantId: 'v0', since: hour(0) },
      streak: null,
      weakSince: null,
    };
    const weak = arms([300, 5000], [330, 5000]);
    let step = stepWinner(declared, weak, hour(1));
    expect(step.state.declared?.variantId).toBe('v0');
    step = stepWinner(step.state, strong, hour(2));
    expect(step.state.weakSince).toBeNull();
    step = stepWinner(step.state, weak, hour(3));
    step = stepWinner(step.state, weak, hour(3 + DEFAULT_GUARDS.winnerHoldHours));
    expect(step.withdrawn).toBe(true);
    expect(step.state.declared).toBeNull();
  });
});

describe('guardSegment', () => {
  const now = new Date(Date.UTC(2026, 0, 2)).toISOString();

  it('gives a paused arm weight 0 and shares the rest with the floor', () => {
    const segment = arms([300, 5000], [100, 5000], [290, 5000]);
    const step = guardSegment(segment, [5000, 5000, 5000], NO_WINNER, now);
    expect(step.paused.has('v1')).toBe(true);
    expect(step.weights[1]).toBe(0);
    expect(step.weights[0] + step.weights[2]).toBeCloseTo(1, 12);
    expect(Math.min(step.weights[0], step.weights[2])).toBeGreaterThanOrEqual(0.01);
  });

  it('revives a paused arm once its evidence has aged below the minimum information', () => {
    // The same rates with a twentieth of the (discounted) trials: too little to keep it paused.
    const segment = arms([300, 5000], [5, 250], [290, 5000]);
    const step = guardSegment(segment, [20_000, 20_000, 20_000], NO_WINNER, now);
    expect(step.paused.size).toBe(0);
    expect(step.weights[1]).toBeGreaterThan(0);
  });

  it('keeps an equal share for an arm with too little information to judge, however unlucky', () => {
    // 0 clicks in 200 impressions: P(best) ≈ 0, but 8 expected clicks are too few to judge.
    const step = guardSegment(arms([20, 400], [0, 200], [16, 400]), [400, 200, 400], NO_WINNER, now);
    expect(step.paused.size).toBe(0);
    expect(step.weights[1]).toBeGreaterThan(0.2);
  });

  it('splits equally while a live arm is short of its lifetime minimum', () => {
    const step = guardSegment(arms([3, 50], [1, 50]), [50, 50], NO_WINNER, now);
    expect(step.burnIn).toBe(true);
    expect(step.weights).toEqual([0.5, 0.5]);
  });
});
