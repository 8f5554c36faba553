import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SeededRandom, sampleBeta } from '@adloom/optimizer';
import { Episode, EpisodeResult, POLICY_LABELS, PolicyName } from './simulate';

/**
 * Reproduces Chapelle & Li (2011), Table 1 (regret of Thompson sampling and UCB when feedback
 * arrives every δ steps), adds ε-greedy and uniform random as baselines, and runs a low-CTR case
 * closer to ads (best arm 1.0%, nine at 0.8%).
 *
 *   node dist/bench/bandit/main.js [--reps 20] [--horizon 1000000] [--workers 2]
 */

const PUBLISHED: Partial<Record<PolicyName, Record<number, number>>> = {
  thompson: { 1: 9105, 10: 9049, 100: 11550 },
  ucb: { 1: 24145, 10: 25662, 100: 37141 },
};
const DELTAS = [1, 10, 100];
const POLICIES: PolicyName[] = ['thompson', 'ucb', 'klucb', 'egreedy', 'uniform'];
const ARMS = 10;

interface Options {
  reps: number;
  horizon: number;
  workers: number;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    reps: 20,
    horizon: 1_000_000,
    workers: Math.max(1, Math.min(2, availableParallelism())),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i].replace(/^--/, '');
    if (!(flag in options)) throw new Error(`unknown flag ${argv[i]} (use --reps, --horizon, --workers)`);
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${flag} needs a positive integer`);
    options[flag as keyof Options] = value;
  }
  return options;
}

interface Task {
  key: string;
  episode: Episode;
}

function buildTasks(options: Options): Task[] {
  const tasks: Task[] = [];
  for (let rep = 0; rep < options.reps; rep++) {
    // The same environment seed for every policy and δ within a repetition.
    const environmentSeed = 1_000_003 * (rep + 1);
    DELTAS.forEach((delta, d) => {
      POLICIES.forEach((policy, p) => {
        tasks.push({
          key: `chapelle-li/${policy}/${delta}`,
          episode: {
            policy,
            scenario: 'chapelle-li',
            arms: ARMS,
            horizon: options.horizon,
            delta,
            environmentSeed,
            policySeed: 7919 * (rep + 1) + 101 * (d + 1) + p,
          },
        });
      });
    });
    POLICIES.forEach((policy, p) => {
      tasks.push({
        key: `low-ctr/${policy}/1`,
        episode: {
          policy,
          scenario: 'low-ctr',
          arms: ARMS,
          horizon: options.horizon,
          delta: 1,
          environmentSeed: environmentSeed + 17,
          policySeed: 104_729 * (rep + 1) + p,
        },
      });
    });
  }
  // Thompson episodes are the slow ones; start them first so the workers finish together.
  return tasks.sort(
    (a, b) => Number(b.episode.policy === 'thompson') - Number(a.episode.policy === 'thompson'),
  );
}

async function runAll(tasks: readonly Task[], workerCount: number): Promise<EpisodeResult[]> {
  const results = new Array<EpisodeResult>(tasks.length);
  let next = 0;
  let done = 0;
  const workers = Array.from({ length: workerCount }, () => new Worker(join(__dirname, 'worker.js')));
  try {
    await new Promise<void>((resolve, reject) => {
      const feed = (worker: Worker) => {
        if (next < tasks.length) {
          const id = next++;
          worker.postMessage({ id, episode: tasks[id].episode });
        }
      };
      for (const worker of workers) {
        worker.on('message', ({ id, result }: { id: number; result: EpisodeResult }) => {
          results[id] = result;
          done += 1;
          if (done % 20 === 0 || done === tasks.length)
            process.stderr.write(`\r${done}/${tasks.length} episodes`);
          if (done === tasks.length) resolve();
          else feed(worker);
        });
        worker.on('error', reject);
        feed(worker);
      }
    });
  } finally {
    process.stderr.write('\n');
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}

function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance =
    values.length > 1 ? values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, sd: Math.sqrt(variance) };
}

/** Draws per second of the Beta sampler Thompson sampling uses, on this thread. */
function measureBetaSampler(): number {
  const random = new SeededRandom(99);
  const draws = 2_000_000;
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < draws; i++) sink += sampleBeta(random, 1 + (i & 1023), 1 + (i & 4095));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (sink < 0) console.log(sink);
  return draws / seconds;
}

const format = (value: number) => Math.round(value).toLocaleString('en-US');
const pad = (text: string, width: number) => text.padEnd(width);

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = process.hrtime.bigint();
  const betaDrawsPerSecond = measureBetaSampler();
  const tasks = buildTasks(options);
  const results = await runAll(tasks, options.workers);

  const byKey = new Map<string, { regrets: number[]; seconds: number[] }>();
  tasks.forEach((task, i) => {
    const entry = byKey.get(task.key) ?? { regrets: [], seconds: [] };
    entry.regrets.push(results[i].regret);
    entry.seconds.push(results[i].seconds);
    byKey.set(task.key, entry);
  });
  const summary = (key: string) => meanAndSd(byKey.get(key)!.regrets);

  const figures: Record<string, number | boolean | null> = {};
  // The published figures are for a horizon of 10^6; shorter runs are printed without them.
  const comparable = options.horizon === 1_000_000;
  const lines: string[] = [];
  lines.push(
    `Chapelle & Li (2011) Table 1: ${ARMS} arms, rates ~ Beta(4,4), one arm replaced with probability 1e-3 per step,`,
    `horizon ${format(options.horizon)}, ${options.reps} repetitions (paper: 100), regret mean ± sd.`,
    "The paper's UCB column is printed beside both UCB rows.",
    '',
    pad('policy', 30) + DELTAS.map((delta) => pad(`δ = ${delta}`, 40)).join(''),
  );
  for (const policy of POLICIES) {
    const cells = DELTAS.map((delta) => {
      const { mean, sd } = summary(`chapelle-li/${policy}/${delta}`);
      figures[`${policy}_regret_delta_${delta}`] = Math.round(mean);
      const published = comparable ? PUBLISHED[policy === 'klucb' ? 'ucb' : policy]?.[delta] : undefined;
      const beside = published
        ? ` (paper ${format(published)}, ${mean >= published ? '+' : ''}${((100 * (mean - published)) / published).toFixed(1)}%)`
        : '';
      return pad(`${format(mean)} ± ${format(sd)}${beside}`, 40);
    });
    lines.push(pad(POLICY_LABELS[policy], 30) + cells.join(''));
  }

  lines.push(
    '',
    `Low CTR: ${ARMS} arms, best 1.0%, others 0.8%, no replacement, δ = 1, horizon ${format(options.horizon)}`,
  );
  for (const policy of POLICIES) {
    const { mean, sd } = summary(`low-ctr/${policy}/1`);
    figures[`low_ctr_${policy}_regret`] = Math.round(mean * 10) / 10;
    lines.push(pad(POLICY_LABELS[policy], 30) + `${format(mean)} ± ${format(sd)}`);
  }

  const checks = DELTAS.map((delta) => {
    const thompson = summary(`chapelle-li/thompson/${delta}`).mean;
    const egreedy = summary(`chapelle-li/egreedy/${delta}`).mean;
    const published = PUBLISHED.thompson![delta];
    return {
      delta,
      withinTenPercent: comparable ? Math.abs(thompson - published) <= 0.1 * published : null,
      twiceBetter: 2 * thompson <= egreedy,
    };
  });
  lines.push('', 'Checks (Thompson within ±10% of the paper; Thompson ≤ ½ ε-greedy):');
  for (const check of checks) {
    lines.push(
      `  δ = ${check.delta}: within 10% ${check.withinTenPercent === null ? 'n/a (horizon is not 10^6)' : check.withinTenPercent ? 'yes' : 'NO'}, ` +
        `≥ 2× better than ε-greedy ${check.twiceBetter ? 'yes' : 'NO'}`,
    );
  }

  const thompsonSeconds = DELTAS.flatMap((delta) => byKey.get(`chapelle-li/thompson/${delta}`)!.seconds);
  const secondsPerThompsonRun = meanAndSd(thompsonSeconds).mean;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  lines.push(
    '',
    `Beta sampler: ${format(betaDrawsPerSecond)} draws/s on one thread; a Thompson episode (${format(ARMS * options.horizon)} Beta draws) ` +
      `took ${secondsPerThompsonRun.toFixed(2)} s on average; ${tasks.length} episodes on ${options.workers} workers in ${seconds.toFixed(1)} s.`,
  );
  console.log(lines.join('\n'));
  console.log(
    JSON.stringify({
      bench: 'bandit',
      ...figures,
      thompson_within_10pct_of_paper: comparable ? checks.every((check) => check.withinTenPercent) : null,
      thompson_at_least_2x_better_than_egreedy: checks.every((check) => check.twiceBetter),
      reps: options.reps,
      horizon: options.horizon,
      workers: options.workers,
      beta_draws_per_second: Math.round(betaDrawsPerSecond),
      seconds_per_thompson_episode: Math.round(secondsPerThompsonRun * 1000) / 1000,
      seconds: Math.round(seconds * 10) / 10,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
