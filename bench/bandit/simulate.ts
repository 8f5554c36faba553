import { SeededRandom, sampleBeta, sampleGammaPrepared } from '@adloom/optimizer';

/**
 * Bernoulli bandit simulator after Chapelle & Li, "An Empirical Evaluation of Thompson Sampling"
 * (NIPS 2011), section 3: K arms, feedback applied in batches every δ steps, and (optionally) at each
 * step with probability p one arm, chosen uniformly, is replaced by a new arm with a fresh rate. The
 * policy forgets everything about a replaced arm, including feedback still waiting for the batch.
 *
 * Regret is expected regret: Σ_t (best current rate − rate of the arm played).
 *
 * Randomness is split in three seeded streams so that policies compared on the same environment seed
 * face the same arms, the same replacements and the same reward coin flips (common random numbers):
 * the environment stream (rates, replacements), the reward stream (one uniform per step, reward =
 * u < rate of the arm played) and the policy's own stream.
 */

export type PolicyName = 'thompson' | 'ucb' | 'klucb' | 'egreedy' | 'uniform';

export const POLICY_LABELS: Record<PolicyName, string> = {
  thompson: 'Thompson (Beta(1,1) prior)',
  ucb: 'UCB1 (mean + √(2 ln t / n))',
  klucb: 'KL-UCB (Garivier & Cappé)',
  egreedy: 'ε-greedy (ε = 0.1)',
  uniform: 'uniform random',
};

export const EPSILON = 0.1;

export type ScenarioName = 'chapelle-li' | 'low-ctr';

export interface Episode {
  policy: PolicyName;
  scenario: ScenarioName;
  arms: number;
  horizon: number;
  delta: number;
  environmentSeed: number;
  policySeed: number;
}

export interface EpisodeResult {
  regret: number;
  seconds: number;
}

const REPLACE_PROBABILITY = 1e-3;
const LOW_CTR_BEST = 0.01;
const LOW_CTR_OTHERS = 0.008;

class Environment {
  readonly rates: Float64Array;
  bestRate = 0;
  private readonly random: SeededRandom;
  private readonly rewards: SeededRandom;
  private readonly replaceProbability: number;

  constructor(scenario: ScenarioName, arms: number, seed: number) {
    this.random = new SeededRandom(seed);
    this.rewards = new SeededRandom(seed ^ 0x5bd1e995);
    this.rates = new Float64Array(arms);
    if (scenario === 'chapelle-li') {
      this.replaceProbability = REPLACE_PROBABILITY;
      for (let k = 0; k < arms; k++) this.rates[k] = sampleBeta(this.random, 4, 4);
    } else {
      this.replaceProbability = 0;
      this.rates.fill(LOW_CTR_OTHERS);
      this.rates[this.random.nextInt(arms)] = LOW_CTR_BEST;
    }
    this.updateBest();
  }

  /** Called at the start of every step; returns the replaced arm or -1. */
  maybeReplace(): number {
    if (this.replaceProbability === 0 || this.random.next() >= this.replaceProbability) return -1;
    const arm = this.random.nextInt(this.rates.length);
    this.rates[arm] = sampleBeta(this.random, 4, 4);
    this.updateBest();
    return arm;
  }

  pull(arm: number): number {
    return this.rewards.next() < this.rates[arm] ? 1 : 0;
  }

  private updateBest(): void {
    let best = 0;
    for (let k = 0; k < this.rates.length; k++) if (this.rates[k] > best) best = this.rates[k];
    this.bestRate = best;
  }
}

/** Per-arm counts the policy has seen, plus feedback waiting for the next batch. */
class Statistics {
  readonly successes: Float64Array;
  readonly failures: Float64Array;
  private readonly pendingSuccesses: Float64Array;
  private readonly pendingFailures: Float64Array;
  /** Observations applied so far, over all arms ever played (UCB's t). */
  observations = 0;

  constructor(arms: number) {
    this.successes = new Float64Array(arms);
    this.failures = new Float64Array(arms);
    this.pendingSuccesses = new Float64Array(arms);
    this.pendingFailures = new Float64Array(arms);
  }

  record(arm: number, reward: number): void {
    if (reward === 1) this.pendingSuccesses[arm] += 1;
    else this.pendingFailures[arm] += 1;
  }

  flush(): void {
    for (let k = 0; k < this.successes.length; k++) {
      this.observations += this.pendingSuccesses[k] + this.pendingFailures[k];
      this.successes[k] += this.pendingSuccesses[k];
      this.failures[k] += this.pendingFailures[k];
      this.pendingSuccesses[k] = 0;
      this.pendingFailures[k] = 0;
    }
  }

  forget(arm: number): void {
    this.successes[arm] = 0;
    this.failures[arm] = 0;
    this.pendingSuccesses[arm] = 0;
    this.pendingFailures[arm] = 0;
  }
}

interface Policy {
  choose(): number;
  /** After a batch of feedback was applied, or an arm was forgotten. */
  refresh(arm?: number): void;
}

/**
 * Thompson sampling: one Beta(1 + S, 1 + F) draw per arm per step, play the largest. The gamma
 * sampler's constants (d = a − 1/3, c = 1/√(9d)) change only when the counts do, so they are kept
 * per arm.
 */
function thompson(stats: Statistics, random: SeededRandom): Policy {
  const arms = stats.successes.length;
  const dSuccess = new Float64Array(arms);
  const cSuccess = new Float64Array(arms);
  const dFailure = new Float64Array(arms);
  const cFailure = new Float64Array(arms);
  const prepare = (k: number) => {
    dSuccess[k] = 1 + stats.successes[k] - 1 / 3;
    cSuccess[k] = 1 / Math.sqrt(9 * dSuccess[k]);
    dFailure[k] = 1 + stats.failures[k] - 1 / 3;
    cFailure[k] = 1 / Math.sqrt(9 * dFailure[k]);
  };
  for (let k = 0; k < arms; k++) prepare(k);
  return {
    choose() {
      let chosen = 0;
      let best = -1;
      for (let k = 0; k < arms; k++) {
        const x = sampleGammaPrepared(random, dSuccess[k], cSuccess[k]);
        const y = sampleGammaPrepared(random, dFailure[k], cFailure[k]);
        const draw = x / (x + y);
        if (draw > best) {
          best = draw;
          chosen = k;
        }
      }
      return chosen;
    },
    refresh(arm?: number) {
      if (arm !== undefined) prepare(arm);
      else for (let k = 0; k < arms; k++) prepare(k);
    },
  };
}

/** UCB1 (Auer, Cesa-Bianchi & Fischer 2002): arms never observed first, then mean + √(2 ln t / n). */
function ucb(stats: Statistics): Policy {
  const arms = stats.successes.length;
  const mean = new Float64Array(arms);
  const inverseCount = new Float64Array(arms);
  const refreshArm = (k: number) => {
    const n = stats.successes[k] + stats.failures[k];
    mean[k] = n > 0 ? stats.successes[k] / n : 0;
    inverseCount[k] = n > 0 ? 1 / n : Infinity;
  };
  let logTime = 0;
  return {
    choose() {
      let chosen = 0;
      let best = -Infinity;
      for (let k = 0; k < arms; k++) {
        if (inverseCount[k] === Infinity) return k;
        const index = mean[k] + Math.sqrt(2 * logTime * inverseCount[k]);
        if (index > best) {
          best = index;
          chosen = k;
        }
      }
      return chosen;
    },
    refresh(arm?: number) {
      logTime = Math.log(Math.max(1, stats.observations));
      if (arm !== undefined) refreshArm(arm);
      else for (let k = 0; k < arms; k++) refreshArm(k);
    },
  };
}

function bernoulliDivergence(p: number, q: number): number {
  const a = p > 0 ? p * Math.log(p / q) : 0;
  const b = p < 1 ? (1 - p) * Math.log((1 - p) / (1 - q)) : 0;
  return a + b;
}

/**
 * KL-UCB (Garivier & Cappé 2011, c = 0): the largest q with n · KL(p̂, q) ≤ ln t, found by bisection.
 * An index moves only with its arm's counts or with ln t, so indices are recomputed when the arm's
 * counts change or ln t has grown by 0.1% since the last full refresh.
 */
function klUcb(stats: Statistics): Policy {
  const arms = stats.successes.length;
  const index = new Float64Array(arms);
  const counted = new Float64Array(arms);
  let logTime = 0;
  let logTimeAtRefresh = -1;
  const refreshArm = (k: number) => {
    const n = stats.successes[k] + stats.failures[k];
    if (n === 0) {
      index[k] = Infinity;
      return;
    }
    const mean = stats.successes[k] / n;
    const budget = logTime / n;
    let low = mean;
    let high = 1;
    for (let iteration = 0; iteration < 25; iteration++) {
      const middle = 0.5 * (low + high);
      if (bernoulliDivergence(mean, middle) > budget) high = middle;
      else low = middle;
    }
    index[k] = low;
  };
  return {
    choose() {
      let chosen = 0;
      for (let k = 1; k < arms; k++) if (index[k] > index[chosen]) chosen = k;
      return chosen;
    },
    refresh(arm?: number) {
      logTime = Math.log(Math.max(1, stats.observations));
      if (arm !== undefined) {
        counted[arm] = 0;
        refreshArm(arm);
        return;
      }
      const everyArm = logTime > logTimeAtRefresh * 1.001;
      if (everyArm) logTimeAtRefresh = logTime;
      for (let k = 0; k < arms; k++) {
        const n = stats.successes[k] + stats.failures[k];
        if (everyArm || n !== counted[k]) {
          counted[k] = n;
          refreshArm(k);
        }
      }
    },
  };
}

/** ε-greedy with a fixed ε = 0.1: explore uniformly, otherwise play the best mean (unobserved arms first). */
function epsilonGreedy(stats: Statistics, random: SeededRandom): Policy {
  const arms = stats.successes.length;
  const mean = new Float64Array(arms);
  const refreshArm = (k: number) => {
    const n = stats.successes[k] + stats.failures[k];
    mean[k] = n > 0 ? stats.successes[k] / n : Infinity;
  };
  return {
    choose() {
      if (random.next() < EPSILON) return random.nextInt(arms);
      let chosen = 0;
      for (let k = 1; k < arms; k++) if (mean[k] > mean[chosen]) chosen = k;
      return chosen;
    },
    refresh(arm?: number) {
      if (arm !== undefined) refreshArm(arm);
      else for (let k = 0; k < arms; k++) refreshArm(k);
    },
  };
}

function uniform(arms: number, random: SeededRandom): Policy {
  return { choose: () => random.nextInt(arms), refresh: () => undefined };
}

function createPolicy(name: PolicyName, stats: Statistics, random: SeededRandom): Policy {
  switch (name) {
    case 'thompson':
      return thompson(stats, random);
    case 'ucb':
      return ucb(stats);
    case 'klucb':
      return klUcb(stats);
    case 'egreedy':
      return epsilonGreedy(stats, random);
    case 'uniform':
      return uniform(stats.successes.length, random);
  }
}

export function runEpisode(episode: Episode): EpisodeResult {
  const started = process.hrtime.bigint();
  const environment = new Environment(episode.scenario, episode.arms, episode.environmentSeed);
  const stats = new Statistics(episode.arms);
  const policy = createPolicy(episode.policy, stats, new SeededRandom(episode.policySeed));
  policy.refresh();
  let regret = 0;
  let untilFlush = episode.delta;
  for (let step = 0; step < episode.horizon; step++) {
    const replaced = environment.maybeReplace();
    if (replaced >= 0) {
      stats.forget(replaced);
      policy.refresh(replaced);
    }
    const arm = policy.choose();
    regret += environment.bestRate - environment.rates[arm];
    stats.record(arm, environment.pull(arm));
    if (--untilFlush === 0) {
      stats.flush();
      policy.refresh();
      untilFlush = episode.delta;
    }
  }
  return { regret, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
