import { logBeta, regularizedIncompleteBeta } from './special-functions';

// Module bindings for the quantile iterations (see special-functions.ts).
const { abs, exp, log, log1p, max, min, pow, sqrt } = Math;

/** A Beta(alpha, beta) distribution, e.g. the posterior of a click-through rate. */
export interface BetaParams {
  alpha: number;
  beta: number;
}

export function betaMean({ alpha, beta }: BetaParams): number {
  return alpha / (alpha + beta);
}

export function betaVariance({ alpha, beta }: BetaParams): number {
  const total = alpha + beta;
  return (alpha * beta) / (total * total * (total + 1));
}

export function betaLogPdf(x: number, { alpha, beta }: BetaParams): number {
  if (x < 0 || x > 1) return -Infinity;
  if ((x === 0 && alpha === 1) || (x === 1 && beta === 1)) return -logBeta(alpha, beta);
  return (alpha - 1) * log(x) + (beta - 1) * log1p(-x) - logBeta(alpha, beta);
}

export function betaPdf(x: number, params: BetaParams): number {
  return exp(betaLogPdf(x, params));
}

export function betaCdf(x: number, { alpha, beta }: BetaParams): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return regularizedIncompleteBeta(x, alpha, beta);
}

/** First guess for the quantile (Numerical Recipes, 3rd ed., §6.4), refined by Halley steps below. */
function initialQuantileGuess(p: number, a: number, b: number): number {
  if (a >= 1 && b >= 1) {
    const tailP = p < 0.5 ? p : 1 - p;
    const t = sqrt(-2 * log(tailP));
    let z = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t;
    if (p < 0.5) z = -z;
    const al = (z * z - 3) / 6;
    const h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
    const w = (z * sqrt(al + h)) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5 / 6 - 2 / (3 * h));
    return a / (a + b * exp(2 * w));
  }
  const lna = log(a / (a + b));
  const lnb = log(b / (a + b));
  const t = exp(a * lna) / a;
  const u = exp(b * lnb) / b;
  const w = t + u;
  return p < t / w ? pow(a * w * p, 1 / a) : 1 - pow(b * w * (1 - p), 1 / b);
}

/**
 * Inverse CDF of Beta(alpha, beta): the x with I_x(alpha, beta) = p. Halley's method kept inside a
 * shrinking bracket, so it cannot wander out of (0, 1) even from a poor first guess.
 */
export function betaQuantile(p: number, { alpha: a, beta: b }: BetaParams): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return 0;
  if (p === 1) return 1;
  const logNorm = logBeta(a, b);
  let low = 0;
  let high = 1;
  let x = initialQuantileGuess(p, a, b);
  if (!(x > 0 && x < 1)) x = 0.5;
  for (let iteration = 0; iteration < 200; iteration++) {
    const error = regularizedIncompleteBeta(x, a, b) - p;
    if (error === 0) return x;
    if (error < 0) low = x;
    else high = x;
    const density = exp((a - 1) * log(x) + (b - 1) * log1p(-x) - logNorm);
    let next = NaN;
    if (density > 0 && Number.isFinite(density)) {
      const u = error / density;
      const curvature = (a - 1) / x - (b - 1) / (1 - x);
      next = x - u / (1 - 0.5 * min(1, max(-1, u * curvature)));
    }
    if (!(next > low && next < high)) {
      // Bisect, geometrically in a tail where the bracket spans orders of magnitude.
      if (low === 0) next = high / 16;
      else if (high === 1) next = 1 - (1 - low) / 16;
      else next = high / low > 16 ? sqrt(low * high) : 0.5 * (low + high);
    }
    if (abs(next - x) <= 1e-15 * max(x, 1e-300) || abs(next - x) <= 1e-16 * (1 - x)) return next;
    x = next;
  }
  return x;
}

/** Equal-tailed credible interval, e.g. `level = 0.95` gives the 2.5% and 97.5% quantiles. */
export function betaCredibleInterval(params: BetaParams, level = 0.95): [number, number] {
  const tail = (1 - level) / 2;
  return [betaQuantile(tail, params), betaQuantile(1 - tail, params)];
}
