import { readFileSync } from 'node:fs';
import { measureText, parseFont } from './font-metrics';
import { layoutTextBlock } from './text-layout';

const DEJAVU = '/usr/share/fonts/truetype/dejavu';
const bold = parseFont(readFileSync(`${DEJAVU}/DejaVuSans-Bold.ttf`));

describe('parseFont', () => {
  it('names the family and style the way libass matches them', () => {
    expect(bold).toMatchObject({
      family: 'DejaVu Sans',
      subfamily: 'Bold',
      weight: 700,
      bold: true,
      italic: false,
    });
    const italic = parseFont(readFileSync(`${DEJAVU}/DejaVuSerif-Italic.ttf`));
    expect(italic).toMatchObject({ family: 'DejaVu Serif', bold: false, italic: true });
  });

  it('reads advance widths through the cmap', () => {
    expect(bold.unitsPerEm).toBe(2048);
    expect(bold.advance('M'.codePointAt(0) as number)).toBeGreaterThan(
      bold.advance('i'.codePointAt(0) as number),
    );
    expect(measureText('MM', 100, bold)).toBeCloseTo(2 * measureText('M', 100, bold));
    expect(bold.hasGlyph(0x200a)).toBe(true);
  });

  it('refuses a file that is not a font', () => {
    expect(() => parseFont(Buffer.from('definitely not a font file'))).toThrow(RangeError);
  });
});

describe('layoutTextBlock', () => {
  it('wraps to the width and pads shorter lines so each sits centred', () => {
    const block = layoutTextBlock({
      text: 'Summer sale on every board this week',
      maxWidth: 500,
      fontSize: 60,
      minFontSize: 60,
      maxLines: 3,
      metrics: bold,
    });
    expect(block.lines.length).toBeGreaterThan(1);
    for (const line of block.lines) expect(measureText(line, 60, bold)).toBeLessThanOrEqual(500);
    const padded = block.centredText.split('\n');
    padded.forEach((line, index) => {
      const lineWidth = measureText(block.lines[index], 60, bold);
      const padding = measureText(line, 60, bold) - lineWidth;
      expect(Math.abs(padding - (block.width - lineWidth) / 2)).toBeLessThan(3);
    });
  });

  it('shrinks the font before cutting, and cuts with an ellipsis when even the smallest size overflows', () => {
    const text = 'A headline that is far too long to fit on three short lines at any reasonable size at all';
    const shrunk = layoutTextBlock({
      text: 'Fits when smaller',
      maxWidth: 400,
      fontSize: 80,
      minFontSize: 40,
      maxLines: 1,
      metrics: bold,
    });
    expect(shrunk.fontSize).toBeLessThan(80);
    expect(shrunk.lines).toEqual(['Fits when smaller']);
    const cut = layoutTextBlock({
      text,
      maxWidth: 300,
      fontSize: 60,
      minFontSize: 50,
      maxLines: 2,
      metrics: bold,
    });
    expect(cut.truncated).toBe(true);
    expect(cut.lines).toHaveLength(2);
    expect(cut.lines[1].endsWith('…')).toBe(true);
    for (const line of cut.lines) expect(measureText(line, cut.fontSize, bold)).toBeLessThanOrEqual(300);
  });

  it('breaks text without spaces between characters', () => {
    const block = layoutTextBlock({
      text: '今日だけの特別セール開催中です',
      maxWidth: 300,
      fontSize: 60,
      minFontSize: 60,
      maxLines: 5,
      metrics: null,
    });
    expect(block.lines.length).toBeGreaterThan(1);
    expect(block.lines.join('')).toBe('今日だけの特別セール開催中です');
  });
});
