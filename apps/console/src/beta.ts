/** The Beta distribution maths the posterior chart needs: density curves and a range to draw them over. */

export interface BetaParams {
  alpha: number;
  beta: number;
}

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = 0.99999999999980993;
  LANCZOS.forEach((coefficient, index) => (sum += coefficient / (z + index + 1)));
  const t = z + LANCZOS.length - 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The density of Beta(α, β) at x, computed in logs so large counts do not overflow. */
export function betaPdf(x: number, { alpha, beta }: BetaParams): number {
  if (x < 0 || x > 1) return 0;
  if ((x === 0 && alpha < 1) || (x === 1 && beta < 1)) return Infinity;
  if ((x === 0 && alpha > 1) || (x === 1 && beta > 1)) return 0;
  const logBeta = logGamma(alpha) + logGamma(beta) - logGamma(alpha + beta);
  const a = alpha === 1 ? 0 : (alpha - 1) * Math.log(x);
  const b = beta === 1 ? 0 : (beta - 1) * Math.log(1 - x);
  return Math.exp(a + b - logBeta);
}

export function betaMean({ alpha, beta }: BetaParams): number {
  return alpha / (alpha + beta);
}

export function betaSd({ alpha, beta }: BetaParams): number {
  const total = alpha + beta;
  return Math.sqrt((alpha * beta) / (total * total * (total + 1)));
}

/** An x range holding (nearly) all the mass of every posterior: mean ± 4.5 sd, within [0, 1]. */
export function plotRange(posteriors: readonly BetaParams[]): [number, number] {
  if (posteriors.length === 0) return [0, 1];
  const low = Math.min(...posteriors.map((p) => betaMean(p) - 4.5 * betaSd(p)));
  const high = Math.max(...posteriors.map((p) => betaMean(p) + 4.5 * betaSd(p)));
  return [Math.max(0, low), Math.min(1, high)];
}

/** `points` samples of the density, evenly spaced over [from, to]. */
export function densityCurve(
  params: BetaParams,
  [from, to]: [number, number],
  points = 160,
): { x: number; y: number }[] {
  return Array.from({ length: points }, (_, index) => {
    const x = from + ((to - from) * index) / (points - 1);
    const y = betaPdf(x, params);
    return { x, y: Number.isFinite(y) ? y : 0 };
  });
}
