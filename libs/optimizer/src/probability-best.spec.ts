import { BetaParams, betaQuantile } from './beta';
import { OptimizerError } from './errors';
import {
  chanceToBeatClosedForm,
  chanceToBeatControl,
  chancesToBeat,
  compareArms,
  expectedLoss,
  probabilityBest,
} from './probability-best';
import { SeededRandom, sampleBeta } from './random';
import { logBeta, regularizedIncompleteBeta } from './special-functions';

// Jest runs specs in a vm context where every `Math.x` lookup is slow; the reference loops below make
// millions of calls, so they use local bindings.
const { exp, log, log1p, max } = Math;

/** Posterior under a Beta(1, 1) prior. */
const posterior = (clicks: number, impressions: number): BetaParams => ({
  alpha: 1 + clicks,
  beta: 1 + impressions - clicks,
});

/**
 * Independent reference: midpoint rule on a uniform grid over [0, 1]. Each density is normalised by
 * its own grid sum (no log-gamma) and each CDF is the running sum of the density, so nothing is shared
 * with the code under test.
 */
function referenceIntegration(arms: readonly BetaParams[], points = 1_000_000) {
  const h = 1 / points;
  const count = arms.length;
  const logDensity = (k: number, x: number) => (arms[k].alpha - 1) * log(x) + (arms[k].beta - 1) * log1p(-x);
  const peak = new Float64Array(count).fill(-Infinity);
  const norm = new Float64Array(count);
  for (let i = 0; i < points; i++) {
    const x = (i + 0.5) * h;
    for (let k = 0; k < count; k++) {
      const value = logDensity(k, x);
      if (value > peak[k]) peak[k] = value;
    }
  }
  for (let i = 0; i < points; i++) {
    const x = (i + 0.5) * h;
    for (let k = 0; k < count; k++) norm[k] += exp(logDensity(k, x) - peak[k]) * h;
  }
  const density = new Float64Array(count);
  const cdfBefore = new Float64Array(count);
  const cdfAt = new Float64Array(count);
  const best = new Array<number>(count).fill(0);
  let expectedMax = 0;
  for (let i = 0; i < points; i++) {
    const x = (i + 0.5) * h;
    for (let k = 0; k < count; k++) {
      density[k] = exp(logDensity(k, x) - peak[k]) / norm[k];
      cdfAt[k] = cdfBefore[k] + 0.5 * h * density[k];
    }
    for (let k = 0; k < count; k++) {
      let others = 1;
      for (let j = 0; j < count; j++) if (j !== k) others *= cdfAt[j];
      best[k] += h * density[k] * others;
      expectedMax += h * x * density[k] * others;
    }
    for (let k = 0; k < count; k++) cdfBefore[k] += h * density[k];
  }
  const loss = arms.map(({ alpha, beta }) => expectedMax - alpha / (alpha + beta));
  return { best, loss };
}

// prettier-ignore
const QUANTILE_CUTS = [
  1e-10, 1e-8, 1e-6, 1e-4, 1e-3, 0.01, 0.04, 0.1, 0.2, 0.35, 0.5,
  0.65, 0.8, 0.9, 0.96, 0.99, 1 - 1e-3, 1 - 1e-4, 1 - 1e-6, 1 - 1e-8, 1 - 1e-10,
];
/** 8-point Gauss–Legendre rule on [−1, 1], from the tables. */
// prettier-ignore
const GAUSS_8 = [
  [-0.9602898564975363, 0.1012285362903763], [-0.7966664774136267, 0.2223810344533745],
  [-0.525532409916329, 0.3137066458778873], [-0.1834346424956498, 0.362683783378362],
  [0.1834346424956498, 0.362683783378362], [0.525532409916329, 0.3137066458778873],
  [0.7966664774136267, 0.2223810344533745], [0.9602898564975363, 0.1012285362903763],
];
const logitOf = (x: number) =>
  x <= 0 ? -700 : x >= 1 ? 36.7 : max(-700, Math.min(36.7, log(x) - log1p(-x)));

/**
 * Second reference, for arms a uniform grid cannot resolve (spikes near 0 or 1, thousands of arms' worth
 * of shapes): Gauss–Legendre in logit space on pieces cut at 21 quantiles of every arm, so each arm is
 * resolved on its own scale with no step rule (what the code under test adapts). Its pieces, and so its
 * work, grow with the square of the arm count: fine for a few arms.
 */
function quantileGridReference(arms: readonly BetaParams[]) {
  const count = arms.length;
  const cuts = arms.map((arm) => QUANTILE_CUTS.map((p) => logitOf(betaQuantile(p, arm))));
  const lower = cuts.map((armCuts) => armCuts[0]);
  const upper = cuts.map((armCuts) => armCuts[armCuts.length - 1]);
  const start = max(...lower);
  const end = max(...upper);
  const points = [...new Set([start, end, ...cuts.flat().filter((t) => t > start && t < end)])].sort(
    (a, b) => a - b,
  );
  const logNorm = arms.map(({ alpha, beta }) => logBeta(alpha, beta));
  const best = new Array<number>(count).fill(0);
  const density = new Float64Array(count);
  const cdf = new Float64Array(count);
  let expectedMax = 0;
  for (let piece = 0; piece + 1 < points.length; piece++) {
    const half = 0.5 * (points[piece + 1] - points[piece]);
    const middle = 0.5 * (points[piece + 1] + points[piece]);
    for (const [node, nodeWeight] of GAUSS_8) {
      const t = middle + half * node;
      const softplus = t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
      const x = exp(t - softplus);
      arms.forEach(({ alpha, beta }, k) => {
        const inside = t >= lower[k] && t <= upper[k];
        density[k] = inside ? exp(alpha * (t - softplus) - beta * softplus - logNorm[k]) : 0;
        cdf[k] =
          t < lower[k] ? 0 : t > upper[k] ? 1 : regularizedIncompleteBeta(x, alpha, beta, exp(-softplus));
      });
      for (let k = 0; k < count; k++) {
        let others = 1;
        for (let j = 0; j < count; j++) if (j !== k) others *= cdf[j];
        const contribution = half * nodeWeight * density[k] * others;
        best[k] += contribution;
        expectedMax += contribution * x;
      }
    }
  }
  const loss = arms.map(({ alpha, beta }) => max(0, expectedMax - alpha / (alpha + beta)));
  return { best, loss };
}

/** Arms of every shape: tiny and huge samples, rates near 0, 0.5 and 1, fractional (pooled) priors. */
function randomArms(random: SeededRandom, count: number): BetaParams[] {
  return Array.from({ length: count }, () => {
    const trials = Math.floor(exp(random.next() * 13));
    const rate = random.next() < 0.6 ? random.next() * 0.05 : random.next();
    const successes = Math.round(rate * trials);
    const prior =
      random.next() < 0.3
        ? { alpha: 0.05 + random.next() * 3, beta: 0.5 + random.next() * 60 }
        : { alpha: 1, beta: 1 };
    return { alpha: prior.alpha + successes, beta: prior.beta + trials - successes };
  });
}

/** One segment of `count` arms with `trials` each and rates spread over 1–3%. */
function segmentOfArms(count: number, trials: number, seed: number): BetaParams[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () =>
    posterior(Math.round((0.01 + 0.02 * random.next()) * trials), trials),
  );
}

function monteCarloBest(arms: readonly BetaParams[], draws: number, seed: number) {
  const random = new SeededRandom(seed);
  const wins = new Array<number>(arms.length).fill(0);
  const lossSums = new Array<number>(arms.length).fill(0);
  const sample = new Float64Array(arms.length);
  for (let d = 0; d < draws; d++) {
    let winner = 0;
    for (let k = 0; k < arms.length; k++) {
      sample[k] = sampleBeta(random, arms[k].alpha, arms[k].beta);
      if (sample[k] > sample[winner]) winner = k;
    }
    wins[winner] += 1;
    for (let k = 0; k < arms.length; k++) lossSums[k] += sample[winner] - sample[k];
  }
  return { best: wins.map((w) => w / draws), loss: lossSums.map((l) => l / draws) };
}

const sum = (values: readonly number[]) => values.reduce((total, v) => total + v, 0);
const maxAbsDifference = (a: readonly number[], b: readonly number[]) =>
  Math.max(...a.map((v, i) => Math.abs(v - b[i])));

const cases: [string, BetaParams[]][] = [
  ['5 vs 9 clicks of 1,000', [posterior(5, 1000), posterior(9, 1000)]],
  ['0 vs 3 clicks of 1,000', [posterior(0, 1000), posterior(3, 1000)]],
  ['0 vs 0 clicks of 1,000', [posterior(0, 1000), posterior(0, 1000)]],
  ['no data at all', [posterior(0, 0), posterior(0, 0), posterior(0, 0)]],
  ['three arms, 100/110/95 of 1,000', [posterior(100, 1000), posterior(110, 1000), posterior(95, 1000)]],
  ['ten arms, 20…38 clicks of 2,000', Array.from({ length: 10 }, (_, i) => posterior(20 + 2 * i, 2000))],
  ['50,000 impressions each, 2.0% vs 2.1%', [posterior(1000, 50_000), posterior(1050, 50_000)]],
  ['two spikes and a sparse arm', [posterior(1000, 50_000), posterior(1050, 50_000), posterior(3, 100)]],
  ['500,000 impressions each, 1.00% vs 1.02%', [posterior(5000, 500_000), posterior(5100, 500_000)]],
  ['clearly separated', [posterior(10, 1000), posterior(100, 1000)]],
];

describe('probabilityBest', () => {
  // The reference's own error is the larger part of the difference (up to 5e-7 for the 500,000-impression
  // spikes); against the quantile grid below the code agrees to ~1e-10.
  it.each(cases)('matches a fine independent integration within 2e-6: %s', (_name, arms) => {
    const { probabilityBest: best, expectedLoss: loss } = compareArms(arms);
    const reference = referenceIntegration(arms);
    expect(maxAbsDifference(best, reference.best)).toBeLessThan(2e-6);
    expect(maxAbsDifference(loss, reference.loss)).toBeLessThan(1e-9);
    expect(Math.abs(sum(best) - 1)).toBeLessThan(1e-8);
  });

  it('matches a quadrature cut at every arm’s quantiles within 1e-9 on arms of every shape', () => {
    const random = new SeededRandom(20261122);
    let worst = 0;
    for (let round = 0; round < 40; round++) {
      const arms = randomArms(random, 2 + random.nextInt(9));
      const { probabilityBest: best, expectedLoss: loss } = compareArms(arms);
      const reference = quantileGridReference(arms);
      worst = max(worst, maxAbsDifference(best, reference.best), maxAbsDifference(loss, reference.loss));
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('takes a segment of 1,000 arms with 10,000 trials each in well under a second', () => {
    const arms = segmentOfArms(1000, 10_000, 2);
    const started = performance.now();
    const best = probabilityBest(arms);
    // About 0.3 s under Jest; the quadrature that cut the axis at every arm's quantiles took over 10 s.
    expect(performance.now() - started).toBeLessThan(3_000);
    // Each arm's cut-off tails move the sum by at most 1e-10.
    expect(Math.abs(sum(best) - 1)).toBeLessThan(1e-7);
    const leader = best.indexOf(max(...best));
    expect(arms[leader].alpha / arms[leader].beta).toBeGreaterThan(0.029);
  });

  it('gives the textbook figure for 5 vs 9 clicks out of 1,000 (about 0.85 for the 9)', () => {
    const [five, nine] = probabilityBest([posterior(5, 1000), posterior(9, 1000)]);
    expect(nine).toBeCloseTo(0.85004, 4);
    expect(five).toBeCloseTo(1 - nine, 9);
  });

  it('splits identical arms evenly', () => {
    const best = probabilityBest(Array.from({ length: 4 }, () => posterior(7, 500)));
    for (const p of best) expect(p).toBeCloseTo(0.25, 8);
  });

  it('agrees with 10^6 seeded Monte Carlo draws, including a prior with alpha < 1', () => {
    const arms = [{ alpha: 0.3, beta: 40 }, posterior(1, 200), posterior(100, 1000)];
    const monteCarlo = monteCarloBest(arms, 1_000_000, 2011);
    const { probabilityBest: best, expectedLoss: loss } = compareArms(arms);
    expect(maxAbsDifference(best, monteCarlo.best)).toBeLessThan(2e-3);
    expect(maxAbsDifference(loss, monteCarlo.loss)).toBeLessThan(2e-4);

    const singular = [{ alpha: 0.3, beta: 40 }, posterior(1, 200)];
    expect(
      maxAbsDifference(probabilityBest(singular), monteCarloBest(singular, 1_000_000, 7).best),
    ).toBeLessThan(2e-3);
  });

  it('handles one arm and no arms, and rejects impossible parameters', () => {
    expect(probabilityBest([posterior(3, 10)])).toEqual([1]);
    expect(probabilityBest([])).toEqual([]);
    expect(() => probabilityBest([{ alpha: 0, beta: 1 }, posterior(1, 2)])).toThrow(/positive/);
    expect(() => compareArms([posterior(1, 2), { alpha: 1, beta: Infinity }])).toThrow(OptimizerError);
  });

  it('gives two arms with no data an even split and the expected loss of two uniforms (1/6)', () => {
    const flat = compareArms([posterior(0, 0), posterior(0, 0)]);
    expect(flat.probabilityBest[0]).toBeCloseTo(0.5, 9);
    expect(flat.expectedLoss[0]).toBeCloseTo(1 / 6, 9);
  });
});

describe('chanceToBeatControl', () => {
  const pairs: [BetaParams, BetaParams][] = [
    [posterior(9, 1000), posterior(5, 1000)],
    [posterior(0, 1000), posterior(3, 1000)],
    [posterior(1050, 50_000), posterior(1000, 50_000)],
    [posterior(40, 300), posterior(120, 1000)],
  ];

  it.each(pairs)('matches the quadrature: arm %o vs control %o', (arm, control) => {
    const quadrature = probabilityBest([control, arm])[1];
    expect(Math.abs(chanceToBeatClosedForm(arm, control) - quadrature)).toBeLessThan(1e-8);
    expect(Math.abs(chanceToBeatControl(arm, control) - quadrature)).toBeLessThan(1e-8);
    expect(chanceToBeatControl(arm, control) + chanceToBeatControl(control, arm)).toBeCloseTo(1, 8);
  });

  it('batches one control against many arms (chancesToBeat), matching the quadrature cut at quantiles', () => {
    const random = new SeededRandom(99);
    let worst = 0;
    for (let round = 0; round < 30; round++) {
      const [control, ...arms] = randomArms(random, 2 + random.nextInt(6));
      const chances = chancesToBeat(arms, control);
      arms.forEach((arm, k) => {
        worst = max(worst, Math.abs(chances[k] - quantileGridReference([control, arm]).best[1]));
        worst = max(worst, Math.abs(chances[k] - chanceToBeatControl(arm, control)));
      });
    }
    expect(worst).toBeLessThan(1e-8);
  });

  it('gives one half against the control itself and 0 or 1 for clear gaps', () => {
    const control = posterior(30, 1000);
    const [same, worse, better] = chancesToBeat([control, posterior(5, 1000), posterior(90, 1000)], control);
    expect(same).toBeCloseTo(0.5, 9);
    expect(worse).toBeLessThan(1e-4);
    expect(better).toBeGreaterThan(1 - 1e-7);
    expect(chancesToBeat([], control)).toEqual([]);
    expect(() => chancesToBeat([control], { alpha: -1, beta: 2 })).toThrow(OptimizerError);
  });

  it('falls back to the quadrature for a non-integer alpha on both sides', () => {
    const arm = { alpha: 9.5, beta: 992.5 };
    const control = { alpha: 5.5, beta: 996.5 };
    expect(chanceToBeatControl(arm, control)).toBeCloseTo(referenceIntegration([control, arm]).best[1], 5);
  });
});

describe('expectedLoss', () => {
  it('is never negative, and about 0 for a clear winner', () => {
    const loss = expectedLoss([posterior(10, 1000), posterior(100, 1000), posterior(50, 1000)]);
    for (const value of loss) expect(value).toBeGreaterThanOrEqual(0);
    expect(loss[1]).toBeLessThan(1e-6);
    expect(loss[0]).toBeCloseTo(0.09, 2);
  });

  it('is larger for the weaker of two close arms', () => {
    const [five, nine] = expectedLoss([posterior(5, 1000), posterior(9, 1000)]);
    expect(five).toBeGreaterThan(nine);
    expect(five - nine).toBeCloseTo(4 / 1002, 9);
  });
});
