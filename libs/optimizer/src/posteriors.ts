import { BetaParams, betaCredibleInterval, betaMean } from './beta';
import { OptimizerError } from './errors';

export type Objective = 'ctr' | 'vtr' | 'cvr';

/** Summed engagement of one variant in one segment (e.g. from the hourly rollups). */
export interface EngagementCounts {
  variantId: string;
  segment: string;
  impressions: number;
  starts: number;
  completes: number;
  clicks: number;
  conversions: number;
}

/** Successes out of trials for a Bernoulli rate. */
export interface RateCounts {
  successes: number;
  trials: number;
}

/**
 * The rate each objective optimises:
 * - ctr: clicks / impressions;
 * - vtr: completes / starts (view-through among viewers who started playback, so an autoplay
 *   platform that reports no starts does not pass for a bad video);
 * - cvr: conversions / clicks, the post-click rate. Conversions are attributed to clicks, and
 *   dividing by impressions would make cvr mostly a second ctr; a variant that earns fewer but better
 *   clicks should win on cvr.
 * The denominator is also what burn-in and the minimum sample count.
 */
export function objectiveCounts(counts: EngagementCounts, objective: Objective): RateCounts {
  const [successes, trials] =
    objective === 'ctr'
      ? [counts.clicks, counts.impressions]
      : objective === 'vtr'
        ? [counts.completes, counts.starts]
        : [counts.conversions, counts.clicks];
  if (!(successes >= 0 && trials >= 0) || !Number.isFinite(successes) || !Number.isFinite(trials)) {
    throw new OptimizerError(
      'invalid_counts',
      `counts for variant ${counts.variantId} in segment ${counts.segment} must be non-negative`,
    );
  }
  // Late or duplicated events can push a numerator past its denominator in a rollup; a rate above 1
  // has no Beta posterior, so the numerator is capped.
  return { successes: Math.min(successes, trials), trials };
}

export const UNIFORM_PRIOR: Readonly<BetaParams> = Object.freeze({ alpha: 1, beta: 1 });

export interface PoolingOptions {
  /**
   * Upper bound on the fitted prior's strength alpha₀ + beta₀, in pseudo-trials. Default 100: a
   * segment's own data outweighs what it borrows from the variant's other segments once it has more
   * than 100 trials, the same count that ends burn-in.
   */
  maxStrength?: number;
  /** Lower bound on the strength, so one noisy fit cannot make the prior flatter than Beta(1, 1)'s 2 trials. */
  minStrength?: number;
  /** Fewer trials than this over all segments, or fewer than two segments with trials, gives the fallback. */
  minTotalTrials?: number;
  /** Prior used when the data cannot support a fit. */
  fallback?: BetaParams;
}

export interface FittedPrior extends BetaParams {
  /** True when fitted from the data; false when the fallback was used. */
  pooled: boolean;
}

const DEFAULT_MAX_STRENGTH = 100;
const DEFAULT_MIN_STRENGTH = 2;
const DEFAULT_MIN_TOTAL_TRIALS = 30;

/**
 * Empirical-Bayes Beta prior for one variant from its per-segment counts, by the method of moments
 * for the beta-binomial model. With pooled rate μ = Σy/Σn, S = Σ n_s (y_s/n_s − μ)², and intra-segment
 * correlation ρ = 1/(α₀ + β₀ + 1):
 *   E[S] = μ(1 − μ) [ (m − 1)(1 − ρ) + ρ (N − Σn_s²/N) ]   (m segments, N = Σ n_s)
 * which is solved for ρ. A segment spread no wider than binomial noise (ρ ≤ 0) gets the strength cap:
 * the segments look alike, so they borrow as much as the cap allows. The prior is centred on μ.
 */
export function fitBetaPrior(observations: readonly RateCounts[], options: PoolingOptions = {}): FittedPrior {
  const maxStrength = options.maxStrength ?? DEFAULT_MAX_STRENGTH;
  const minStrength = Math.min(options.minStrength ?? DEFAULT_MIN_STRENGTH, maxStrength);
  const minTotalTrials = options.minTotalTrials ?? DEFAULT_MIN_TOTAL_TRIALS;
  const fallback = { ...(options.fallback ?? UNIFORM_PRIOR), pooled: false };
  if (!(maxStrength > 0)) {
    throw new OptimizerError('invalid_parameters', `maxStrength must be positive (got ${maxStrength})`);
  }

  const observed = observations.filter((o) => o.trials > 0);
  const totalTrials = observed.reduce((sum, o) => sum + o.trials, 0);
  const totalSuccesses = observed.reduce((sum, o) => sum + o.successes, 0);
  if (observed.length < 2 || totalTrials < minTotalTrials) return fallback;
  const mean = totalSuccesses / totalTrials;
  // With no successes (or no failures) anywhere there is no rate to centre on.
  if (mean <= 0 || mean >= 1) return fallback;

  const spread = observed.reduce((sum, o) => sum + o.trials * (o.successes / o.trials - mean) ** 2, 0);
  const sumSquaredTrials = observed.reduce((sum, o) => sum + o.trials * o.trials, 0);
  const degreesOfFreedom = observed.length - 1;
  const denominator = totalTrials - sumSquaredTrials / totalTrials - degreesOfFreedom;
  if (!(denominator > 0)) return fallback;
  const correlation = (spread / (mean * (1 - mean)) - degreesOfFreedom) / denominator;
  const strength =
    correlation <= 0 ? maxStrength : Math.min(maxStrength, Math.max(minStrength, 1 / correlation - 1));
  return { alpha: mean * strength, beta: (1 - mean) * strength, pooled: true };
}

/**
 * The family a variant's prior is pooled over: variants made from the same template version, locale and
 * slot choices, one per segment. Slot order does not matter.
 */
export function armFamilyKey(
  templateVersionId: string,
  locale: string,
  slots: Readonly<Record<string, unknown>> | null | undefined,
): string {
  const choices = slots ?? {};
  const sorted = Object.keys(choices)
    .sort()
    .map((slot) => [slot, choices[slot]]);
  return `${templateVersionId}|${locale}|${JSON.stringify(sorted)}`;
}

export interface SegmentPosterior extends BetaParams, RateCounts {
  variantId: string;
  segment: string;
  prior: FittedPrior;
  mean: number;
  /** 95% equal-tailed credible interval of the rate. */
  interval: [number, number];
}

export interface PosteriorOptions extends PoolingOptions {
  /** false: every cell gets the fallback prior (Beta(1, 1) unless set), no borrowing across segments. */
  pool?: boolean;
}

/**
 * Beta posteriors per variant × segment for one objective. Each variant's prior is fitted across
 * that variant's segments (its own segment included), then each segment adds its counts:
 * Beta(α₀ + y, β₀ + n − y). Rows for the same variant and segment are summed first.
 */
export function segmentPosteriors(
  rows: readonly EngagementCounts[],
  objective: Objective,
  options: PosteriorOptions = {},
): SegmentPosterior[] {
  const cells = new Map<string, { variantId: string; segment: string; counts: RateCounts }>();
  for (const row of rows) {
    const counts = objectiveCounts(row, objective);
    const key = JSON.stringify([row.variantId, row.segment]);
    const cell = cells.get(key);
    if (cell) {
      cell.counts = {
        successes: cell.counts.successes + counts.successes,
        trials: cell.counts.trials + counts.trials,
      };
    } else {
      cells.set(key, { variantId: row.variantId, segment: row.segment, counts });
    }
  }

  const byVariant = new Map<string, RateCounts[]>();
  for (const { variantId, counts } of cells.values()) {
    byVariant.set(variantId, [...(byVariant.get(variantId) ?? []), counts]);
  }
  const fallback: FittedPrior = { ...(options.fallback ?? UNIFORM_PRIOR), pooled: false };
  const priors = new Map<string, FittedPrior>();
  for (const [variantId, observations] of byVariant) {
    priors.set(variantId, options.pool === false ? fallback : fitBetaPrior(observations, options));
  }

  return [...cells.values()].map(({ variantId, segment, counts }) => {
    const prior = priors.get(variantId) ?? fallback;
    const posterior = {
      alpha: prior.alpha + counts.successes,
      beta: prior.beta + counts.trials - counts.successes,
    };
    return {
      variantId,
      segment,
      ...counts,
      ...posterior,
      prior,
      mean: betaMean(posterior),
      interval: betaCredibleInterval(posterior),
    };
  });
}
