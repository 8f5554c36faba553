const MS_PER_DAY = 86_400_000;

/**
 * Formats a duration or offset in milliseconds as `HH:MM:SS.mmm`, the form VAST uses for
 * `Duration` and time offsets. VAST types these as `xs:time`, so 24 hours or more has no valid
 * representation and is refused.
 */
export function formatVastTime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`duration must be a finite number ≥ 0, got ${ms}`);
  const total = Math.round(ms);
  if (total >= MS_PER_DAY) throw new RangeError(`duration must be under 24 hours, got ${ms} ms`);
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor(total / 60_000) % 60;
  const seconds = Math.floor(total / 1000) % 60;
  const millis = total % 1000;
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(millis, 3)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
