import { Injectable } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { FontMetrics, parseFont } from './font-metrics';

export interface FallbackFonts {
  fonts: FontMetrics[];
  /** Code points no installed font was found for. */
  unresolved: number[];
  /** What went wrong and what to install, or null when every code point has a font. */
  problem: string | null;
}

export interface SystemFontsOptions {
  /** fontconfig's matcher. */
  fcMatchPath?: string;
}

/** The fonts installed on this machine, found through fontconfig (the same fonts libass can use). */
@Injectable()
export class SystemFonts {
  private readonly fcMatchPath: string;
  private readonly byFile = new Map<string, Promise<FontMetrics | null>>();

  constructor(options: SystemFontsOptions = {}) {
    this.fcMatchPath = options.fcMatchPath ?? 'fc-match';
  }

  /**
   * Fonts that between them have glyphs for the code points, in the style asked for where one exists:
   * fontconfig's best match for each code point still missing, kept when it really has the glyph.
   */
  async fallbacksFor(
    codePoints: readonly number[],
    style: { bold: boolean; italic: boolean },
  ): Promise<FallbackFonts> {
    const fonts: FontMetrics[] = [];
    const unresolved: number[] = [];
    let remaining = [...new Set(codePoints)];
    while (remaining.length > 0) {
      const [codePoint] = remaining;
      let font: FontMetrics | null;
      try {
        font = await this.match(codePoint, style);
      } catch (error) {
        return {
          fonts,
          unresolved: remaining.concat(unresolved),
          problem:
            `fontconfig could not be asked for a font with ${describe(remaining)} (${(error as Error).message}); ` +
            'they are drawn as empty boxes: install fontconfig and fonts-noto-core',
        };
      }
      if (font?.hasGlyph(codePoint)) {
        const found = font;
        if (!fonts.includes(found)) fonts.push(found);
        remaining = remaining.filter((other) => !found.hasGlyph(other));
      } else {
        unresolved.push(codePoint);
        remaining = remaining.slice(1);
      }
    }
    const problem = unresolved.length
      ? `no installed font has glyphs for ${describe(unresolved)}; they are drawn as empty boxes: ` +
        'install fonts-noto-core (Thai, Devanagari and other scripts) and fonts-symbola (emoji)'
      : null;
    return { fonts, unresolved, problem };
  }

  /** The file of fontconfig's best match for a pattern (`DejaVu Sans:bold`), or null when it has none. */
  async file(pattern: string): Promise<string | null> {
    return (await this.lookUp(pattern)).file;
  }

  private async match(
    codePoint: number,
    style: { bold: boolean; italic: boolean },
  ): Promise<FontMetrics | null> {
    const weight = style.bold ? 200 : 80;
    const slant = style.italic ? 100 : 0;
    const { file, postscriptName } = await this.lookUp(
      `sans-serif:weight=${weight}:slant=${slant}:charset=${codePoint.toString(16)}`,
    );
    if (!file) return null;
    const key = `${file}\t${postscriptName}`;
    let font = this.byFile.get(key);
    if (!font) {
      font = fs
        .readFile(file)
        .then((data) => parseFont(data, postscriptName || undefined))
        .catch(() => null);
      this.byFile.set(key, font);
    }
    return font;
  }

  private async lookUp(pattern: string): Promise<{ file: string | null; postscriptName: string }> {
    const found = await new Promise<string>((resolve, reject) =>
      execFile(this.fcMatchPath, ['--format=%{file}\t%{postscriptname}', pattern], (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    const [file, postscriptName = ''] = found.trim().split('\t');
    return { file: file || null, postscriptName };
  }
}

function describe(codePoints: readonly number[]): string {
  const shown = codePoints.slice(0, 6).map((codePoint) => {
    const hex = codePoint.toString(16).toUpperCase().padStart(4, '0');
    return `"${String.fromCodePoint(codePoint)}" (U+${hex})`;
  });
  return shown.join(', ') + (codePoints.length > 6 ? ` and ${codePoints.length - 6} more` : '');
}
