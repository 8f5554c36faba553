/**
 * Forgetting old evidence, so a creative whose rate decays (fatigue) loses weight within hours: each
 * hour's counts are weighted 0.5^(age / half-life), age in hours counted back from the campaign's
 * newest hour with data (a night without traffic does not erase the evidence). The default half-life
 * was chosen from the fatigue and stationary scenarios of bench/bandit (see its output); `null` turns
 * discounting off (a stationary Beta-Bernoulli model).
 */
export const DEFAULT_HALF_LIFE_HOURS = 12;

/** Weight of evidence `ageHours` old. */
export function discountFactor(ageHours: number, halfLifeHours: number | null): number {
  if (halfLifeHours === null || !Number.isFinite(halfLifeHours)) return 1;
  return Math.pow(0.5, Math.max(0, ageHours) / halfLifeHours);
}

/** Hours beyond which evidence weighs under 0.1%, so it need not be read at all. */
export function discountHorizonHours(halfLifeHours: number | null): number | null {
  if (halfLifeHours === null || !Number.isFinite(halfLifeHours)) return null;
  return Math.ceil(halfLifeHours * Math.log2(1000));
}
