import { Episode, PolicyName, runEpisode } from './simulate';

const episode = (policy: PolicyName, overrides: Partial<Episode> = {}): Episode => ({
  policy,
  scenario: 'chapelle-li',
  arms: 10,
  horizon: 20_000,
  delta: 1,
  environmentSeed: 12_345,
  policySeed: 678,
  ...overrides,
});

describe('bandit simulator', () => {
  it('is deterministic for fixed seeds', () => {
    expect(runEpisode(episode('thompson')).regret).toBe(runEpisode(episode('thompson')).regret);
  });

  it('ranks Thompson sampling ahead of ε-greedy, and both far ahead of uniform play', () => {
    const regret = (policy: PolicyName) => runEpisode(episode(policy)).regret;
    const thompson = regret('thompson');
    const greedy = regret('egreedy');
    const uniform = regret('uniform');
    expect(thompson).toBeLessThan(greedy);
    expect(greedy).toBeLessThan(uniform / 3);
    // Ten Beta(4, 4) arms: the best is about 0.25 above the average arm.
    expect(uniform / 20_000).toBeGreaterThan(0.15);
    expect(uniform / 20_000).toBeLessThan(0.35);
  });

  it('learns nothing when feedback never arrives within the horizon', () => {
    const blind = runEpisode(episode('thompson', { delta: 1_000_000 })).regret;
    const uniform = runEpisode(episode('uniform')).regret;
    expect(Math.abs(blind - uniform) / uniform).toBeLessThan(0.1);
  });

  it('charges 0.2 points per pull of a 0.8% arm in the low-CTR case', () => {
    const uniform = runEpisode(episode('uniform', { scenario: 'low-ctr' })).regret;
    expect(uniform).toBeCloseTo(0.9 * 0.002 * 20_000, -1);
  });
});
