import * as fontkit from 'fontkit';

/**
 * A font read by fontkit (TrueType, CFF, collections, variable fonts): its name and style, for libass,
 * which matches fonts by family, and shaped widths (ligatures, conjuncts, kerning) for wrapping text
 * inside a safe zone before libass draws it.
 */
export interface FontMetrics {
  family: string;
  subfamily: string;
  /** usWeightClass: 400 regular, 700 bold. */
  weight: number;
  bold: boolean;
  italic: boolean;
  unitsPerEm: number;
  ascender: number;
  descender: number;
  lineGap: number;
  /**
   * The height libass scales to its font size (OS/2 win ascent + descent, else hhea), in font units: an
   * ASS `\fs` of N pixels draws this height as N pixels.
   */
  assHeight: number;
  hasGlyph(codePoint: number): boolean;
  /** Width of a run of text in font units, shaped the way HarfBuzz shapes it (GSUB, GPOS kerning). */
  width(text: string): number;
}

/** Reads a font file's bytes; for a collection, the face named by postscriptName or else the first. */
export function parseFont(data: Uint8Array, postscriptName?: string): FontMetrics {
  let opened: fontkit.Font | fontkit.FontCollection;
  try {
    opened = fontkit.create(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  } catch (error) {
    throw new RangeError(`not an OpenType or TrueType font (${(error as Error).message})`);
  }
  const font =
    'fonts' in opened
      ? ((postscriptName && opened.getFont(postscriptName)) as fontkit.Font | null) || opened.fonts[0]
      : opened;
  if (!font || typeof font.layout !== 'function') throw new RangeError('not an OpenType or TrueType font');
  const os2 = font['OS/2'] as Partial<{ usWeightClass: number; winAscent: number; winDescent: number }>;
  const macStyle = (font as unknown as { head?: { macStyle?: { bold?: boolean; italic?: boolean } } }).head
    ?.macStyle;
  const subfamily = font.subfamilyName ?? '';
  const weight = os2?.usWeightClass ?? (macStyle?.bold ? 700 : 400);
  const winHeight = (os2?.winAscent ?? 0) + (os2?.winDescent ?? 0);
  const widths = new Map<string, number>();
  return {
    family: font.familyName ?? '',
    subfamily,
    weight,
    bold: weight >= 600 || macStyle?.bold === true,
    italic: macStyle?.italic === true || /italic|oblique/i.test(subfamily),
    unitsPerEm: font.unitsPerEm,
    ascender: font.ascent,
    descender: font.descent,
    lineGap: font.lineGap,
    assHeight: winHeight > 0 ? winHeight : font.ascent - font.descent,
    hasGlyph: (codePoint) => font.hasGlyphForCodePoint(codePoint),
    width: (text) => {
      let width = widths.get(text);
      if (width === undefined) {
        width = font.layout(text).advanceWidth;
        if (widths.size > 4096) widths.clear();
        widths.set(text, width);
      }
      return width;
    },
  };
}

/**
 * Width of one line of text in pixels at a font size (the em in pixels), shaped and kerned as libass
 * draws it. Without metrics, a conservative estimate.
 */
export function measureText(text: string, fontSizePx: number, metrics: FontMetrics | null): number {
  if (metrics) return (metrics.width(text) * fontSizePx) / metrics.unitsPerEm;
  let ems = 0;
  for (const char of text) ems += estimatedAdvance(char);
  return ems * fontSizePx;
}

/** Em fractions for a bold sans face, rounded up so estimates err wide. */
function estimatedAdvance(char: string): number {
  if (char === ' ') return 0.35;
  if (/\p{Mn}|\p{Me}|\u200d|\ufe0f/u.test(char)) return 0;
  if (
    /[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]|\p{Extended_Pictographic}/u.test(
      char,
    )
  )
    return 1.0;
  if (/[iljI.,:;'|!]/.test(char)) return 0.38;
  if (/[mwMW@]/.test(char)) return 1.0;
  if (/[A-Z0-9]/.test(char)) return 0.78;
  return 0.68;
}
