/**
 * Just enough of an OpenType/TrueType reader to name a font (for libass, which matches fonts by family)
 * and to measure a line of text (for wrapping headlines inside a safe zone before drawtext draws them).
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
  /** Advance width in font units; the missing-glyph advance for code points the font lacks. */
  advance(codePoint: number): number;
  hasGlyph(codePoint: number): boolean;
}

interface TableRecord {
  offset: number;
  length: number;
}

export function parseFont(data: Uint8Array): FontMetrics {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let fontOffset = 0;
  if (tag(view, 0) === 'ttcf') fontOffset = view.getUint32(12);
  const version = view.getUint32(fontOffset);
  if (version !== 0x00010000 && tag(view, fontOffset) !== 'OTTO' && tag(view, fontOffset) !== 'true') {
    throw new RangeError('not an OpenType or TrueType font');
  }
  const tables = new Map<string, TableRecord>();
  const tableCount = view.getUint16(fontOffset + 4);
  for (let i = 0; i < tableCount; i++) {
    const record = fontOffset + 12 + i * 16;
    tables.set(tag(view, record), {
      offset: view.getUint32(record + 8),
      length: view.getUint32(record + 12),
    });
  }
  const table = (name: string): TableRecord => {
    const found = tables.get(name);
    if (!found) throw new RangeError(`font has no ${name} table`);
    return found;
  };

  const head = table('head');
  const unitsPerEm = view.getUint16(head.offset + 18);
  const macStyle = view.getUint16(head.offset + 44);
  const hhea = table('hhea');
  const ascender = view.getInt16(hhea.offset + 4);
  const descender = view.getInt16(hhea.offset + 6);
  const lineGap = view.getInt16(hhea.offset + 8);
  const metricCount = view.getUint16(hhea.offset + 34);
  const hmtx = table('hmtx');
  const advanceOfGlyph = (glyph: number) =>
    view.getUint16(hmtx.offset + 4 * Math.min(glyph, Math.max(0, metricCount - 1)));

  const os2 = tables.get('OS/2');
  const weight = os2 ? view.getUint16(os2.offset + 4) : macStyle & 1 ? 700 : 400;
  const names = readNames(view, table('name'));
  const family = names.get(16) ?? names.get(1) ?? '';
  const subfamily = names.get(17) ?? names.get(2) ?? '';
  const glyphOf = readCmap(view, table('cmap'));

  return {
    family,
    subfamily,
    weight,
    bold: weight >= 600 || (macStyle & 1) === 1,
    italic: (macStyle & 2) === 2 || /italic|oblique/i.test(subfamily),
    unitsPerEm,
    ascender,
    descender,
    lineGap,
    advance: (codePoint) => advanceOfGlyph(glyphOf(codePoint)),
    hasGlyph: (codePoint) => glyphOf(codePoint) !== 0,
  };
}

function tag(view: DataView, offset: number): string {
  return String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  );
}

/** nameID → string, preferring Windows Unicode English records, then any Unicode, then Mac Roman. */
function readNames(view: DataView, name: TableRecord): Map<number, string> {
  const count = view.getUint16(name.offset + 2);
  const storage = name.offset + view.getUint16(name.offset + 4);
  const found = new Map<number, { rank: number; value: string }>();
  for (let i = 0; i < count; i++) {
    const record = name.offset + 6 + i * 12;
    const platform = view.getUint16(record);
    const language = view.getUint16(record + 4);
    const nameId = view.getUint16(record + 6);
    const length = view.getUint16(record + 8);
    const start = storage + view.getUint16(record + 10);
    let value: string;
    let rank: number;
    if (platform === 0 || platform === 3) {
      const units: number[] = [];
      for (let offset = 0; offset + 1 < length; offset += 2) units.push(view.getUint16(start + offset));
      value = String.fromCharCode(...units);
      rank = platform === 3 && language === 0x409 ? 0 : 1;
    } else if (platform === 1) {
      const bytes: number[] = [];
      for (let offset = 0; offset < length; offset++) bytes.push(view.getUint8(start + offset));
      value = String.fromCharCode(...bytes);
      rank = 2;
    } else {
      continue;
    }
    const current = found.get(nameId);
    if (!current || rank < current.rank) found.set(nameId, { rank, value });
  }
  return new Map([...found].map(([id, { value }]) => [id, value]));
}

/** A code point → glyph id lookup from the best Unicode cmap subtable (format 12, else format 4). */
function readCmap(view: DataView, cmap: TableRecord): (codePoint: number) => number {
  const count = view.getUint16(cmap.offset + 2);
  let format4: number | null = null;
  let format12: number | null = null;
  for (let i = 0; i < count; i++) {
    const record = cmap.offset + 4 + i * 8;
    const platform = view.getUint16(record);
    const encoding = view.getUint16(record + 2);
    const subtable = cmap.offset + view.getUint32(record + 4);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode) continue;
    const format = view.getUint16(subtable);
    if (format === 12 && format12 === null) format12 = subtable;
    if (format === 4 && format4 === null) format4 = subtable;
  }
  if (format12 !== null) {
    const subtable = format12;
    const groups = view.getUint32(subtable + 12);
    return (codePoint) => {
      let low = 0;
      let high = groups - 1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        const group = subtable + 16 + middle * 12;
        const start = view.getUint32(group);
        const end = view.getUint32(group + 4);
        if (codePoint < start) high = middle - 1;
        else if (codePoint > end) low = middle + 1;
        else return view.getUint32(group + 8) + (codePoint - start);
      }
      return 0;
    };
  }
  if (format4 !== null) {
    const subtable = format4;
    const segments = view.getUint16(subtable + 6) / 2;
    const endCodes = subtable + 14;
    const startCodes = endCodes + segments * 2 + 2;
    const deltas = startCodes + segments * 2;
    const rangeOffsets = deltas + segments * 2;
    return (codePoint) => {
      if (codePoint > 0xffff) return 0;
      for (let i = 0; i < segments; i++) {
        if (codePoint > view.getUint16(endCodes + i * 2)) continue;
        const start = view.getUint16(startCodes + i * 2);
        if (codePoint < start) return 0;
        const delta = view.getInt16(deltas + i * 2);
        const rangeOffsetAt = rangeOffsets + i * 2;
        const rangeOffset = view.getUint16(rangeOffsetAt);
        if (rangeOffset === 0) return (codePoint + delta) & 0xffff;
        const glyph = view.getUint16(rangeOffsetAt + rangeOffset + (codePoint - start) * 2);
        return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
      }
      return 0;
    };
  }
  return () => 0;
}

/**
 * Width of one line of text in pixels at a font size (no kerning: drawtext applies only legacy `kern`
 * pairs, which make lines a little narrower, never wider). Without metrics, a conservative estimate.
 */
export function measureText(text: string, fontSizePx: number, metrics: FontMetrics | null): number {
  let units = 0;
  const unitsPerEm = metrics?.unitsPerEm ?? 1000;
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    units += metrics ? metrics.advance(codePoint) : estimatedAdvance(char) * 1000;
  }
  return (units * fontSizePx) / unitsPerEm;
}

/** Em fractions for a bold sans face, rounded up so estimates err wide. */
function estimatedAdvance(char: string): number {
  if (char === ' ') return 0.35;
  if (/[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/u.test(char)) return 1.0;
  if (/[iljI.,:;'|!]/.test(char)) return 0.38;
  if (/[mwMW@]/.test(char)) return 1.0;
  if (/[A-Z0-9]/.test(char)) return 0.78;
  return 0.68;
}
