/**
 * Conversions arrive hours after the click. Judged on what has arrived, a young variant (whose clicks
 * are recent) looks worse than it is. Conversions are therefore attributed to their click's hour, and
 * each cohort of clicks counts as only the fraction of a click that has had time to convert:
 *
 *   matured trials = Σ_h clicks_h · F(age_h),   cvr ≈ conversions / matured trials,
 *
 * with F the click→conversion delay CDF, estimated from the campaign's own delays pooled across its
 * variants by the chain-ladder method (actuarial reserving): from the cohorts old enough to have seen
 * delay d + 1 in full, the development factor f_d = Σ C(h, d + 1) / Σ C(h, d), C(h, d) being cohort h's
 * conversions with delay under d hours; then F(d) = F(d + 1) / f_d down from F(D) = 1 at the longest
 * delay any cohort has seen in full. It assumes no particular shape of delay; conversions later than D
 * (unseen by construction) are not corrected for, which biases F up by P(delay > D).
 */

/** Conversions of one click-hour cohort that arrived with a delay of `delayHours` (whole hours, floored). */
export interface DelayCell {
  clickHour: number;
  delayHours: number;
  conversions: number;
}

/** One click-hour cohort of one variant: its clicks and the conversions attributed to them so far. */
export interface ClickCohort {
  clickHour: number;
  clicks: number;
  conversions: number;
}

/** F at whole hours 0..D (F[0] = 0, F[D] = 1); linear between, 1 beyond. */
export type DelayCdf = Float64Array;

/**
 * The delay CDF by chain-ladder over `cells` (hours as epoch hours, `nowHour` fractional). Null when no
 * cohort has a full hour of conversions to develop from: then no correction is possible.
 */
export function estimateDelayCdf(
  cells: readonly DelayCell[],
  nowHour: number,
  maxDelayHours = 168,
): DelayCdf | null {
  const byCohort = new Map<number, Float64Array>();
  for (const cell of cells) {
    if (cell.delayHours < 0 || cell.delayHours >= maxDelayHours || !(cell.conversions > 0)) continue;
    let row = byCohort.get(cell.clickHour);
    if (!row) byCohort.set(cell.clickHour, (row = new Float64Array(maxDelayHours)));
    row[Math.floor(cell.delayHours)] += cell.conversions;
  }
  // A cohort has seen delays under d in full once now ≥ its hour's end + d.
  const complete = (clickHour: number) => Math.min(maxDelayHours, Math.floor(nowHour - clickHour - 1));
  let longest = 0;
  for (const hour of byCohort.keys()) longest = Math.max(longest, complete(hour));
  if (longest < 1) return null;
  const cumulative = new Map<number, Float64Array>();
  for (const [hour, row] of byCohort) {
    const sums = new Float64Array(maxDelayHours + 1);
    for (let d = 0; d < maxDelayHours; d++) sums[d + 1] = sums[d] + row[d];
    cumulative.set(hour, sums);
  }
  const cdf = new Float64Array(longest + 1);
  cdf[longest] = 1;
  for (let d = longest - 1; d >= 1; d--) {
    let later = 0;
    let earlier = 0;
    for (const [hour, sums] of cumulative) {
      if (complete(hour) < d + 1) continue;
      later += sums[d + 1];
      earlier += sums[d];
    }
    cdf[d] = earlier > 0 && later > 0 ? cdf[d + 1] * (earlier / later) : cdf[d + 1];
  }
  if (!(cdf[1] > 0)) return null;
  return cdf;
}

/** F at a fractional delay. */
export function delayCdfAt(cdf: DelayCdf, hours: number): number {
  if (hours <= 0) return 0;
  const last = cdf.length - 1;
  if (hours >= last) return 1;
  const below = Math.floor(hours);
  return cdf[below] + (hours - below) * (cdf[below + 1] - cdf[below]);
}

/** Share of a cohort's eventual conversions that has arrived by now (clicks spread over their hour). */
export function cohortMaturity(cdf: DelayCdf | null, clickHour: number, nowHour: number): number {
  if (!cdf) return 1;
  const oldest = nowHour - clickHour;
  const youngest = Math.max(0, oldest - 1);
  if (oldest <= 0) return 0;
  // Mean of F over the cohort's click times, by Simpson's rule on the piecewise-linear F.
  const middle = (oldest + youngest) / 2;
  return (delayCdfAt(cdf, youngest) + 4 * delayCdfAt(cdf, middle) + delayCdfAt(cdf, oldest)) / 6;
}

/** Conversions and matured clicks of one variant's cohorts: the cvr posterior's successes and trials. */
export function maturedCounts(
  cohorts: readonly ClickCohort[],
  cdf: DelayCdf | null,
  nowHour: number,
  weight: (clickHour: number) => number = () => 1,
): { successes: number; trials: number } {
  let successes = 0;
  let trials = 0;
  for (const cohort of cohorts) {
    const w = weight(cohort.clickHour);
    successes += w * cohort.conversions;
    trials += w * cohort.clicks * cohortMaturity(cdf, cohort.clickHour, nowHour);
  }
  return { successes: Math.min(successes, trials), trials };
}
