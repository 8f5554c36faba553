import { createHash } from 'node:crypto';

export const FORMATS = ['9x16', '1x1', '16x9', '4x5'] as const;
export type Format = (typeof FORMATS)[number];

export interface ClipParameters {
  durationMs: number;
  width: number;
  height: number;
}

/**
 * The content address of a generated clip: the same generator, model, parameters and prompt always
 * make the same clip, so it is generated once per workspace and reused by every variant that asks.
 */
export function promptHash(
  generator: string,
  model: string,
  parameters: ClipParameters,
  prompt: string,
): string {
  const canonical = JSON.stringify([
    generator,
    model,
    { durationMs: parameters.durationMs, height: parameters.height, width: parameters.width },
    prompt,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The base clip's size: vertical when most requested formats are taller than wide (9x16, 4x5),
 * landscape otherwise. Compose crops or fills every format from it.
 */
export function baseClipSize(formats: readonly string[]): { width: number; height: number } {
  const tall = formats.filter((f) => f === '9x16' || f === '4x5').length;
  return tall * 2 > formats.length ? { width: 720, height: 1280 } : { width: 1280, height: 720 };
}

export interface PlanCounts {
  templates: number;
  segmentLocales: number;
}

export function plannedVariantCount(counts: PlanCounts): number {
  return counts.templates * counts.segmentLocales;
}

export interface BudgetCheck {
  variants: number;
  maxVariants: number;
  uniquePrompts: number;
  cachedPrompts: number;
  /** Seconds of generation the plan needs: every prompt not already in the clip cache, at the campaign's duration. */
  generationSeconds: number;
  maxGenerationSeconds: number;
  /** What the new clips would cost at the first generator's price; checked when maxCost is set. */
  estimatedCost?: number;
  maxCost?: number | null;
  /** `fal:wan-2.2 at 0.08/s`, for the message. */
  pricedAt?: string;
}

export function budgetProblems(check: BudgetCheck): string[] {
  const problems: string[] = [];
  if (check.variants > check.maxVariants)
    problems.push(`the plan has ${check.variants} variants; the budget allows ${check.maxVariants}`);
  if (check.generationSeconds > check.maxGenerationSeconds)
    problems.push(
      `the plan needs ${check.generationSeconds} s of generation (${check.uniquePrompts - check.cachedPrompts} new clips); the budget allows ${check.maxGenerationSeconds} s`,
    );
  if (
    check.maxCost != null &&
    check.estimatedCost !== undefined &&
    check.estimatedCost > check.maxCost + 1e-9
  )
    problems.push(
      `the plan would cost ${check.estimatedCost} (${check.generationSeconds} s at ${check.pricedAt ?? 'the first generator’s price'}); the budget allows ${check.maxCost}`,
    );
  return problems;
}

/** Estimated seconds left, from the pace so far; null before anything has finished. */
export function estimateSecondsLeft(done: number, remaining: number, elapsedMs: number): number | null {
  if (remaining === 0) return 0;
  if (done === 0 || elapsedMs <= 0) return null;
  return Math.round(((elapsedMs / done) * remaining) / 1000);
}
