import * as path from 'node:path';
import { AssRun, AssTextBlock, CaptionLine, normaliseCaptions, parseHexColor, toAss } from './captions';
import { chain, filter, seconds } from './filtergraph';
import { DEFAULT_AI_LABELS } from './disclosure';
import { FontMetrics } from './font-metrics';
import { FORMATS, FormatId, SafeZone, safeZoneFor } from './platforms';
import { layoutTextBlock, TextBlock, TextRun } from './text-layout';

/** What the compose step knows about the generated clip (from ffprobe). */
export interface BaseClipInfo {
  path: string;
  width: number;
  height: number;
  durationMs: number;
  /** null when unknown; a clip at another rate is resampled to OUTPUT_FPS. */
  fps: number | null;
  hasAudio: boolean;
}

export interface ComposeBrand {
  /** TTF/OTF file; libass finds it through its family name in the file's folder. */
  fontFile: string;
  /** #RRGGBB: headline box, caption box, end card. */
  primaryColor: string;
  /** #RRGGBB: text drawn on the primary colour. */
  textColor: string;
  /** #RRGGBB: the call-to-action button. */
  accentColor: string;
  /** #RRGGBB: text on the accent colour; defaults to textColor. */
  accentTextColor?: string;
  /** PNG with transparency, scaled into a box in the top-left of the safe zone. */
  logoFile?: string | null;
  /** Music bed, looped or cut to the render's duration. */
  musicFile?: string | null;
}

export interface ComposeCopy {
  headline: string;
  cta: string;
}

export interface EncoderSettings {
  /** x264 preset; veryfast is the best speed/size trade on two cores for short ads. */
  preset: string;
  crf: number;
  /** Threads per x264 encoder (all formats encode at once); null lets x264 choose. */
  threads: number | null;
  /** Threads for filters that slice-thread (overlay, boxblur, lutyuv). */
  filterThreads: number | null;
  keyframeSeconds: number;
  audioBitrate: string;
  /** Integrated loudness target in LUFS. */
  loudnessI: number;
  /** True-peak ceiling in dBTP. */
  loudnessTp: number;
}

export const OUTPUT_FPS = 30;
export const AUDIO_SAMPLE_RATE = 48_000;

export const DEFAULT_ENCODER: EncoderSettings = {
  preset: 'veryfast',
  crf: 23,
  threads: 2,
  filterThreads: 1,
  keyframeSeconds: 2,
  audioBitrate: '128k',
  // -16 LUFS integrated, -1.5 dBTP: the usual mobile/social target; platforms that normalise (YouTube at -14)
  // turn it down or up by a couple of dB instead of squashing peaks.
  loudnessI: -16,
  loudnessTp: -1.5,
};

export interface ComposeSpec {
  clip: BaseClipInfo;
  brand: ComposeBrand;
  copy: ComposeCopy;
  captions: readonly CaptionLine[];
  formats: readonly FormatId[];
  durationMs: number;
  /** The last part of the render shows the end card. Default 1500 ms, never more than a third of the render. */
  endCardMs?: number;
  /** On-screen AI disclosure; false turns it off. Default 'AI-generated'. */
  aiLabel?: string | false;
  /** Written into each MP4 (e.g. `{ comment: 'adloom:manifest:…' }`). */
  metadata?: Record<string, string>;
  /** When the poster frame is taken. Default 1000 ms (or the middle of shorter renders). */
  posterAtMs?: number;
  /** Parsed brand font, for measuring text; null falls back to conservative estimates. */
  fontMetrics: FontMetrics | null;
  /**
   * Installed fonts (found through fontconfig, so libass finds them by family too) for characters the
   * brand font has no glyphs for, in order of preference.
   */
  fallbackFonts?: readonly FontMetrics[];
  /** The family libass should match for captions; from fontMetrics when omitted. */
  fontFamily?: string;
  encoder?: Partial<EncoderSettings>;
}

export interface ComposePaths {
  /** Scratch folder for text files and ASS scripts. */
  workDir: string;
  /** Where the MP4s and posters go. */
  outDir: string;
}

export interface FormatOutput {
  format: FormatId;
  width: number;
  height: number;
  video: string;
  poster: string;
}

export interface ComposePlan {
  /** ffmpeg arguments after the global flags the runner adds (-hide_banner, -progress, …). */
  args: string[];
  /** The second run that takes one poster frame from each finished render. */
  posterArgs: string[];
  /** Files the graph reads; write them before running ffmpeg. */
  files: Array<{ path: string; contents: string }>;
  outputs: FormatOutput[];
  layouts: Record<string, FormatLayout>;
  durationMs: number;
}

/** Where a block of text is anchored (pixels at the format's size) and the box padding around it. */
export interface TextPlacement {
  border: number;
  /** Numpad position of the anchor on the block: 8 top centre, 2 bottom centre, 9 top right. */
  alignment: AssTextBlock['alignment'];
  x: number;
  y: number;
  /** Height of the block's lines in pixels, as libass stacks them (without the box padding). */
  height: number;
}

/** Where things go in one format, in pixels at the format's size. */
export interface FormatLayout {
  format: FormatId;
  width: number;
  height: number;
  fit: 'blurred-fill' | 'crop';
  safe: SafeZone;
  headline: TextBlock & TextPlacement;
  cta: TextBlock & TextPlacement;
  endCardCta: TextBlock & TextPlacement;
  captions: { fontSize: number; marginBottom: number; marginLeft: number; marginRight: number };
  logo: { x: number; y: number; maxWidth: number; maxHeight: number; endY: number } | null;
  aiLabel: (TextBlock & TextPlacement) | null;
}

/** libass line height per em for text measured without a font (DejaVu Sans's win ascent + descent). */
const ESTIMATED_LINE_HEIGHT = 1.17;
/** Crop instead of blurred fill when cropping keeps at least this share of the clip's width or height. */
const CROP_KEEP_THRESHOLD = 0.8;
/** The blurred background is computed once at this width and scaled up per format. */
const BACKGROUND_WIDTH = 320;

export function buildComposePlan(spec: ComposeSpec, paths: ComposePaths): ComposePlan {
  if (spec.formats.length === 0) throw new RangeError('no formats requested');
  if (new Set(spec.formats).size !== spec.formats.length) throw new RangeError('a format is requested twice');
  if (!(spec.durationMs > 0)) throw new RangeError('durationMs must be positive');
  const encoder = { ...DEFAULT_ENCODER, ...spec.encoder };
  const durationMs = Math.round(spec.durationMs);
  const endCardMs = Math.min(spec.endCardMs ?? 1500, Math.floor(durationMs / 3));
  const endCardStart = seconds(durationMs - endCardMs);
  const duration = seconds(durationMs);
  const aiLabel = spec.aiLabel === undefined ? DEFAULT_AI_LABELS.en : spec.aiLabel;
  const hasLogo = Boolean(spec.brand.logoFile);
  const fontFamily = spec.fontFamily ?? spec.fontMetrics?.family ?? 'DejaVu Sans';
  const fontsDir = path.dirname(spec.brand.fontFile);
  const accentText = spec.brand.accentTextColor ?? spec.brand.textColor;
  const captions = normaliseCaptions(spec.captions, durationMs - endCardMs);

  const files: ComposePlan['files'] = [];
  const textFile = (name: string, contents: string) => {
    const file = path.join(paths.workDir, name);
    files.push({ path: file, contents });
    return file;
  };

  // Inputs: 0 = clip, then the logo, then the music bed or the silence.
  const inputs: string[] = ['-t', duration, '-i', spec.clip.path];
  let nextInput = 1;
  const logoInput = hasLogo ? nextInput++ : null;
  if (logoInput !== null) inputs.push('-i', spec.brand.logoFile as string);
  let audioSource: string;
  let audioNeedsFilters = true;
  if (spec.brand.musicFile) {
    inputs.push('-stream_loop', '-1', '-t', duration, '-i', spec.brand.musicFile);
    audioSource = `${nextInput++}:a:0`;
  } else if (spec.clip.hasAudio) {
    audioSource = '0:a:0';
  } else {
    inputs.push(
      '-f',
      'lavfi',
      '-t',
      duration,
      '-i',
      filter('anullsrc', { r: AUDIO_SAMPLE_RATE, cl: 'stereo' }),
    );
    audioSource = `${nextInput++}:a:0`;
    audioNeedsFilters = false;
  }

  const formats = [...spec.formats];
  const layouts: Record<string, FormatLayout> = {};
  for (const format of formats) layouts[format] = layoutFormat(format, spec, hasLogo, aiLabel);
  const graph: string[] = [];

  // Decode once; every format starts from this one stream.
  const fillFormats = formats.filter((format) => layouts[format].fit === 'blurred-fill');
  const foregrounds = new Map<string, FormatId[]>();
  for (const format of formats) {
    const key = foregroundFilters(spec.clip, format, layouts[format].fit).join(',');
    foregrounds.set(key, [...(foregrounds.get(key) ?? []), format]);
  }
  const sourceBranches = foregrounds.size + (fillFormats.length ? 1 : 0);
  const sourceFilters = ['format=yuv420p'];
  if (spec.clip.fps === null || Math.abs(spec.clip.fps - OUTPUT_FPS) > 0.01) {
    sourceFilters.push(filter('fps', { fps: OUTPUT_FPS }));
  }
  if (spec.clip.durationMs < durationMs) {
    sourceFilters.push(
      filter('tpad', { stop_mode: 'clone', stop_duration: seconds(durationMs - spec.clip.durationMs + 100) }),
    );
  }
  const sourceLabels = Array.from({ length: sourceBranches }, (_, index) => `src${index}`);
  graph.push(chain(['0:v'], [...sourceFilters, splitFilter('split', sourceBranches)], sourceLabels));

  // Formats that need the same foreground (three of four, from a landscape clip) scale it once.
  let sourceIndex = 0;
  const foregroundLabel = new Map<FormatId, string>();
  for (const [filters, group] of foregrounds) {
    const labels = group.map((format) => `fg_${format}`);
    graph.push(chain([sourceLabels[sourceIndex++]], [filters, splitFilter('split', group.length)], labels));
    group.forEach((format, index) => foregroundLabel.set(format, labels[index]));
  }

  if (fillFormats.length) {
    // Blur once at a small size, then crop each format's aspect from it and scale that up: the blur hides
    // the low resolution and costs a fraction of blurring full-size frames per format.
    const backgroundHeight = even((BACKGROUND_WIDTH * spec.clip.height) / spec.clip.width);
    graph.push(
      chain(
        [sourceLabels[sourceIndex++]],
        [
          filter('scale', { w: BACKGROUND_WIDTH, h: backgroundHeight, flags: 'area' }),
          filter('boxblur', { luma_radius: 6, luma_power: 2, chroma_radius: 3, chroma_power: 2 }),
          filter('lutyuv', { y: 'val*0.7+5' }),
          splitFilter('split', fillFormats.length),
        ],
        fillFormats.map((format) => `bgs_${format}`),
      ),
    );
    for (const format of fillFormats) {
      const { width, height } = FORMATS[format];
      const crop = cropToAspect(BACKGROUND_WIDTH, backgroundHeight, width / height);
      graph.push(
        chain(
          [`bgs_${format}`],
          [
            filter('crop', { w: crop.width, h: crop.height, x: crop.x, y: crop.y }),
            filter('scale', { w: width, h: height, flags: 'bilinear' }),
          ],
          [`bg_${format}`],
        ),
      );
    }
  }

  if (logoInput !== null) {
    const logo = layouts[formats[0]].logo;
    graph.push(
      chain(
        [`${logoInput}:v`],
        [
          filter('scale', { w: logo?.maxWidth, h: logo?.maxHeight, force_original_aspect_ratio: 'decrease' }),
          'format=yuva420p',
          splitFilter('split', formats.length),
        ],
        formats.map((format) => `logo_${format}`),
      ),
    );
  }

  const onEndCard = `gte(t,${endCardStart})`;
  const endCardTint = tintLut(spec.brand.primaryColor, 0.85);
  const outputs: FormatOutput[] = [];

  for (const format of formats) {
    const layout = layouts[format];
    const { width, height } = layout;
    let current = foregroundLabel.get(format) as string;
    if (layout.fit === 'blurred-fill') {
      graph.push(
        chain(
          [`bg_${format}`, current],
          [filter('overlay', { x: '(W-w)/2', y: '(H-h)/2' })],
          [`base_${format}`],
        ),
      );
      current = `base_${format}`;
    }

    const textColors = {
      textColor: spec.brand.textColor,
      boxColor: spec.brand.primaryColor,
      boxOpacity: 0.85,
    };
    const ctaColors = { textColor: accentText, boxColor: spec.brand.accentColor, boxOpacity: 1 };
    const blocks: AssTextBlock[] = [];
    const place = (
      block: TextBlock & TextPlacement,
      colors: Pick<AssTextBlock, 'textColor' | 'boxColor' | 'boxOpacity'>,
      startMs: number,
      endMs: number,
    ) => {
      if (block.lines.every((line) => line.trim() === '')) return;
      blocks.push({
        startMs,
        endMs,
        alignment: block.alignment,
        x: block.x,
        y: block.y,
        border: block.border,
        lines: block.runs.map((line) => line.map((run) => assRun(run, block.fontSize, fontFamily))),
        ...colors,
      });
    };
    const endCardStartMs = durationMs - endCardMs;
    place(layout.headline, textColors, 0, endCardStartMs);
    place(layout.cta, ctaColors, 0, endCardStartMs);
    place(layout.endCardCta, ctaColors, endCardStartMs, durationMs);
    if (layout.aiLabel) {
      place(layout.aiLabel, { textColor: '#FFFFFF', boxColor: '#000000', boxOpacity: 0.55 }, 0, durationMs);
    }
    // The end card: the frame tinted towards the brand colour (a lookup table, far cheaper than a
    // blended full-frame box); the text drawn over it by libass, which shapes every script (HarfBuzz).
    const steps: string[] = ['setsar=1', filter('lutyuv', { ...endCardTint, enable: onEndCard })];
    if (captions.length || blocks.length) {
      const assFile = textFile(
        `text-${format}.ass`,
        toAss(
          captions,
          {
            width,
            height,
            fontFamily,
            bold: spec.fontMetrics?.bold ?? false,
            fontSize: layout.captions.fontSize,
            textColor: spec.brand.textColor,
            boxColor: spec.brand.primaryColor,
            boxOpacity: 0.8,
            marginLeft: layout.captions.marginLeft,
            marginRight: layout.captions.marginRight,
            marginBottom: layout.captions.marginBottom,
          },
          blocks,
        ),
      );
      steps.push(filter('ass', { filename: assFile, fontsdir: fontsDir }));
    }

    const logo = layout.logo;
    if (logoInput !== null && logo) {
      graph.push(chain([current], steps, [`text_${format}`]));
      graph.push(
        chain(
          [`text_${format}`, `logo_${format}`],
          [
            filter('overlay', {
              x: `if(${onEndCard},(W-w)/2,${logo.x})`,
              y: `if(${onEndCard},${logo.endY}-h,${logo.y})`,
            }),
          ],
          [`v_${format}`],
        ),
      );
    } else {
      graph.push(chain([current], steps, [`v_${format}`]));
    }
    outputs.push({
      format,
      width,
      height,
      video: path.join(paths.outDir, `${format}.mp4`),
      poster: path.join(paths.outDir, `${format}.jpg`),
    });
  }

  const args = [...inputs];
  if (encoder.filterThreads !== null) args.push('-filter_complex_threads', String(encoder.filterThreads));
  args.push('-filter_complex', graph.join(';'));
  // Audio gets a graph of its own: sharing the video graph makes ffmpeg stall between the two.
  if (audioNeedsFilters) {
    args.push(
      '-filter_complex',
      chain(
        [audioSource],
        [
          filter('aformat', { sample_rates: AUDIO_SAMPLE_RATE, channel_layouts: 'stereo' }),
          filter('loudnorm', { I: encoder.loudnessI, TP: encoder.loudnessTp, LRA: 11 }),
          // loudnorm works at 192 kHz internally and hands that rate on.
          filter('aresample', { osr: AUDIO_SAMPLE_RATE }),
          filter('apad', { whole_dur: duration }),
          filter('afade', {
            t: 'out',
            st: seconds(Math.max(0, durationMs - 500)),
            d: seconds(Math.min(500, durationMs)),
          }),
          splitFilter('asplit', formats.length),
        ],
        formats.map((format) => `a_${format}`),
      ),
    );
  }
  const metadata = Object.entries(spec.metadata ?? {}).flatMap(([key, value]) => [
    '-metadata',
    `${key}=${value}`,
  ]);
  for (const output of outputs) {
    args.push(
      '-map',
      `[v_${output.format}]`,
      '-map',
      audioNeedsFilters ? `[a_${output.format}]` : audioSource,
      ...videoEncoderArgs(encoder),
      ...audioEncoderArgs(encoder),
      '-t',
      duration,
      '-map_metadata',
      '-1',
      ...metadata,
      '-movflags',
      '+faststart',
      output.video,
    );
  }
  const posterAt = Math.min(spec.posterAtMs ?? 1000, durationMs - endCardMs, durationMs / 2);
  return { args, posterArgs: posterArgs(outputs, posterAt), files, outputs, layouts, durationMs };
}

/**
 * One JPEG per render, taken from the finished MP4s in a second, cheap ffmpeg run (a poster branch inside
 * the compose graph holds up every encoder until its frame arrives).
 */
export function posterArgs(outputs: readonly FormatOutput[], atMs: number): string[] {
  const inputs = outputs.flatMap((output) => ['-ss', seconds(atMs), '-i', output.video]);
  const posters = outputs.flatMap((output, index) => [
    '-map',
    `${index}:v:0`,
    '-frames:v',
    '1',
    '-q:v',
    '3',
    '-update',
    '1',
    output.poster,
  ]);
  return [...inputs, ...posters];
}

/**
 * lutyuv expressions that blend every pixel towards a colour: what a filled drawbox at that opacity does,
 * as one table lookup per sample. BT.601 limited range, as drawtext and drawbox convert colours.
 */
export function tintLut(hex: string, opacity: number): { y: string; u: string; v: string } {
  const { y, u, v } = rgbToYuv(hex);
  const keep = Number((1 - opacity).toFixed(3));
  const blend = (target: number) => `val*${keep}+${Number((target * opacity).toFixed(2))}`;
  return { y: blend(y), u: blend(u), v: blend(v) };
}

function rgbToYuv(hex: string): { y: number; u: number; v: number } {
  const { red, green, blue } = parseHexColor(hex);
  return {
    y: 16 + (65.481 * red + 128.553 * green + 24.966 * blue) / 255,
    u: 128 + (-37.797 * red - 74.203 * green + 112 * blue) / 255,
    v: 128 + (112 * red - 93.786 * green - 18.214 * blue) / 255,
  };
}

/** H.264 High, yuv420p, constant 30 fps, keyframes every keyframeSeconds. */
export function videoEncoderArgs(encoder: EncoderSettings): string[] {
  return [
    '-c:v',
    'libx264',
    '-profile:v',
    'high',
    '-preset',
    encoder.preset,
    '-crf',
    String(encoder.crf),
    '-pix_fmt',
    'yuv420p',
    '-r',
    String(OUTPUT_FPS),
    '-fps_mode',
    'cfr',
    '-g',
    String(Math.round(encoder.keyframeSeconds * OUTPUT_FPS)),
    ...(encoder.threads !== null ? ['-threads', String(encoder.threads)] : []),
  ];
}

export function audioEncoderArgs(encoder: EncoderSettings): string[] {
  return ['-c:a', 'aac', '-b:a', encoder.audioBitrate, '-ar', String(AUDIO_SAMPLE_RATE), '-ac', '2'];
}

function splitFilter(name: 'split' | 'asplit', count: number): string {
  return count === 1 ? (name === 'split' ? 'null' : 'anull') : `${name}=${count}`;
}

function even(value: number): number {
  return Math.max(2, 2 * Math.round(value / 2));
}

/** The largest centred rectangle of the given aspect inside width×height, in even pixels. */
export function cropToAspect(
  width: number,
  height: number,
  aspect: number,
): { width: number; height: number; x: number; y: number } {
  let cropWidth = width;
  let cropHeight = height;
  if (width / height > aspect) cropWidth = Math.min(width, even(height * aspect));
  else cropHeight = Math.min(height, even(width / aspect));
  return {
    width: cropWidth,
    height: cropHeight,
    x: Math.floor((width - cropWidth) / 2),
    y: Math.floor((height - cropHeight) / 2),
  };
}

/** Blurred fill when the clip's aspect is far from the format's; a centre crop when little would be lost. */
export function chooseFit(
  clip: { width: number; height: number },
  format: FormatId,
): 'blurred-fill' | 'crop' {
  const source = clip.width / clip.height;
  const target = FORMATS[format].width / FORMATS[format].height;
  return Math.min(source, target) / Math.max(source, target) >= CROP_KEEP_THRESHOLD ? 'crop' : 'blurred-fill';
}

/** The filters that turn the decoded clip into this format's foreground (the whole frame when cropping). */
function foregroundFilters(clip: BaseClipInfo, format: FormatId, fit: 'blurred-fill' | 'crop'): string[] {
  const { width, height } = FORMATS[format];
  if (fit === 'crop') {
    const crop = cropToAspect(clip.width, clip.height, width / height);
    const cropFilter =
      crop.width === clip.width && crop.height === clip.height
        ? []
        : [filter('crop', { w: crop.width, h: crop.height, x: crop.x, y: crop.y })];
    return [...cropFilter, filter('scale', { w: width, h: height })];
  }
  const scale = Math.min(width / clip.width, height / clip.height);
  return [filter('scale', { w: even(clip.width * scale), h: even(clip.height * scale) })];
}

/** ASS font size for a run at an em of emPx: libass scales a face's own line height to its size. */
function assSize(font: FontMetrics | null, emPx: number): number {
  return font ? (emPx * font.assHeight) / font.unitsPerEm : emPx * ESTIMATED_LINE_HEIGHT;
}

function assRun(run: TextRun, emPx: number, brandFamily: string): AssRun {
  return {
    text: run.text,
    family: run.font?.family ?? brandFamily,
    bold: run.font?.bold ?? true,
    italic: run.font?.italic ?? false,
    size: assSize(run.font, emPx),
  };
}

function layoutFormat(
  format: FormatId,
  spec: ComposeSpec,
  hasLogo: boolean,
  aiLabel: string | false,
): FormatLayout {
  const { width, height } = FORMATS[format];
  const safe = safeZoneFor(format);
  const unit = Math.min(width, height);
  const left = safe.left;
  const right = width - safe.right;
  const top = safe.top;
  const bottom = height - safe.bottom;
  const safeWidth = right - left;
  const centre = width / 2;
  const gap = Math.round(unit * 0.025);
  const metrics = spec.fontMetrics;
  const fallbacks = spec.fallbackFonts ?? [];
  // libass stacks lines at the tallest face's line height, with no extra spacing.
  const blockHeight = (block: TextBlock) =>
    block.runs.reduce(
      (total, line) =>
        total +
        Math.max(assSize(metrics, block.fontSize), ...line.map((run) => assSize(run.font, block.fontSize))),
      0,
    );
  const layout = (
    text: string,
    fontSize: number,
    minFontSize: number,
    maxLines: number,
    border: number,
    place: Omit<TextPlacement, 'border' | 'height'>,
    maxWidth = safeWidth,
  ): TextBlock & TextPlacement => {
    const block = layoutTextBlock({
      text,
      maxWidth: maxWidth - 2 * border,
      fontSize,
      minFontSize,
      maxLines,
      metrics,
      fallbacks,
    });
    return { ...block, ...place, border, height: blockHeight(block) };
  };

  const logoBox = { width: Math.round(unit * 0.22), height: Math.round(unit * 0.09) };
  const aiSize = Math.round(unit * 0.026);
  const aiBorder = Math.round(aiSize * 0.35);
  const aiBlock = aiLabel
    ? layout(
        aiLabel,
        aiSize,
        aiSize,
        1,
        aiBorder,
        { alignment: 9, x: right - aiBorder, y: top + aiBorder },
        safeWidth - (hasLogo ? logoBox.width + gap : 0),
      )
    : null;
  const topRow = Math.max(hasLogo ? logoBox.height : 0, aiBlock ? aiBlock.height + 2 * aiBorder : 0);

  const headlineSize = Math.round(unit * 0.062);
  const headlineBorder = Math.round(headlineSize * 0.35);
  const headline = layout(spec.copy.headline, headlineSize, Math.round(unit * 0.042), 3, headlineBorder, {
    alignment: 8,
    x: centre,
    y: Math.round(top + (topRow ? topRow + gap : 0) + headlineBorder),
  });

  const ctaSize = Math.round(unit * 0.05);
  const ctaBorder = Math.round(ctaSize * 0.45);
  const cta = layout(spec.copy.cta, ctaSize, Math.round(unit * 0.035), 2, ctaBorder, {
    alignment: 2,
    x: centre,
    y: Math.round(bottom - ctaBorder),
  });

  const endSize = Math.round(unit * 0.085);
  const endBorder = Math.round(endSize * 0.4);
  const safeMiddle = Math.round((top + bottom) / 2);
  const endCardCta = layout(spec.copy.cta, endSize, Math.round(unit * 0.05), 3, endBorder, {
    alignment: 8,
    x: centre,
    y: safeMiddle + gap + endBorder,
  });

  return {
    format,
    width,
    height,
    fit: chooseFit(spec.clip, format),
    safe,
    headline,
    cta,
    endCardCta,
    captions: {
      fontSize: Math.round(unit * 0.042),
      marginBottom: Math.round(safe.bottom + cta.height + 2 * ctaBorder + gap),
      marginLeft: left + gap,
      marginRight: safe.right + gap,
    },
    logo: hasLogo
      ? { x: left, y: top, maxWidth: logoBox.width, maxHeight: logoBox.height, endY: safeMiddle - gap }
      : null,
    aiLabel: aiBlock,
  };
}
