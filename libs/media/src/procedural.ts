import { chain, ffmpegColor, filter, seconds } from './filtergraph';

export const DEFAULT_FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

export interface ProceduralClipRequest {
  /** Hex digest; every visual choice is derived from it, so one hash always draws the same clip. */
  promptHash: string;
  prompt: string;
  width: number;
  height: number;
  durationMs: number;
  fps: number;
  outputPath: string;
  fontFile?: string;
}

/**
 * A storyboard clip drawn by ffmpeg alone: a slowly turning gradient in a palette taken from the prompt
 * hash, translucent squares that drift and rotate, and a few words of the prompt as scene titles.
 * H.264 High, yuv420p, +faststart, no audio track (compose adds the sound). Bit-exact flags, seeded
 * sources and a fixed x264 thread count make the same request produce the same bytes.
 */
export function proceduralClipArgs(request: ProceduralClipRequest): string[] {
  const { width, height, fps } = request;
  if (!/^[0-9a-f]{16,}$/i.test(request.promptHash))
    throw new RangeError('promptHash must be at least 16 hex digits');
  if (width < 16 || height < 16 || width % 2 || height % 2)
    throw new RangeError('width and height must be even, ≥ 16');
  if (!(request.durationMs > 0) || !(fps > 0)) throw new RangeError('durationMs and fps must be positive');
  const duration = seconds(request.durationMs);
  const bytes = hashBytes(request.promptHash);
  const palette = paletteFromHash(request.promptHash);
  const unit = Math.min(width, height);
  const graph: string[] = [];
  const gradientWidth = even(width / 4);
  const gradientHeight = even(height / 4);

  graph.push(
    chain(
      [],
      [
        // The gradient is smooth, so it is drawn at a quarter of the size and scaled up: gradients is slow.
        filter('gradients', {
          s: `${gradientWidth}x${gradientHeight}`,
          r: fps,
          d: duration,
          n: 3,
          c0: ffmpegColor(palette[0]),
          c1: ffmpegColor(palette[1]),
          c2: ffmpegColor(palette[2]),
          x0: Math.round((bytes[0] / 255) * gradientWidth),
          y0: 0,
          x1: Math.round((bytes[1] / 255) * gradientWidth),
          y1: gradientHeight,
          speed: (0.01 + (bytes[2] / 255) * 0.02).toFixed(4),
          seed: readUint32(bytes, 3),
        }),
        filter('scale', { w: width, h: height, flags: 'bilinear' }),
        'format=yuv420p',
      ],
      ['bg'],
    ),
  );

  let current = 'bg';
  const shapes = 3;
  for (let index = 0; index < shapes; index++) {
    const size = even(unit * (0.18 + (bytes[7 + index] / 255) * 0.22));
    const diagonal = even(size * Math.SQRT2);
    const speedX = (0.3 + (bytes[10 + index] / 255) * 0.6).toFixed(3);
    const speedY = (0.2 + (bytes[13 + index] / 255) * 0.5).toFixed(3);
    const phase = ((bytes[16 + index] / 255) * Math.PI * 2).toFixed(3);
    const spin = ((bytes[19 + index] / 255 - 0.5) * 1.6).toFixed(3);
    graph.push(
      chain(
        [],
        [
          filter('color', {
            c: ffmpegColor(palette[3 + (index % 2)], 0.55),
            s: `${size}x${size}`,
            r: fps,
            d: duration,
          }),
          'format=yuva420p',
          // A transparent fill: with 'none', rotate leaves whatever a reused buffer held and the squares smear.
          filter('rotate', { a: `t*${spin}+${phase}`, ow: diagonal, oh: diagonal, c: 'black@0' }),
        ],
        [`shape${index}`],
      ),
    );
    graph.push(
      chain(
        [current, `shape${index}`],
        [
          filter('overlay', {
            x: `(W-w)/2+(W-w)/2*sin(t*${speedX}+${phase})`,
            y: `(H-h)/2+(H-h)/2*cos(t*${speedY}+${phase})`,
            shortest: 1,
          }),
        ],
        [`scene${index}`],
      ),
    );
    current = `scene${index}`;
  }

  const words = sceneWords(request.prompt);
  const titleSize = Math.round(unit * 0.09);
  const titles = words.map((word, index) => {
    const start = (request.durationMs * index) / words.length;
    const end = (request.durationMs * (index + 1)) / words.length;
    return filter('drawtext', {
      fontfile: request.fontFile ?? DEFAULT_FONT_FILE,
      text: word,
      expansion: 'none',
      fontsize: titleSize,
      fontcolor: ffmpegColor(palette[5]),
      borderw: Math.max(1, Math.round(titleSize / 18)),
      bordercolor: ffmpegColor('#000000', 0.6),
      x: '(w-text_w)/2',
      y: `h*0.62-(t-${seconds(start)})*${Math.round(unit * 0.04)}`,
      enable: `gte(t,${seconds(start)})*lt(t,${seconds(end)})`,
    });
  });
  graph.push(chain([current], titles.length ? titles : ['null'], ['out']));

  return [
    '-filter_complex',
    graph.join(';'),
    '-map',
    '[out]',
    '-t',
    duration,
    '-c:v',
    'libx264',
    '-profile:v',
    'high',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    '-r',
    String(fps),
    '-g',
    String(Math.round(fps * 2)),
    '-threads',
    '2',
    '-an',
    '-fflags',
    '+bitexact',
    '-flags:v',
    '+bitexact',
    '-map_metadata',
    '-1',
    '-movflags',
    '+faststart',
    request.outputPath,
  ];
}

/** Six colours: three for the gradient, two for the shapes, one for titles; hues spread from the hash. */
export function paletteFromHash(promptHash: string): string[] {
  const bytes = hashBytes(promptHash);
  const hue = ((bytes[0] << 8) | bytes[1]) % 360;
  const spread = 25 + (bytes[2] % 40);
  return [
    hsl(hue, 0.65, 0.32),
    hsl(hue + spread, 0.7, 0.45),
    hsl(hue - spread, 0.6, 0.22),
    hsl(hue + 180, 0.75, 0.6),
    hsl(hue + 150, 0.55, 0.75),
    hsl(hue + 180, 0.2, 0.96),
  ];
}

const STOPWORDS = new Set(
  'a an and are as at be but by for from has have in into is it its of on or that the their this to was were will with'.split(
    ' ',
  ),
);

/** Up to three distinct words of the prompt, letters and digits only, longest-first ties in prompt order. */
export function sceneWords(prompt: string): string[] {
  const words = prompt.match(/[\p{L}\p{N}]+/gu) ?? [];
  const seen = new Set<string>();
  const candidates: string[] = [];
  for (const word of words) {
    const key = word.toLowerCase();
    if (word.length < 3 || STOPWORDS.has(key) || seen.has(key)) continue;
    seen.add(key);
    candidates.push(word.length > 16 ? word.slice(0, 16) : word);
  }
  return candidates
    .map((word, index) => ({ word, index }))
    .sort((a, b) => b.word.length - a.word.length || a.index - b.index)
    .slice(0, 3)
    .sort((a, b) => a.index - b.index)
    .map(({ word }) => word.toUpperCase());
}

function hashBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i + 1 < hex.length; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  while (bytes.length < 32) bytes.push(...bytes.slice(0, 32 - bytes.length));
  return bytes;
}

function readUint32(bytes: number[], offset: number): number {
  return (
    ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0
  );
}

function even(value: number): number {
  return Math.max(2, 2 * Math.round(value / 2));
}

function hsl(hue: number, saturation: number, lightness: number): string {
  const h = (((hue % 360) + 360) % 360) / 360;
  const q = lightness < 0.5 ? lightness * (1 + saturation) : lightness + saturation - lightness * saturation;
  const p = 2 * lightness - q;
  const channel = (t: number) => {
    const x = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    const value =
      x < 1 / 6 ? p + (q - p) * 6 * x : x < 1 / 2 ? q : x < 2 / 3 ? p + (q - p) * (2 / 3 - x) * 6 : p;
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(h + 1 / 3)}${channel(h)}${channel(h - 1 / 3)}`.toUpperCase();
}
