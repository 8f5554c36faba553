const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const STEPS = [15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR];

/**
 * Tick positions for a time axis from `min` to `max` (epoch ms): on whole quarter hours, hours or days
 * of local time (`offsetMs` is local minus UTC), at most `maxTicks` of them.
 */
export function timeTicks(min: number, max: number, maxTicks: number, offsetMs = 0): number[] {
  if (!(max > min) || maxTicks < 2) return [min];
  const wanted = (max - min) / (maxTicks - 1);
  const step = STEPS.find((candidate) => candidate >= wanted) ?? Math.ceil(wanted / (24 * HOUR)) * 24 * HOUR;
  const ticks: number[] = [];
  for (let local = Math.ceil((min + offsetMs) / step) * step; local - offsetMs <= max; local += step) {
    ticks.push(local - offsetMs);
  }
  return ticks;
}

/** A round upper bound for a rate axis: twice the largest value, up to 100%. */
export function rateAxisMax(values: readonly number[]): number {
  const largest = Math.max(0, ...values);
  if (largest === 0) return 0.05;
  const target = Math.min(1, largest * 2);
  const magnitude = 10 ** Math.floor(Math.log10(target));
  const nice = [1, 2, 2.5, 5, 10].find((factor) => factor * magnitude >= target)! * magnitude;
  return Math.min(1, nice);
}
