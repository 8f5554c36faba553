import { autoPauseCandidates, pickWinner } from './decisions';

describe('pickWinner', () => {
  it('declares a winner at P(best) ≥ 0.95 only', () => {
    expect(pickWinner([0.02, 0.96, 0.02])).toBe(1);
    expect(pickWinner([0.06, 0.94])).toBeNull();
    expect(pickWinner([0.06, 0.94], 0.9)).toBe(1);
  });
});

describe('autoPauseCandidates', () => {
  const arm = (variantId: string, probabilityBest: number, trials = 1000, live = true) => ({
    variantId,
    probabilityBest,
    trials,
    live,
  });

  it('pauses live variants below 1% P(best) once they have the minimum sample', () => {
    expect(
      autoPauseCandidates([
        arm('a', 0.985),
        arm('b', 0.005),
        arm('c', 0.004, 50),
        arm('d', 0.006, 1000, false),
      ]),
    ).toEqual(['b']);
  });

  it('never pauses the last live variant of a segment', () => {
    expect(autoPauseCandidates([arm('a', 0.004), arm('b', 0.006), arm('c', 0.99, 1000, false)])).toEqual([
      'a',
    ]);
    expect(autoPauseCandidates([arm('only', 0.001)])).toEqual([]);
    expect(autoPauseCandidates([])).toEqual([]);
  });
});
