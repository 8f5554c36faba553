/** The Beta maths the posterior chart needs: the optimiser's own densities, and a range to draw them over. */

// The optimiser's pure Beta module (no Nest, no I/O), not its index, which would bring Nest into the
// browser bundle: the chart draws the very densities the bandit decides with.
import { betaMean, betaPdf, betaVariance, type BetaParams } from '../../../libs/optimizer/src/beta';

export { betaMean, betaPdf, type BetaParams };

export function betaSd(params: BetaParams): number {
  return Math.sqrt(betaVariance(params));
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
