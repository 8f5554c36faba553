/**
 * Escaping for ffmpeg filtergraphs, which parse a value twice: once as a filter option
 * (`:` separates options, `'` quotes, `\` escapes) and once as part of the graph
 * (`,` `;` `[` `]` also separate, `'` and `\` again). See ffmpeg-filters(1), "Quoting and escaping".
 */
export function escapeOptionValue(value: string): string {
  return value.replace(/[\\':]/g, (char) => `\\${char}`);
}

export function escapeGraphText(text: string): string {
  return text.replace(/[\\'[\],;]/g, (char) => `\\${char}`);
}

/** A value written into a filter's options inside a -filter_complex graph. */
export function filterValue(value: string | number): string {
  return escapeGraphText(escapeOptionValue(String(value)));
}

/** `name=key=value:key=value` with every value escaped; undefined values are left out. */
export function filter(name: string, options: Record<string, string | number | undefined> = {}): string {
  const parts = Object.entries(options)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${filterValue(value)}`);
  return parts.length ? `${name}=${parts.join(':')}` : name;
}

/** One chain of a graph: input labels, filters joined by commas, output labels. */
export function chain(inputs: string[], filters: string[], outputs: string[]): string {
  const labels = (names: string[]) => names.map((name) => `[${name}]`).join('');
  return `${labels(inputs)}${filters.join(',')}${labels(outputs)}`;
}

/** Seconds with at most millisecond precision, no trailing zeros: 4.5, 6, 0.033. */
export function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/** #RRGGBB (or RRGGBB) → 0xRRGGBB, optionally with @alpha, as ffmpeg's colour syntax wants. */
export function ffmpegColor(hex: string, opacity?: number): string {
  const match = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!match) throw new RangeError(`not a #RRGGBB colour: ${JSON.stringify(hex)}`);
  const base = `0x${match[1].toUpperCase()}`;
  return opacity === undefined ? base : `${base}@${Math.min(1, Math.max(0, opacity)).toFixed(2)}`;
}
