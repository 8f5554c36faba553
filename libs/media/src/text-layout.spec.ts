import { readFileSync } from 'node:fs';
import { FontMetrics, measureText, parseFont } from './font-metrics';
import { SystemFonts } from './system-fonts';
import { graphemes, layoutTextBlock, missingCodePoints, TextBlock, TextBlockRequest } from './text-layout';

const THAI = 'ลดราคาพิเศษวันนี้เท่านั้น ซื้อเลยที่ร้านค้าใกล้บ้านคุณ';
const HINDI = 'आज ही खरीदें और पाएं पचास प्रतिशत की छूट हिन्दी में';
const EMOJI = 'Summer 🎉 party for the 👩‍👩‍👧 family 👍🏽 see you there 🏄‍♀️🌊';

const systemFonts = new SystemFonts();
let bold: FontMetrics;
let fallbacks: FontMetrics[];

beforeAll(async () => {
  const file = await systemFonts.file('DejaVu Sans:bold');
  bold = parseFont(readFileSync(file as string));
  const found = await systemFonts.fallbacksFor(missingCodePoints(THAI + HINDI + EMOJI, [bold]), bold);
  expect(found.problem).toBeNull();
  fallbacks = found.fonts;
});

const layout = (text: string, overrides: Partial<TextBlockRequest> = {}): TextBlock =>
  layoutTextBlock({
    text,
    maxWidth: 420,
    fontSize: 60,
    minFontSize: 60,
    maxLines: 8,
    metrics: bold,
    fallbacks,
    ...overrides,
  });

/** Offsets (UTF-16) at which each line but the last ends, in the text with its spaces. */
function lineEnds(text: string, lines: string[]): number[] {
  const ends: number[] = [];
  let offset = 0;
  for (const line of lines.slice(0, -1)) {
    offset = text.indexOf(line, offset) + line.length;
    while (text[offset] === ' ') offset++;
    ends.push(offset);
  }
  return ends;
}

/** Every line's runs are drawn in a font that has each of their visible code points. */
function expectRealGlyphs(block: TextBlock) {
  expect(block.missing).toEqual([]);
  for (const line of block.runs) {
    for (const run of line) {
      for (const char of run.text.replace(/\u200d|\ufe0f/g, '')) {
        expect([run.font?.family, char, run.font?.hasGlyph(char.codePointAt(0) as number)]).toEqual([
          run.font?.family,
          char,
          true,
        ]);
      }
    }
  }
}

describe('layoutTextBlock with real fonts', () => {
  it('breaks Thai only between dictionary words, in a Thai font', () => {
    const block = layout(THAI);
    expect(block.lines.length).toBeGreaterThan(2);
    expect(block.lines.join('').replace(/ /g, '')).toBe(THAI.replace(/ /g, ''));
    const words = new Set(
      Array.from(new Intl.Segmenter('th', { granularity: 'word' }).segment(THAI), (part) => part.index),
    );
    for (const end of lineEnds(THAI, block.lines)) expect(words.has(end)).toBe(true);
    for (const line of block.lines) {
      expect(line).not.toMatch(/^\p{M}/u);
      expect(measureText(line, 60, block.runs[0][0].font)).toBeLessThanOrEqual(420);
    }
    expect(new Set(block.runs.flat().map((run) => run.font?.family))).toEqual(new Set(['Noto Sans Thai']));
    expectRealGlyphs(block);
  });

  it('breaks Hindi only at spaces, never inside a conjunct or before a vowel sign', () => {
    const block = layout(HINDI);
    expect(block.lines.length).toBeGreaterThan(2);
    const words = HINDI.split(' ');
    for (const line of block.lines) {
      for (const word of line.split(' ')) expect(words).toContain(word);
    }
    expect(block.lines.join(' ')).toBe(HINDI);
    expect(block.runs.flat().every((run) => run.font?.family === 'Noto Sans Devanagari')).toBe(true);
    expectRealGlyphs(block);
  });

  it('keeps emoji sequences whole and draws them from a font that has them', () => {
    const block = layout(EMOJI, { maxLines: 10 });
    const clusters = new Set(graphemes(EMOJI));
    for (const line of block.lines)
      for (const cluster of graphemes(line)) expect(clusters).toContain(cluster);
    expect(block.lines.join(' ')).toBe(EMOJI);
    expect(block.lines.some((line) => line.includes('👩‍👩‍👧'))).toBe(true);
    const party = block.runs.flat().find((run) => run.text.includes('🎉'));
    expect(party?.font).not.toBe(bold);
    expect(block.runs.flat().find((run) => run.text.includes('Summer'))?.font).toBe(bold);
    expectRealGlyphs(block);
  });

  it('cuts a word too wide for the line between grapheme clusters only', () => {
    const block = layout('प्रतिशतप्रतिशतप्रतिशतप्रतिशत', { maxWidth: 200 });
    const clusters = new Set(graphemes('प्रतिशत'));
    expect(block.lines.length).toBeGreaterThan(1);
    for (const line of block.lines)
      for (const cluster of graphemes(line)) expect(clusters).toContain(cluster);
  });

  it('names what no font can draw', () => {
    const block = layout('ลดราคา sale', { maxWidth: 1000, maxLines: 1, fallbacks: [] });
    expect(block.missing).toEqual([...new Set(graphemes('ลดราคา'))]);
  });

  it('wraps to the width', () => {
    const block = layout('Summer sale on every board this week', { maxWidth: 500, maxLines: 3 });
    expect(block.lines.length).toBeGreaterThan(1);
    for (const line of block.lines) expect(measureText(line, 60, bold)).toBeLessThanOrEqual(500);
    expect(block.width).toBeCloseTo(Math.max(...block.lines.map((line) => measureText(line, 60, bold))));
  });

  it('shrinks the font before cutting, and cuts with an ellipsis when even the smallest size overflows', () => {
    const shrunk = layout('Fits when smaller', { maxWidth: 400, fontSize: 80, minFontSize: 40, maxLines: 1 });
    expect(shrunk.fontSize).toBeLessThan(80);
    expect(shrunk.lines).toEqual(['Fits when smaller']);
    const text = 'A headline that is far too long to fit on three short lines at any reasonable size at all';
    const cut = layout(text, { maxWidth: 300, fontSize: 60, minFontSize: 50, maxLines: 2 });
    expect(cut.truncated).toBe(true);
    expect(cut.lines).toHaveLength(2);
    expect(cut.lines[1].endsWith('…')).toBe(true);
    for (const line of cut.lines) expect(measureText(line, cut.fontSize, bold)).toBeLessThanOrEqual(300);
    const thai = layout(THAI, { maxWidth: 300, maxLines: 2 });
    expect(graphemes(thai.lines[1].slice(0, -1)).every((cluster) => graphemes(THAI).includes(cluster))).toBe(
      true,
    );
  });

  it('breaks Japanese between characters without measuring a font', () => {
    const block = layout('今日だけの特別セール開催中です', { maxWidth: 300, maxLines: 5, metrics: null });
    expect(block.lines.length).toBeGreaterThan(1);
    expect(block.lines.join('')).toBe('今日だけの特別セール開催中です');
  });
});
