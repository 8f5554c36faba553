import { FontMetrics, measureText } from './font-metrics';

export interface TextBlockRequest {
  text: string;
  maxWidth: number;
  fontSize: number;
  /** The block may shrink down to this size before lines are cut short. */
  minFontSize: number;
  maxLines: number;
  metrics: FontMetrics | null;
}

export interface TextBlock {
  fontSize: number;
  lines: string[];
  /** Lines joined with newlines, each padded on the left so that it sits centred in a left-aligned block. */
  centredText: string;
  /** Width of the widest line in pixels. */
  width: number;
  truncated: boolean;
}

const ELLIPSIS = '…';
const SPACE = ' ';
const HAIR_SPACE = '\u200a';

/** Wraps text into at most maxLines lines no wider than maxWidth, shrinking the font first, then cutting. */
export function layoutTextBlock(request: TextBlockRequest): TextBlock {
  const text = request.text.replace(/\s+/g, ' ').trim();
  const step = Math.max(1, Math.round(request.fontSize * 0.05));
  for (let size = request.fontSize; size >= request.minFontSize; size -= step) {
    const lines = wrap(text, request.maxWidth, size, request.metrics);
    if (lines.length <= request.maxLines) return finish(lines, size, request.metrics, false);
  }
  const size = request.minFontSize;
  const lines = wrap(text, request.maxWidth, size, request.metrics).slice(0, request.maxLines);
  const last = lines.length - 1;
  let cut = lines[last];
  while (cut.length > 0 && measureText(cut + ELLIPSIS, size, request.metrics) > request.maxWidth) {
    cut = Array.from(cut).slice(0, -1).join('').trimEnd();
  }
  lines[last] = cut + ELLIPSIS;
  return finish(lines, size, request.metrics, true);
}

function finish(
  lines: string[],
  fontSize: number,
  metrics: FontMetrics | null,
  truncated: boolean,
): TextBlock {
  const widths = lines.map((line) => measureText(line, fontSize, metrics));
  const width = Math.max(0, ...widths);
  const spaceWidth = measureText(SPACE, fontSize, metrics);
  const hairWidth = metrics?.hasGlyph(HAIR_SPACE.codePointAt(0) ?? 0)
    ? measureText(HAIR_SPACE, fontSize, metrics)
    : 0;
  const centred = lines.map((line, index) => {
    let gap = (width - widths[index]) / 2;
    const spaces = spaceWidth > 0 ? Math.floor(gap / spaceWidth) : 0;
    gap -= spaces * spaceWidth;
    const hairs = hairWidth > 0 ? Math.round(gap / hairWidth) : 0;
    return SPACE.repeat(spaces) + HAIR_SPACE.repeat(hairs) + line;
  });
  return { fontSize, lines, centredText: centred.join('\n'), width, truncated };
}

/** Greedy word wrap; a word wider than the line is broken between characters (which also wraps CJK). */
function wrap(text: string, maxWidth: number, fontSize: number, metrics: FontMetrics | null): string[] {
  if (text === '') return [''];
  const fits = (candidate: string) => measureText(candidate, fontSize, metrics) <= maxWidth;
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const candidate = current ? `${current} ${word}` : word;
    if (fits(candidate)) {
      current = candidate;
      continue;
    }
    if (current) lines.push(current);
    current = '';
    for (const char of Array.from(word)) {
      if (current && !fits(current + char)) {
        lines.push(current);
        current = '';
      }
      current += char;
    }
  }
  if (current) lines.push(current);
  return lines;
}
