import LineBreaker from 'linebreak';
import { FontMetrics, measureText } from './font-metrics';

export interface TextBlockRequest {
  text: string;
  maxWidth: number;
  /** The em in pixels. */
  fontSize: number;
  /** The block may shrink down to this size before lines are cut short. */
  minFontSize: number;
  maxLines: number;
  /** The brand font; null measures with conservative estimates and draws everything in the brand font. */
  metrics: FontMetrics | null;
  /** Fonts, in order of preference, for characters the brand font has no glyph for. */
  fallbacks?: readonly FontMetrics[];
}

/** A stretch of a line drawn in one font (null: the brand font, unmeasured). */
export interface TextRun {
  text: string;
  font: FontMetrics | null;
}

export interface TextBlock {
  fontSize: number;
  lines: string[];
  /** Each line as runs of one font: the brand font, or the first fallback that has the glyphs. */
  runs: TextRun[][];
  /** Width of the widest line in pixels. */
  width: number;
  truncated: boolean;
  /** Characters (grapheme clusters) that no given font has glyphs for, in order of first use. */
  missing: string[];
}

const ELLIPSIS = '…';
const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const wordSegmenter = new Intl.Segmenter(undefined, { granularity: 'word' });
/**
 * Scripts written without spaces between words (UAX #14 class SA): UAX #14 leaves their breaks to a
 * dictionary, which ICU's word segmenter has.
 */
const DICTIONARY_SCRIPT = /[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
/** Code points that draw nothing of their own: joiners, variation selectors, tags. */
const isIgnorable = (codePoint: number) =>
  (codePoint >= 0x200b && codePoint <= 0x200d) ||
  codePoint === 0x2060 ||
  (codePoint >= 0xfe00 && codePoint <= 0xfe0f) ||
  (codePoint >= 0xe0020 && codePoint <= 0xe007f);
const SEPARATOR = /^[\p{Z}\p{P}]+$/u;

/**
 * Wraps text into at most maxLines lines no wider than maxWidth, shrinking the font first, then cutting.
 * Lines end only at UAX #14 break opportunities (and, in Thai, Lao, Khmer and Myanmar, between dictionary
 * words); a word wider than a line is broken between grapheme clusters, never inside one.
 */
export function layoutTextBlock(request: TextBlockRequest): TextBlock {
  const text = request.text.replace(/\s+/g, ' ').trim();
  const fonts = request.metrics ? [request.metrics, ...(request.fallbacks ?? [])] : [];
  const measure = (line: string, size: number) => runsWidth(fontRuns(line, fonts), size);
  const step = Math.max(1, Math.round(request.fontSize * 0.05));
  for (let size = request.fontSize; size >= request.minFontSize; size -= step) {
    const lines = wrap(text, request.maxWidth, (line) => measure(line, size));
    if (lines.length <= request.maxLines) return finish(text, lines, size, fonts, false);
  }
  const size = request.minFontSize;
  const lines = wrap(text, request.maxWidth, (line) => measure(line, size)).slice(0, request.maxLines);
  const last = lines.length - 1;
  let cut = graphemes(lines[last]);
  while (cut.length > 0 && measure(cut.join('') + ELLIPSIS, size) > request.maxWidth) {
    cut = graphemes(cut.slice(0, -1).join('').trimEnd());
  }
  lines[last] = cut.join('') + ELLIPSIS;
  return finish(text, lines, size, fonts, true);
}

function finish(
  text: string,
  lines: string[],
  fontSize: number,
  fonts: readonly FontMetrics[],
  truncated: boolean,
): TextBlock {
  const runs = lines.map((line) => fontRuns(line, fonts));
  const width = Math.max(0, ...runs.map((line) => runsWidth(line, fontSize)));
  return { fontSize, lines, runs, width, truncated, missing: missingGraphemes(text, fonts) };
}

export function graphemes(text: string): string[] {
  return Array.from(graphemeSegmenter.segment(text), (part) => part.segment);
}

function covers(font: FontMetrics, grapheme: string): boolean {
  for (const char of grapheme) {
    const codePoint = char.codePointAt(0) as number;
    if (!isIgnorable(codePoint) && !font.hasGlyph(codePoint)) return false;
  }
  return true;
}

/**
 * Splits a line into runs of one font each: every grapheme cluster goes to the first font that has all
 * its glyphs; spaces and punctuation stay in the font around them. Clusters no font has stay in the first.
 */
export function fontRuns(line: string, fonts: readonly FontMetrics[]): TextRun[] {
  if (fonts.length === 0) return line === '' ? [] : [{ text: line, font: null }];
  const runs: TextRun[] = [];
  let current: TextRun | null = null;
  for (const grapheme of graphemes(line)) {
    let font: FontMetrics;
    if (current?.font && SEPARATOR.test(grapheme) && covers(current.font, grapheme)) font = current.font;
    else font = fonts.find((candidate) => covers(candidate, grapheme)) ?? fonts[0];
    if (current && current.font === font) current.text += grapheme;
    else runs.push((current = { text: grapheme, font }));
  }
  return runs;
}

/** Grapheme clusters of the text that none of the fonts can draw. */
export function missingGraphemes(text: string, fonts: readonly FontMetrics[]): string[] {
  if (fonts.length === 0) return [];
  const missing = new Set<string>();
  for (const grapheme of graphemes(text)) {
    if (!fonts.some((font) => covers(font, grapheme))) missing.add(grapheme);
  }
  return [...missing];
}

/** Code points of the text that the fonts lack (joiners and variation selectors left out). */
export function missingCodePoints(text: string, fonts: readonly FontMetrics[]): number[] {
  const missing = new Set<number>();
  for (const grapheme of missingGraphemes(text, fonts)) {
    for (const char of grapheme) {
      const codePoint = char.codePointAt(0) as number;
      if (!isIgnorable(codePoint) && !fonts.some((font) => font.hasGlyph(codePoint))) missing.add(codePoint);
    }
  }
  return [...missing];
}

function runsWidth(runs: readonly TextRun[], fontSize: number): number {
  let width = 0;
  for (const run of runs) width += measureText(run.text, fontSize, run.font);
  return width;
}

/**
 * Offsets (UTF-16) where a line may end: UAX #14 break opportunities, plus dictionary word boundaries
 * inside scripts written without spaces, kept only where they fall between grapheme clusters.
 */
export function breakOpportunities(text: string): number[] {
  const clusterEdges = new Set<number>([text.length]);
  for (const part of graphemeSegmenter.segment(text)) clusterEdges.add(part.index);
  const breaks = new Set<number>();
  const breaker = new LineBreaker(text);
  for (let next = breaker.nextBreak(); next; next = breaker.nextBreak()) breaks.add(next.position);
  for (const part of wordSegmenter.segment(text)) {
    const before = String.fromCodePoint(text.codePointAt(part.index - 1) ?? 0x20);
    if (part.index > 0 && DICTIONARY_SCRIPT.test(before) && DICTIONARY_SCRIPT.test(part.segment)) {
      breaks.add(part.index);
    }
  }
  return [...breaks].filter((offset) => offset > 0 && clusterEdges.has(offset)).sort((a, b) => a - b);
}

/** Greedy wrap at break opportunities; a piece wider than the line is broken between grapheme clusters. */
function wrap(text: string, maxWidth: number, width: (line: string) => number): string[] {
  if (text === '') return [''];
  const fits = (candidate: string) => width(candidate.trimEnd()) <= maxWidth;
  const lines: string[] = [];
  let current = '';
  let start = 0;
  const push = () => {
    if (current.trim() !== '') lines.push(current.trimEnd());
    current = '';
  };
  for (const end of breakOpportunities(text)) {
    const piece = text.slice(start, end);
    start = end;
    if (fits(current + piece)) {
      current += piece;
      continue;
    }
    push();
    if (fits(piece)) {
      current = piece;
      continue;
    }
    for (const grapheme of graphemes(piece)) {
      if (current && !fits(current + grapheme)) push();
      if (current !== '' || grapheme.trim() !== '') current += grapheme;
    }
  }
  push();
  return lines;
}
