import { readFileSync } from 'node:fs';
import { measureText, parseFont } from './font-metrics';
import { SystemFonts } from './system-fonts';

const fonts = new SystemFonts();
const open = async (pattern: string) => {
  const file = await fonts.file(pattern);
  if (!file) throw new Error(`fontconfig has no font for ${pattern}`);
  return parseFont(readFileSync(file));
};

describe('parseFont', () => {
  it('names the family and style the way libass matches them', async () => {
    expect(await open('DejaVu Sans:bold')).toMatchObject({
      family: 'DejaVu Sans',
      subfamily: 'Bold',
      weight: 700,
      bold: true,
      italic: false,
    });
    expect(await open('DejaVu Serif:italic')).toMatchObject({
      family: 'DejaVu Serif',
      bold: false,
      italic: true,
    });
  });

  it('measures shaped text: kerning narrows pairs, Devanagari conjuncts are one glyph', async () => {
    const bold = await open('DejaVu Sans:bold');
    expect(bold.unitsPerEm).toBe(2048);
    expect(bold.assHeight).toBeGreaterThan(bold.unitsPerEm);
    expect(measureText('M', 100, bold)).toBeGreaterThan(measureText('i', 100, bold));
    expect(measureText('AV', 100, bold)).toBeLessThan(
      measureText('A', 100, bold) + measureText('V', 100, bold),
    );
    expect(bold.hasGlyph(0x200a)).toBe(true);
    expect(bold.hasGlyph(0x0e01)).toBe(false);
    const hindi = await open('Noto Sans Devanagari:bold');
    // न्द is drawn as a conjunct, narrower than न, the virama and द side by side.
    expect(measureText('न्द', 100, hindi)).toBeLessThan(
      measureText('न', 100, hindi) + measureText('्', 100, hindi) + measureText('द', 100, hindi),
    );
  });

  it('refuses a file that is not a font', () => {
    expect(() => parseFont(Buffer.from('definitely not a font file'))).toThrow(RangeError);
  });
});
