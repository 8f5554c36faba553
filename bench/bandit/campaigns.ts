import {
  ClickCohort,
  DelayCell,
  GuardedArm,
  NO_WINNER,
  SeededRandom,
  WinnerState,
  compareArms,
  discountFactor,
  estimateDelayCdf,
  guardSegment,
  maturedCounts,
} from '@adloom/optimizer';

/**
 * Simulated campaigns run through the optimiser's own decision code (`guardSegment`: P(best) weights
 * with the floor and burn-in, guarded pauses, the winner rule, hourly discounting): one segment, one
 * optimiser run per simulated hour, the hour's impressions split by the weights then in force.
 */

export type CampaignScenario = 'guards' | 'fatigue' | 'delay';

export interface CampaignTask {
  scenario: CampaignScenario;
  seed: number;
  /** Discount half-life in hours; null is stationary. */
  halfLife: number | null;
  /** false: plain Thompson weights, nothing paused, no winner rule (the baseline). */
  guarded: boolean;
}

export interface CampaignResult {
  /** guards: the truly best arm was paused in some run. */
  bestEverPaused: boolean;
  /** guards: winners declared and declarations later withdrawn. */
  declarations: number;
  withdrawals: number;
  /** guards: the final declared winner is the truly best arm (null when none). */
  declaredBest: boolean | null;
  regret: number;
  /** delay: relative errors (estimate ÷ truth − 1) of the corrected and naive CVR, one per variant. */
  correctedErrors: number[];
  naiveErrors: number[];
}

const HOUR_MS = 3_600_000;
const START = Date.UTC(2026, 0, 1);

interface Arm {
  successes: number;
  trials: number;
  lifetime: number;
}

/** Discounted Beta(1 + S, 1 + T − S) per arm, P(best) and expected loss by quadrature. */
function posteriors(arms: readonly Arm[]): GuardedArm[] {
  const params = arms.map((arm) => ({ alpha: 1 + arm.successes, beta: 1 + arm.trials - arm.successes }));
  const { probabilityBest, expectedLoss } = compareArms(params);
  return params.map((p, k) => ({
    variantId: String(k),
    ...p,
    trials: arms[k].trials,
    probabilityBest: probabilityBest[k],
    expectedLoss: expectedLoss[k],
  }));
}

interface Plan {
  rates: (hour: number) => number[];
  hours: number;
  perHour: number;
  best: number;
}

function guardsPlan(random: SeededRandom): Plan {
  // 3–8 arms; the best has a 10–60% relative lift over the second best; base CTR 2–6%.
  const count = 3 + random.nextInt(6);
  const base = 0.02 + 0.04 * random.next();
  const lift = 0.1 + 0.5 * random.next();
  const rates = Array.from({ length: count }, (_, k) =>
    k === 0 ? base : base * (0.7 + 0.3 * random.next()),
  );
  const best = random.nextInt(count);
  [rates[0], rates[best]] = [rates[best], rates[0]];
  rates[best] = base * (1 + lift);
  return { rates: () => rates, hours: 96, perHour: 1000, best };
}

function fatiguePlan(random: SeededRandom): Plan {
  // The best arm starts 25% above the steady one and loses 40% of its CTR linearly over the horizon;
  // two more arms sit 20% below the steady one.
  const base = 0.02 + 0.04 * random.next();
  const hours = 168;
  const order = [0, 1, 2, 3].sort(() => random.next() - 0.5);
  return {
    rates: (hour) => {
      const fading = base * 1.25 * (1 - (0.4 * hour) / hours);
      const values = [fading, base, base * 0.8, base * 0.8];
      return order.map((k) => values[k]);
    },
    hours,
    perHour: 5000,
    best: order.indexOf(0),
  };
}

function emptyResult(): CampaignResult {
  return {
    bestEverPaused: false,
    declarations: 0,
    withdrawals: 0,
    declaredBest: null,
    regret: 0,
    correctedErrors: [],
    naiveErrors: [],
  };
}

/**
 * A Binomial(n, p) draw: exact (n coin flips) for small expected counts, otherwise the normal
 * approximation with continuity correction (n·p·(1 − p) ≥ 25 keeps it within a fraction of a count),
 * which keeps a 168-hour campaign of 5,000 impressions an hour to a few thousand draws.
 */
function binomial(random: SeededRandom, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const variance = n * p * (1 - p);
  if (variance < 25) {
    let successes = 0;
    for (let i = 0; i < n; i++) if (random.next() < p) successes++;
    return successes;
  }
  const draw = Math.round(n * p + Math.sqrt(variance) * random.nextNormal());
  return Math.min(n, Math.max(0, draw));
}

/** The hour's impressions split over the arms by the weights (a multinomial, by sequential binomials). */
function split(random: SeededRandom, total: number, weights: readonly number[]): number[] {
  const served = new Array<number>(weights.length).fill(0);
  let remaining = total;
  let mass = weights.reduce((sum, w) => sum + w, 0);
  for (let k = 0; k < weights.length && remaining > 0; k++) {
    served[k] =
      k === weights.length - 1 ? remaining : binomial(random, remaining, mass > 0 ? weights[k] / mass : 0);
    remaining -= served[k];
    mass -= weights[k];
  }
  return served;
}

function runBandit(task: CampaignTask, plan: Plan, random: SeededRandom): CampaignResult {
  const result = emptyResult();
  const count = plan.rates(0).length;
  const arms: Arm[] = Array.from({ length: count }, () => ({ successes: 0, trials: 0, lifetime: 0 }));
  let weights = arms.map(() => 1 / count);
  let winner: WinnerState = NO_WINNER;
  const keep = discountFactor(1, task.halfLife);
  for (let hour = 0; hour < plan.hours; hour++) {
    const rates = plan.rates(hour);
    const bestRate = Math.max(...rates);
    for (const arm of arms) {
      arm.successes *= keep;
      arm.trials *= keep;
    }
    const served = split(random, plan.perHour, weights);
    for (let k = 0; k < count; k++) {
      const clicks = binomial(random, served[k], rates[k]);
      arms[k].successes += clicks;
      arms[k].trials += served[k];
      arms[k].lifetime += served[k];
      result.regret += served[k] * (bestRate - rates[k]);
    }
    const evidence = posteriors(arms);
    const now = new Date(START + (hour + 1) * HOUR_MS).toISOString();
    if (!task.guarded) {
      const total = evidence.reduce((sum, arm) => sum + arm.probabilityBest, 0);
      const floor = 0.01;
      weights = evidence.map((arm) => floor + (1 - count * floor) * (arm.probabilityBest / total));
      continue;
    }
    const step = guardSegment(
      evidence,
      arms.map((arm) => arm.lifetime),
      winner,
      now,
    );
    weights = step.weights;
    winner = step.winner.state;
    if (step.paused.has(String(plan.best))) result.bestEverPaused = true;
    if (step.winner.declared) result.declarations++;
    if (step.winner.withdrawn) result.withdrawals++;
  }
  result.declaredBest = winner.declared ? winner.declared.variantId === String(plan.best) : null;
  return result;
}

/**
 * A young cvr campaign: three variants with true CVRs of 3–12%, 40–80 clicks an hour each for 24
 * hours, conversions after an exponential delay of mean 6 h; judged at the end of hour 24, when about
 * a quarter of the eventual conversions have not arrived.
 */
function runDelay(random: SeededRandom): CampaignResult {
  const hours = 24;
  const meanDelay = 6;
  const cells = new Map<string, DelayCell>();
  const variants = Array.from({ length: 3 }, () => ({
    cvr: 0.03 + 0.09 * random.next(),
    clicksPerHour: 40 + random.nextInt(41),
    cohorts: [] as ClickCohort[],
  }));
  for (const variant of variants) {
    for (let hour = 0; hour < hours; hour++) {
      const cohort: ClickCohort = { clickHour: hour, clicks: variant.clicksPerHour, conversions: 0 };
      for (let c = 0; c < variant.clicksPerHour; c++) {
        if (random.next() >= variant.cvr) continue;
        const clickAt = hour + random.next();
        const delay = -meanDelay * Math.log(1 - random.next());
        if (clickAt + delay > hours) continue; // not arrived yet
        cohort.conversions++;
        const key = `${hour}|${Math.floor(delay)}`;
        const cell = cells.get(key) ?? { clickHour: hour, delayHours: Math.floor(delay), conversions: 0 };
        cell.conversions++;
        cells.set(key, cell);
      }
      variant.cohorts.push(cohort);
    }
  }
  const cdf = estimateDelayCdf([...cells.values()], hours);
  const result = emptyResult();
  for (const variant of variants) {
    const corrected = maturedCounts(variant.cohorts, cdf, hours);
    const naive = maturedCounts(variant.cohorts, null, hours);
    result.correctedErrors.push(corrected.successes / corrected.trials / variant.cvr - 1);
    result.naiveErrors.push(naive.successes / naive.trials / variant.cvr - 1);
  }
  return result;
}

export function runCampaign(task: CampaignTask): CampaignResult {
  const random = new SeededRandom(task.seed);
  if (task.scenario === 'delay') return runDelay(random);
  // The rates come first from the seed, so policies compared on one seed face the same campaign.
  const plan = task.scenario === 'guards' ? guardsPlan(random) : fatiguePlan(random);
  return runBandit(task, plan, random);
}
