/**
 * Reads ffmpeg's `-progress` key=value stream and reports how far along the output is, 0..1, never going
 * backwards. `out_time_us` is microseconds; so is `out_time_ms`, despite its name (an old ffmpeg quirk).
 */
export function createProgressReader(
  expectedDurationMs: number,
  onProgress: (fraction: number) => void,
): (chunk: string) => void {
  let pending = '';
  let reported = -1;
  const report = (fraction: number) => {
    const clamped = Math.min(1, Math.max(0, fraction));
    if (clamped <= reported) return;
    reported = clamped;
    onProgress(clamped);
  };
  return (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const separator = line.indexOf('=');
      if (separator < 0) continue;
      const key = line.slice(0, separator).trim();
      const value = line.slice(separator + 1).trim();
      if ((key === 'out_time_us' || key === 'out_time_ms') && expectedDurationMs > 0) {
        const micros = Number(value);
        // Reaching the full duration is reported by progress=end, once the files are closed.
        if (Number.isFinite(micros)) report(Math.min(0.999, micros / 1000 / expectedDurationMs));
      } else if (key === 'progress' && value === 'end') {
        report(1);
      }
    }
  };
}
