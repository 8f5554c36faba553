import type { RollupCounters } from '@adloom/engagement';
import type { ProviderSpend } from '@adloom/generation';
import {
  BetaParams,
  DEFAULT_SRM_THRESHOLD,
  DEFAULT_WINNER_THRESHOLD,
  Objective,
  RateCounts,
  UNIFORM_PRIOR,
  betaCredibleInterval,
  betaMean,
  chancesToBeat,
  compareArms,
  explainDecision,
  SegmentDecisions,
  VariantDecision,
  fitBetaPrior,
  FittedPrior,
  objectiveCounts,
  pickWinner,
} from '@adloom/optimizer';

/**
 * The campaign report, built from summed rollups. Definitions (each one chosen to match what the
 * optimiser sees, see libs/optimizer/src/posteriors.ts):
 *
 * - Objective rates: ctr = clicks / impressions, vtr = completes / starts, cvr = conversions / clicks;
 *   the objective's denominator is an arm's trial count. Quartile and completion rates are per start.
 * - Posterior of the objective:
 *   - by=variant,segment: the optimiser's pooled prior. Like the optimiser, variants made from the same
 *     template version, locale and slots are one family across segments; each family gets an
 *     empirical-Bayes prior (`fitBetaPrior`, default options) from its per-segment counts, and each
 *     cell adds its own counts to its family's prior. (The optimiser fits on period-weighted counts of
 *     all time; the report on the window's plain sums.)
 *   - by=variant: counts summed over segments, Beta(1, 1) prior;
 *   - by=segment: all variants of the segment summed, Beta(1, 1) prior (no comparison between rows).
 * - P(best), expected loss and chance to beat control compare the variants of one segment for
 *   by=variant,segment and all variants for by=variant. Only arms with at least one trial take part:
 *   an arm with no data would bring its flat prior, which makes it look like a likely winner.
 * - Control: the variant marked `is_control` in the group, else the group's first variant (creation
 *   order) that has data. The control's own chance to beat control is null.
 * - Winner: `pickWinner` (P(best) ≥ 0.95) within each group of at least two arms with data.
 * - Caution: every arm with fewer than 50 trials in the objective's denominator is listed.
 * - Sample-ratio mismatch: each segment's latest p-value that the optimiser stored in its allocation
 *   history (its chi-square test over its own allocation periods; as of `to` when given). The
 *   campaign's p-value is the lowest of them; a mismatch is one below 0.001 or the campaign's flag.
 * - Generation cost: a clip shared by several variants of the campaign (same prompt) is split evenly
 *   between them, so the campaign's total counts each clip once; a clip reused by another campaign
 *   counts in both. A variant's cost sits on its own segment's row.
 * - Rows: every variant × segment with rollups in the window, plus approved or paused variants with
 *   none (zero counts), so a live variant that got no traffic still shows.
 */

export const REPORT_GROUPINGS = ['variant', 'segment', 'variant,segment'] as const;
export type ReportGrouping = (typeof REPORT_GROUPINGS)[number];

/** Fewer trials than this in the objective's denominator earns an arm a caution. */
export const MIN_ARM_EVENTS = 50;

const DELIVERABLE_STATES = new Set(['approved', 'paused']);
const DENOMINATOR: Record<Objective, string> = { ctr: 'impressions', vtr: 'starts', cvr: 'clicks' };

/** Summed counters of the hourly rollups (the same shape the engagement room writes). */
export type EngagementTotals = RollupCounters;

/** Rollups summed over the window for one variant in one segment. */
export interface CellTotals extends EngagementTotals {
  variantId: string;
  segment: string;
}

export interface ReportVariant {
  id: string;
  /** Key of the segment the variant was made for. */
  segment: string;
  /** `armFamilyKey` of the variant: the family whose segments share a pooled prior, as in the optimiser. */
  poolKey: string;
  state: string;
  isControl: boolean;
  clipId: string | null;
  clipSeconds: number;
  clipCost: number;
  /** The provider and model that made the clip (after any failover), when there is one. */
  clipProvider?: string | null;
  clipModel?: string | null;
}

export function spendByProvider(variants: readonly ReportVariant[]): ProviderSpend[] {
  const seen = new Set<string>();
  const groups = new Map<string, ProviderSpend>();
  for (const variant of variants) {
    if (!variant.clipId || !variant.clipProvider || seen.has(variant.clipId)) continue;
    seen.add(variant.clipId);
    const model = variant.clipModel ?? '';
    const key = `${variant.clipProvider}\u0000${model}`;
    const group = groups.get(key) ?? {
      provider: variant.clipProvider,
      model,
      clips: 0,
      generationSeconds: 0,
      cost: 0,
    };
    group.clips++;
    group.generationSeconds += variant.clipSeconds;
    group.cost = Math.round((group.cost + variant.clipCost) * 1e6) / 1e6;
    groups.set(key, group);
  }
  return [...groups.values()].sort(
    (a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model),
  );
}

export interface ReportInput {
  campaignId: string;
  objective: Objective;
  by: ReportGrouping;
  from: Date | null;
  to: Date | null;
  /** The campaign's variants in creation order. */
  variants: readonly ReportVariant[];
  cells: readonly CellTotals[];
  /** Current weights: segment key → variant id → weight. */
  weights: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Latest sample-ratio p-value per segment, and the campaign's flag. */
  srm: { segments: Readonly<Record<string, number | null>>; flagged: boolean };
  declaredWinner: unknown;
  /** The optimiser's latest decisions per segment (pauses, winner, rules); absent before its first run. */
  decisions?: Readonly<Record<string, SegmentDecisions>>;
}

export interface ObjectivePosterior extends BetaParams, RateCounts {
  objective: Objective;
  mean: number;
  /** 95% equal-tailed credible interval. */
  interval: [number, number];
  prior: BetaParams & { pooled: boolean };
}

export interface Rates {
  q25Rate: number | null;
  q50Rate: number | null;
  q75Rate: number | null;
  completionRate: number | null;
  ctr: number | null;
  cvr: number | null;
}

export interface CostFigures {
  generationSeconds: number;
  cost: number;
  costPerConversion: number | null;
}

export interface ReportRow extends EngagementTotals, Rates, CostFigures {
  variantId: string | null;
  segment: string | null;
  state: string | null;
  /** This row is the control its group is compared against. */
  control: boolean;
  posterior: ObjectivePosterior;
  probabilityBest: number | null;
  chanceToBeatControl: number | null;
  expectedLoss: number | null;
  winner: boolean;
  /** Current traffic weight (in the variant's own segment for by=variant). */
  weight: number | null;
  /** Why the optimiser pauses it or declared it its segment's winner: the rule and the numbers. */
  optimizer: VariantDecision | null;
}

export interface CautionArm {
  variantId: string | null;
  segment: string | null;
  trials: number;
}

export interface ReportCaution {
  caution: string;
  arms: CautionArm[];
}

export interface ReportWinner {
  /** The segment the variant won, or null when all variants were compared together. */
  segment: string | null;
  variantId: string;
  probabilityBest: number;
}

export interface SampleRatioSummary {
  /** The lowest of the segments' latest p-values; null before the optimiser has tested any. */
  pValue: number | null;
  threshold: number;
  mismatch: boolean;
  segments: Record<string, number | null>;
}

export interface CampaignReport {
  campaignId: string;
  objective: Objective;
  by: ReportGrouping;
  from: string | null;
  to: string | null;
  rows: ReportRow[];
  totals: EngagementTotals & Rates & CostFigures;
  /** Generation seconds and spend per provider and model that made the campaign's clips. */
  generationByProvider: ProviderSpend[];
  srm: SampleRatioSummary;
  winners: ReportWinner[];
  /** The winner the optimiser recorded on the campaign, as stored. */
  declaredWinner: unknown;
  /** The rules the optimiser pauses variants and declares winners by, and its discount half-life. */
  optimizerRules: { pause: string; winner: string; halfLifeHours: number | null } | null;
  cautions: ReportCaution[];
}

function rulesOf(decisions: ReportInput['decisions']): CampaignReport['optimizerRules'] {
  const any = decisions && Object.values(decisions)[0];
  return any ? { ...any.rules, halfLifeHours: any.halfLifeHours } : null;
}

export function emptyTotals(): EngagementTotals {
  return {
    impressions: 0,
    starts: 0,
    q25: 0,
    q50: 0,
    q75: 0,
    completes: 0,
    clicks: 0,
    conversions: 0,
    conversionValue: 0,
  };
}

function addTotals(into: EngagementTotals, from: EngagementTotals): void {
  into.impressions += from.impressions;
  into.starts += from.starts;
  into.q25 += from.q25;
  into.q50 += from.q50;
  into.q75 += from.q75;
  into.completes += from.completes;
  into.clicks += from.clicks;
  into.conversions += from.conversions;
  into.conversionValue += from.conversionValue;
}

const ratio = (numerator: number, denominator: number): number | null =>
  denominator > 0 ? numerator / denominator : null;

export function ratesOf(totals: EngagementTotals): Rates {
  return {
    q25Rate: ratio(totals.q25, totals.starts),
    q50Rate: ratio(totals.q50, totals.starts),
    q75Rate: ratio(totals.q75, totals.starts),
    completionRate: ratio(totals.completes, totals.starts),
    ctr: ratio(totals.clicks, totals.impressions),
    cvr: ratio(totals.conversions, totals.clicks),
  };
}

/** Generation seconds and cost per variant, each clip split evenly between the variants using it. */
export function attributeGenerationCost(
  variants: readonly ReportVariant[],
): Map<string, { generationSeconds: number; cost: number }> {
  const users = new Map<string, number>();
  for (const variant of variants)
    if (variant.clipId) users.set(variant.clipId, (users.get(variant.clipId) ?? 0) + 1);
  return new Map(
    variants.map((variant) => {
      const share = variant.clipId ? 1 / users.get(variant.clipId)! : 0;
      return [variant.id, { generationSeconds: variant.clipSeconds * share, cost: variant.clipCost * share }];
    }),
  );
}

function posteriorOf(totals: EngagementTotals, objective: Objective, prior: FittedPrior): ObjectivePosterior {
  const counts = objectiveCounts({ variantId: '', segment: '', ...totals }, objective);
  const params = {
    alpha: prior.alpha + counts.successes,
    beta: prior.beta + counts.trials - counts.successes,
  };
  return {
    objective,
    ...counts,
    ...params,
    mean: betaMean(params),
    interval: betaCredibleInterval(params),
    prior: { alpha: prior.alpha, beta: prior.beta, pooled: prior.pooled },
  };
}

const FLAT_PRIOR: FittedPrior = { ...UNIFORM_PRIOR, pooled: false };

/** One prior per family, fitted across the family's segments (counts summed per segment). */
function pooledPriors(
  arms: readonly Arm[],
  objective: Objective,
  familyOf: (variantId: string) => string,
): Map<string, FittedPrior> {
  const families = new Map<string, Map<string, RateCounts>>();
  for (const arm of arms) {
    const family = familyOf(arm.variantId!);
    const segments = families.get(family) ?? new Map<string, RateCounts>();
    const counts = objectiveCounts({ variantId: '', segment: '', ...arm.totals }, objective);
    const sum = segments.get(arm.segment!) ?? { successes: 0, trials: 0 };
    segments.set(arm.segment!, {
      successes: sum.successes + counts.successes,
      trials: sum.trials + counts.trials,
    });
    families.set(family, segments);
  }
  return new Map([...families].map(([family, segments]) => [family, fitBetaPrior([...segments.values()])]));
}

interface Arm {
  variantId: string | null;
  segment: string | null;
  totals: EngagementTotals;
  cost: { generationSeconds: number; cost: number };
  posterior?: ObjectivePosterior;
}

const cellKey = (variantId: string, segment: string) => `${variantId}\u0000${segment}`;

/** Cells in the window, plus a zero cell for each deliverable variant the window has no data for. */
function cellsWithIdleVariants(input: ReportInput): CellTotals[] {
  const served = new Set(input.cells.map((cell) => cell.variantId));
  const idle = input.variants
    .filter((variant) => DELIVERABLE_STATES.has(variant.state) && !served.has(variant.id))
    .map((variant) => ({ variantId: variant.id, segment: variant.segment, ...emptyTotals() }));
  return [...input.cells, ...idle];
}

function variantArms(input: ReportInput, cells: readonly CellTotals[]): Arm[] {
  const costs = attributeGenerationCost(input.variants);
  const segmentOf = new Map(input.variants.map((variant) => [variant.id, variant.segment]));
  const arms = new Map<string, Arm>();
  for (const cell of cells) {
    const key = cellKey(cell.variantId, cell.segment);
    const arm = arms.get(key) ?? {
      variantId: cell.variantId,
      segment: cell.segment,
      totals: emptyTotals(),
      cost: { generationSeconds: 0, cost: 0 },
    };
    addTotals(arm.totals, cell);
    arms.set(key, arm);
  }
  // A variant's generation cost goes on its own segment's row, or its first row when it has none there.
  const placed = new Set<string>();
  for (const arm of arms.values()) {
    if (segmentOf.get(arm.variantId!) === arm.segment) placed.add(arm.variantId!);
  }
  for (const arm of arms.values()) {
    const cost = costs.get(arm.variantId!);
    if (!cost) continue;
    if (segmentOf.get(arm.variantId!) === arm.segment || !placed.has(arm.variantId!)) {
      arm.cost = { ...cost };
      placed.add(arm.variantId!);
    }
  }
  return [...arms.values()];
}

function mergeArms(arms: readonly Arm[], keyOf: (arm: Arm) => string, make: (arm: Arm) => Arm): Arm[] {
  const merged = new Map<string, Arm>();
  for (const arm of arms) {
    const key = keyOf(arm);
    const into = merged.get(key) ?? make(arm);
    addTotals(into.totals, arm.totals);
    into.cost.generationSeconds += arm.cost.generationSeconds;
    into.cost.cost += arm.cost.cost;
    merged.set(key, into);
  }
  return [...merged.values()];
}

/** Variants in creation order first, then any the campaign does not list, by id. */
function variantOrder(variants: readonly ReportVariant[]): (id: string | null) => number {
  const order = new Map(variants.map((variant, index) => [variant.id, index]));
  return (id) => (id === null ? -1 : (order.get(id) ?? variants.length));
}

function compareText(a: string | null, b: string | null): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

interface Comparison {
  probabilityBest: number | null;
  expectedLoss: number | null;
  chanceToBeatControl: number | null;
  control: boolean;
  winner: boolean;
}

const NO_COMPARISON: Comparison = {
  probabilityBest: null,
  expectedLoss: null,
  chanceToBeatControl: null,
  control: false,
  winner: false,
};

/** P(best), expected loss, chance to beat control and the winner within one group of arms (in row order). */
function compareGroup(
  arms: readonly Arm[],
  isMarkedControl: (variantId: string | null) => boolean,
): { comparisons: Comparison[]; winner: number | null } {
  const comparisons = arms.map(() => ({ ...NO_COMPARISON }));
  const eligible = arms.flatMap((arm, index) => (arm.posterior!.trials > 0 ? [index] : []));
  const marked = arms.findIndex((arm) => isMarkedControl(arm.variantId));
  const control = marked >= 0 ? marked : (eligible[0] ?? -1);
  if (control >= 0) comparisons[control].control = true;
  if (eligible.length === 0) return { comparisons, winner: null };

  const params = eligible.map((index) => arms[index].posterior!);
  const { probabilityBest, expectedLoss } = compareArms(params);
  eligible.forEach((index, position) => {
    comparisons[index].probabilityBest = probabilityBest[position];
    comparisons[index].expectedLoss = expectedLoss[position];
  });
  if (control >= 0 && arms[control].posterior!.trials > 0) {
    const challengers = eligible.filter((index) => index !== control);
    const chances = chancesToBeat(
      challengers.map((index) => arms[index].posterior!),
      arms[control].posterior!,
    );
    challengers.forEach((index, position) => (comparisons[index].chanceToBeatControl = chances[position]));
  }
  // An arm alone with data is best by default, not by evidence: no winner without a rival.
  const winnerPosition = eligible.length > 1 ? pickWinner(probabilityBest, DEFAULT_WINNER_THRESHOLD) : null;
  const winner = winnerPosition === null ? null : eligible[winnerPosition];
  if (winner !== null) comparisons[winner].winner = true;
  return { comparisons, winner };
}

function costFigures(cost: { generationSeconds: number; cost: number }, conversions: number): CostFigures {
  return { ...cost, costPerConversion: ratio(cost.cost, conversions) };
}

export function buildReport(input: ReportInput): CampaignReport {
  const { objective, by } = input;
  const variantsById = new Map(input.variants.map((variant) => [variant.id, variant]));
  const order = variantOrder(input.variants);
  const cells = cellsWithIdleVariants(input);
  const cellArms = variantArms(input, cells);

  let arms: Arm[];
  if (by === 'variant,segment') {
    const priors = pooledPriors(cellArms, objective, (id) => variantsById.get(id)?.poolKey ?? id);
    arms = cellArms.map((arm) => ({
      ...arm,
      posterior: posteriorOf(
        arm.totals,
        objective,
        priors.get(variantsById.get(arm.variantId!)?.poolKey ?? arm.variantId!)!,
      ),
    }));
    arms.sort(
      (a, b) =>
        compareText(a.segment, b.segment) ||
        order(a.variantId) - order(b.variantId) ||
        compareText(a.variantId, b.variantId),
    );
  } else if (by === 'variant') {
    arms = mergeArms(
      cellArms,
      (arm) => arm.variantId!,
      (arm) => ({
        variantId: arm.variantId,
        segment: null,
        totals: emptyTotals(),
        cost: { generationSeconds: 0, cost: 0 },
      }),
    );
    arms.sort((a, b) => order(a.variantId) - order(b.variantId) || compareText(a.variantId, b.variantId));
  } else {
    arms = mergeArms(
      cellArms,
      (arm) => arm.segment!,
      (arm) => ({
        variantId: null,
        segment: arm.segment,
        totals: emptyTotals(),
        cost: { generationSeconds: 0, cost: 0 },
      }),
    );
    arms.sort((a, b) => compareText(a.segment, b.segment));
  }
  for (const arm of arms) arm.posterior ??= posteriorOf(arm.totals, objective, FLAT_PRIOR);

  const comparisons: Comparison[] = arms.map(() => ({ ...NO_COMPARISON }));
  const winners: ReportWinner[] = [];
  if (by !== 'segment') {
    const groups = new Map<string, number[]>();
    arms.forEach((arm, index) => {
      const group = by === 'variant' ? '' : arm.segment!;
      const members = groups.get(group);
      if (members) members.push(index);
      else groups.set(group, [index]);
    });
    for (const [group, members] of groups) {
      const result = compareGroup(
        members.map((index) => arms[index]),
        (variantId) => variantId !== null && variantsById.get(variantId)?.isControl === true,
      );
      members.forEach((index, position) => (comparisons[index] = result.comparisons[position]));
      if (result.winner !== null) {
        const index = members[result.winner];
        winners.push({
          segment: by === 'variant' ? null : group,
          variantId: arms[index].variantId!,
          probabilityBest: comparisons[index].probabilityBest!,
        });
      }
    }
  }

  const rows: ReportRow[] = arms.map((arm, index) => {
    const variant = arm.variantId === null ? undefined : variantsById.get(arm.variantId);
    const weightSegment = by === 'variant' ? variant?.segment : arm.segment;
    const weight =
      arm.variantId !== null && weightSegment !== undefined && weightSegment !== null
        ? (input.weights[weightSegment]?.[arm.variantId] ?? null)
        : null;
    return {
      variantId: arm.variantId,
      segment: arm.segment,
      state: variant?.state ?? null,
      control: comparisons[index].control,
      ...arm.totals,
      ...ratesOf(arm.totals),
      posterior: arm.posterior!,
      probabilityBest: comparisons[index].probabilityBest,
      chanceToBeatControl: comparisons[index].chanceToBeatControl,
      expectedLoss: comparisons[index].expectedLoss,
      winner: comparisons[index].winner,
      weight,
      optimizer:
        arm.variantId !== null && weightSegment != null && input.decisions?.[weightSegment]
          ? explainDecision(input.decisions[weightSegment], arm.variantId)
          : null,
      ...costFigures(arm.cost, arm.totals.conversions),
    };
  });

  const totals = emptyTotals();
  const totalCost = { generationSeconds: 0, cost: 0 };
  for (const arm of arms) {
    addTotals(totals, arm.totals);
    totalCost.generationSeconds += arm.cost.generationSeconds;
    totalCost.cost += arm.cost.cost;
  }

  const sparse = rows.filter((row) => row.posterior.trials < MIN_ARM_EVENTS);
  const cautions: ReportCaution[] = sparse.length
    ? [
        {
          caution:
            `${sparse.length} of ${rows.length} arms have fewer than ${MIN_ARM_EVENTS} events in the ` +
            `objective's denominator (${DENOMINATOR[objective]}); their estimates are unreliable.`,
          arms: sparse.map((row) => ({
            variantId: row.variantId,
            segment: row.segment,
            trials: row.posterior.trials,
          })),
        },
      ]
    : [];

  const pValues = Object.values(input.srm.segments).filter((p): p is number => p !== null);
  const pValue = pValues.length ? Math.min(...pValues) : null;
  return {
    campaignId: input.campaignId,
    objective,
    by,
    from: input.from?.toISOString() ?? null,
    to: input.to?.toISOString() ?? null,
    rows,
    totals: { ...totals, ...ratesOf(totals), ...costFigures(totalCost, totals.conversions) },
    generationByProvider: spendByProvider(input.variants),
    srm: {
      pValue,
      threshold: DEFAULT_SRM_THRESHOLD,
      mismatch: input.srm.flagged || (pValue !== null && pValue < DEFAULT_SRM_THRESHOLD),
      segments: { ...input.srm.segments },
    },
    winners,
    declaredWinner: input.declaredWinner ?? null,
    optimizerRules: rulesOf(input.decisions),
    cautions,
  };
}
