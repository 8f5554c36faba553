/** Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), darkened where needed for contrast on white. */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#7A5195', '#4D4D4D'];

export const colorOf = (index: number): string => COLORS[index % COLORS.length];

/** `#RRGGBB` with an alpha, for fills. */
export function withAlpha(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}
