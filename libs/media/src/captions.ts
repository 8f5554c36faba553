/** One caption on screen from startMs (inclusive) to endMs (exclusive). */
export interface CaptionLine {
  startMs: number;
  endMs: number;
  text: string;
}

/**
 * Sorts captions, trims and collapses blank lines out of their text, clamps them to [0, durationMs]
 * and drops those left empty or with no time on screen.
 */
export function normaliseCaptions(lines: readonly CaptionLine[], durationMs = Infinity): CaptionLine[] {
  return lines
    .map((line) => ({
      startMs: Math.max(0, Math.round(line.startMs)),
      endMs: Math.min(durationMs, Math.round(line.endMs)),
      text: line.text
        .split(/\r\n|\r|\n/)
        .map((row) => row.trim())
        .filter((row) => row !== '')
        .join('\n'),
    }))
    .filter((line) => line.text !== '' && line.endMs > line.startMs)
    .sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
}

function splitTime(ms: number): { hours: number; minutes: number; seconds: number; millis: number } {
  const total = Math.max(0, Math.round(ms));
  return {
    hours: Math.floor(total / 3_600_000),
    minutes: Math.floor(total / 60_000) % 60,
    seconds: Math.floor(total / 1000) % 60,
    millis: total % 1000,
  };
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** 00:01:02.345 */
export function formatVttTime(ms: number): string {
  const { hours, minutes, seconds, millis } = splitTime(ms);
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}.${pad(millis, 3)}`;
}

/** 00:01:02,345 */
export function formatSrtTime(ms: number): string {
  const { hours, minutes, seconds, millis } = splitTime(ms);
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)},${pad(millis, 3)}`;
}

/** 0:01:02.35 (ASS counts centiseconds and writes one digit of hours). */
export function formatAssTime(ms: number): string {
  const centis = Math.round(Math.max(0, ms) / 10);
  const hours = Math.floor(centis / 360_000);
  const minutes = Math.floor(centis / 6000) % 60;
  const seconds = Math.floor(centis / 100) % 60;
  return `${hours}:${pad(minutes)}:${pad(seconds)}.${pad(centis % 100)}`;
}

/** WebVTT cue text may not hold `&`, `<` or `>` raw (the last also keeps "-->" out). */
function escapeVttText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function toWebVtt(lines: readonly CaptionLine[]): string {
  const cues = normaliseCaptions(lines).map(
    (line, position) =>
      `${position + 1}\n${formatVttTime(line.startMs)} --> ${formatVttTime(line.endMs)}\n${escapeVttText(line.text)}\n`,
  );
  return ['WEBVTT\n', ...cues].join('\n');
}

export function toSrt(lines: readonly CaptionLine[]): string {
  return normaliseCaptions(lines)
    .map(
      (line, position) =>
        `${position + 1}\n${formatSrtTime(line.startMs)} --> ${formatSrtTime(line.endMs)}\n${line.text}\n`,
    )
    .join('\n');
}

/** How burned-in captions look in one format; sizes are pixels at the format's frame size. */
export interface AssCaptionStyle {
  width: number;
  height: number;
  fontFamily: string;
  bold: boolean;
  fontSize: number;
  /** #RRGGBB */
  textColor: string;
  /** #RRGGBB; the box behind each line. */
  boxColor: string;
  /** 0 (clear) … 1 (solid). */
  boxOpacity: number;
  marginLeft: number;
  marginRight: number;
  /** From the bottom edge of the frame to the bottom of the lowest caption line. */
  marginBottom: number;
}

/** &HAABBGGRR, where AA is transparency (00 = opaque). */
export function assColor(hex: string, opacity = 1): string {
  const rgb = parseHexColor(hex);
  const alpha = Math.round((1 - Math.min(1, Math.max(0, opacity))) * 255);
  const byte = (value: number) => value.toString(16).toUpperCase().padStart(2, '0');
  return `&H${byte(alpha)}${byte(rgb.blue)}${byte(rgb.green)}${byte(rgb.red)}`;
}

export function parseHexColor(hex: string): { red: number; green: number; blue: number } {
  const match = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!match) throw new RangeError(`not a #RRGGBB colour: ${JSON.stringify(hex)}`);
  const value = parseInt(match[1], 16);
  return { red: (value >> 16) & 0xff, green: (value >> 8) & 0xff, blue: value & 0xff };
}

/**
 * Dialogue text for libass: `\{` and `\}` are its literal braces, a word joiner after a backslash stops
 * it starting an override (`\N`, `\h`), and line breaks become `\N`.
 */
export function escapeAssText(text: string): string {
  return text
    .replace(/\\/g, '\\\u2060')
    .replace(/\{/g, '\\{')
    .replace(/\}/g, '\\}')
    .replace(/\r\n|\r|\n/g, '\\N');
}

/** A stretch of text in one font face; `size` is the ASS font size (the face's line height in pixels). */
export interface AssRun {
  text: string;
  family: string;
  bold: boolean;
  italic: boolean;
  size: number;
}

/**
 * A block of text laid out beforehand (lines already broken, each line as runs of one font), drawn by
 * libass at a fixed anchor without re-wrapping, each line centred on the anchor, in a box.
 */
export interface AssTextBlock {
  startMs: number;
  endMs: number;
  /** Numpad position of the anchor on the block: 7 8 9 top left/centre/right, 1 2 3 bottom. */
  alignment: 1 | 2 | 3 | 7 | 8 | 9;
  x: number;
  y: number;
  lines: readonly (readonly AssRun[])[];
  /** #RRGGBB */
  textColor: string;
  /** #RRGGBB */
  boxColor: string;
  boxOpacity: number;
  /** Box padding around each line, in pixels. */
  border: number;
}

/** The colour and alpha override tags (`\1c&HBBGGRR&\1a&HAA&`) for one of libass's four colours. */
function assColorTags(slot: 1 | 3, hex: string, opacity = 1): string {
  const value = assColor(hex, opacity);
  return `\\${slot}c&H${value.slice(4)}&\\${slot}a&H${value.slice(2, 4)}&`;
}

/** One Dialogue event for a laid-out block: `\q2` stops libass wrapping it again, `\fn` picks each run's face. */
export function assTextEvent(block: AssTextBlock, layer = 1): string {
  const family = (name: string) => name.replace(/[{}\\,]/g, ' ').trim();
  const round = (value: number) => Math.round(value * 100) / 100;
  const lines = block.lines.map((runs) =>
    runs
      .map(
        (run) =>
          `{\\fn${family(run.family)}\\fs${round(run.size)}\\b${run.bold ? 1 : 0}\\i${run.italic ? 1 : 0}}` +
          escapeAssText(run.text),
      )
      .join(''),
  );
  const tags =
    `{\\an${block.alignment}\\pos(${round(block.x)},${round(block.y)})\\q2\\bord${round(block.border)}\\shad0` +
    `${assColorTags(1, block.textColor)}${assColorTags(3, block.boxColor, block.boxOpacity)}}`;
  return (
    `Dialogue: ${layer},${formatAssTime(block.startMs)},${formatAssTime(block.endMs)},Caption,,0,0,0,,` +
    tags +
    lines.join('\\N')
  );
}

/**
 * A complete .ass script: one style, one Dialogue event per caption, wrapped by libass within the margins,
 * then the laid-out text blocks above them.
 */
export function toAss(
  lines: readonly CaptionLine[],
  style: AssCaptionStyle,
  blocks: readonly AssTextBlock[] = [],
): string {
  const fontName = style.fontFamily.replace(/,/g, ' ');
  const outline = Math.max(1, Math.round(style.fontSize * 0.25));
  const header = [
    '[Script Info]',
    'ScriptType: v4.00+',
    `PlayResX: ${style.width}`,
    `PlayResY: ${style.height}`,
    'WrapStyle: 0',
    'ScaledBorderAndShadow: yes',
    'YCbCr Matrix: TV.709',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, ' +
      'Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, ' +
      'MarginL, MarginR, MarginV, Encoding',
    // BorderStyle 3 draws an opaque box in OutlineColour behind each line; Alignment 2 is bottom centre.
    `Style: Caption,${fontName},${Math.round(style.fontSize)},${assColor(style.textColor)},${assColor(style.textColor)},` +
      `${assColor(style.boxColor, style.boxOpacity)},${assColor(style.boxColor, style.boxOpacity)},` +
      `${style.bold ? -1 : 0},0,0,0,100,100,0,0,3,${outline},0,2,` +
      `${Math.round(style.marginLeft)},${Math.round(style.marginRight)},${Math.round(style.marginBottom)},1`,
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
  ];
  const events = normaliseCaptions(lines).map(
    (line) =>
      `Dialogue: 0,${formatAssTime(line.startMs)},${formatAssTime(line.endMs)},Caption,,0,0,0,,${escapeAssText(line.text)}`,
  );
  return [...header, ...events, ...blocks.map((block) => assTextEvent(block)), ''].join('\n');
}
