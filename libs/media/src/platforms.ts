import { audioStream, ProbeResult, videoStream } from './probe';

/** The render formats Adloom produces: id → frame size in pixels. */
export const FORMATS = {
  '9x16': { width: 1080, height: 1920 },
  '1x1': { width: 1080, height: 1080 },
  '16x9': { width: 1920, height: 1080 },
  '4x5': { width: 1080, height: 1350 },
} as const satisfies Record<string, { width: number; height: number }>;

export type FormatId = keyof typeof FORMATS;
export const FORMAT_IDS = Object.keys(FORMATS) as FormatId[];

export function isFormatId(value: string): value is FormatId {
  return Object.prototype.hasOwnProperty.call(FORMATS, value);
}

/** Pixels to keep free of text and logos at each edge, measured at the format's size. */
export interface SafeZone {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export type PlatformId =
  'tiktok_in_feed' | 'meta_reels' | 'meta_stories' | 'meta_feed' | 'youtube_shorts' | 'youtube_instream';

export interface PlatformSpec {
  id: PlatformId;
  name: string;
  /** Formats the placement accepts, the first being the one it is designed for. */
  formats: FormatId[];
  minSize: { width: number; height: number } | null;
  durationMs: { min: number; max: number | null; recommendedMax: number | null };
  container: 'mp4';
  videoCodec: 'h264';
  videoProfile: 'High';
  pixelFormat: 'yuv420p';
  audioCodec: 'aac';
  audioSampleRates: readonly number[];
  frameRate: { min: number; max: number };
  maxFileBytes: number | null;
  minBitrateBps: number | null;
  safeZones: Partial<Record<FormatId, SafeZone>>;
  sources: string[];
}

const MB = 1_000_000;
const GB = 1_000_000_000;

const common = {
  container: 'mp4',
  videoCodec: 'h264',
  videoProfile: 'High',
  pixelFormat: 'yuv420p',
  audioCodec: 'aac',
  audioSampleRates: [44_100, 48_000],
  frameRate: { min: 24, max: 30 },
} as const;

const metaFeedMargins: SafeZone = { top: 64, right: 64, bottom: 64, left: 64 };

/**
 * Placement specs as published in November 2026.
 * Safe zones marked "estimate" are not published as numbers by the platform.
 */
export const PLATFORMS: Record<PlatformId, PlatformSpec> = {
  tiktok_in_feed: {
    ...common,
    id: 'tiktok_in_feed',
    name: 'TikTok In-Feed',
    formats: ['9x16', '1x1', '16x9'],
    minSize: { width: 540, height: 960 },
    durationMs: { min: 5_000, max: 60_000, recommendedMax: 34_000 },
    maxFileBytes: 500 * MB,
    minBitrateBps: 516_000,
    // Published for 9:16 only; the left edge is an estimate (the right carries the action rail).
    safeZones: { '9x16': { top: 150, right: 150, bottom: 440, left: 60 } },
    sources: ['https://ads.tiktok.com/help/article/tiktok-auction-in-feed-ads'],
  },
  meta_reels: {
    ...common,
    id: 'meta_reels',
    name: 'Meta Reels',
    formats: ['9x16'],
    minSize: null,
    // Meta recommends up to 15 s; published maxima disagree, 60 s is the floor of them.
    durationMs: { min: 1_000, max: 60_000, recommendedMax: 15_000 },
    maxFileBytes: 4 * GB,
    minBitrateBps: null,
    // top 14 %, bottom 35 %, sides 6 % of 1080×1920.
    safeZones: { '9x16': { top: 269, right: 65, bottom: 672, left: 65 } },
    sources: ['https://www.facebook.com/business/help (Reels ads specifications)'],
  },
  meta_stories: {
    ...common,
    id: 'meta_stories',
    name: 'Meta Stories',
    formats: ['9x16'],
    minSize: null,
    durationMs: { min: 1_000, max: 60_000, recommendedMax: 15_000 },
    maxFileBytes: 4 * GB,
    minBitrateBps: null,
    // top 14 %, bottom 20 % of 1920; sides are an estimate (6 % as for Reels).
    safeZones: { '9x16': { top: 269, right: 65, bottom: 384, left: 65 } },
    sources: ['https://www.facebook.com/business/help (Stories ads specifications)'],
  },
  meta_feed: {
    ...common,
    id: 'meta_feed',
    name: 'Meta Feed',
    formats: ['4x5', '1x1'],
    minSize: null,
    durationMs: { min: 1_000, max: 241 * 60_000, recommendedMax: null },
    maxFileBytes: 4 * GB,
    minBitrateBps: null,
    safeZones: { '4x5': metaFeedMargins, '1x1': metaFeedMargins },
    sources: ['https://www.facebook.com/business/help (Feed video ads specifications)'],
  },
  youtube_shorts: {
    ...common,
    id: 'youtube_shorts',
    name: 'YouTube Shorts ads',
    formats: ['9x16'],
    minSize: null,
    // Up to 3 min; the Shorts feed plays the first 60 s.
    durationMs: { min: 1_000, max: 180_000, recommendedMax: 60_000 },
    maxFileBytes: null,
    minBitrateBps: null,
    // Estimate: the action rail on the right, title and channel bar at the bottom.
    safeZones: { '9x16': { top: 120, right: 150, bottom: 384, left: 48 } },
    sources: ['https://support.google.com/google-ads/answer/16041697'],
  },
  youtube_instream: {
    ...common,
    id: 'youtube_instream',
    name: 'YouTube in-stream',
    formats: ['16x9'],
    minSize: null,
    // Skippable: any length. Bumper ads (≤ 6 s) are the same format.
    durationMs: { min: 1_000, max: null, recommendedMax: null },
    maxFileBytes: null,
    minBitrateBps: null,
    safeZones: {},
    sources: ['https://support.google.com/google-ads/answer/16041697'],
  },
};

export const PLATFORM_IDS = Object.keys(PLATFORMS) as PlatformId[];

/** Title-safe margin applied to every format on top of the platforms' own safe zones. */
const TITLE_SAFE_FRACTION = 0.05;

/** The platforms a format serves. With a duration, only those whose limits accept it. */
export function platformsFor(format: FormatId, durationMs?: number): PlatformSpec[] {
  return PLATFORM_IDS.map((id) => PLATFORMS[id]).filter(
    (platform) =>
      platform.formats.includes(format) &&
      (durationMs === undefined ||
        (durationMs >= platform.durationMs.min &&
          (platform.durationMs.max === null || durationMs <= platform.durationMs.max))),
  );
}

/** The safe zone of a format: at every edge the largest margin any platform it serves asks for. */
export function safeZoneFor(format: FormatId): SafeZone {
  const { width, height } = FORMATS[format];
  const zone: SafeZone = {
    top: Math.round(height * TITLE_SAFE_FRACTION),
    bottom: Math.round(height * TITLE_SAFE_FRACTION),
    left: Math.round(width * TITLE_SAFE_FRACTION),
    right: Math.round(width * TITLE_SAFE_FRACTION),
  };
  for (const platform of platformsFor(format)) {
    const platformZone = platform.safeZones[format];
    if (!platformZone) continue;
    zone.top = Math.max(zone.top, platformZone.top);
    zone.right = Math.max(zone.right, platformZone.right);
    zone.bottom = Math.max(zone.bottom, platformZone.bottom);
    zone.left = Math.max(zone.left, platformZone.left);
  }
  return zone;
}

/** The strictest file-size limit among the platforms a format serves, or null when none has one. */
export function maxFileBytesFor(format: FormatId): number | null {
  const limits = platformsFor(format)
    .map((platform) => platform.maxFileBytes)
    .filter((limit): limit is number => limit !== null);
  return limits.length ? Math.min(...limits) : null;
}

export function minBitrateFor(format: FormatId): number | null {
  const floors = platformsFor(format)
    .map((platform) => platform.minBitrateBps)
    .filter((floor): floor is number => floor !== null);
  return floors.length ? Math.max(...floors) : null;
}

export type RenderViolationCode =
  | 'container'
  | 'video_missing'
  | 'video_codec'
  | 'video_profile'
  | 'pixel_format'
  | 'size'
  | 'duration'
  | 'frame_rate'
  | 'audio_missing'
  | 'audio_codec'
  | 'audio_sample_rate'
  | 'audio_channels'
  | 'file_size'
  | 'bitrate'
  | 'faststart';

/**
 * `error`: at least one platform the format serves would reject the file.
 * `warning`: accepted, but below a platform's recommendation (a low bitrate from simple content, say).
 */
export interface RenderViolation {
  code: RenderViolationCode;
  severity: 'error' | 'warning';
  detail: string;
}

const DURATION_TOLERANCE_SEC = 0.1;

/** Everything about a finished render that a platform serving its format would object to. */
export function checkRender(
  probe: ProbeResult,
  format: FormatId,
  expectedDurationMs: number,
): RenderViolation[] {
  const violations: RenderViolation[] = [];
  const error = (code: RenderViolationCode, detail: string) =>
    violations.push({ code, severity: 'error', detail });
  const expected = FORMATS[format];

  if (!probe.format.formatName.split(',').includes('mp4')) {
    error('container', `container is ${probe.format.formatName || 'unknown'}, expected mp4`);
  }

  const video = videoStream(probe);
  if (!video) {
    error('video_missing', 'no video stream');
  } else {
    if (video.codecName !== 'h264') error('video_codec', `video codec is ${video.codecName}, expected h264`);
    if (video.profile !== 'High') error('video_profile', `H.264 profile is ${video.profile}, expected High`);
    if (video.pixFmt !== 'yuv420p')
      error('pixel_format', `pixel format is ${video.pixFmt}, expected yuv420p`);
    if (video.width !== expected.width || video.height !== expected.height) {
      error('size', `frame is ${video.width}×${video.height}, expected ${expected.width}×${expected.height}`);
    }
    const rate = video.avgFrameRate;
    if (rate === null || rate < 24 - 0.01 || rate > 30 + 0.01) {
      error('frame_rate', `frame rate is ${rate?.toFixed(3) ?? 'unknown'} fps, expected 24–30`);
    } else if (video.frameRate === null || Math.abs(video.frameRate - rate) > 0.01) {
      error(
        'frame_rate',
        `frame rate is variable (${video.frameRate?.toFixed(3)} vs average ${rate.toFixed(3)})`,
      );
    }
  }

  const durationSec = probe.format.durationSec;
  const expectedSec = expectedDurationMs / 1000;
  if (durationSec === null || Math.abs(durationSec - expectedSec) > DURATION_TOLERANCE_SEC) {
    error(
      'duration',
      `duration is ${durationSec?.toFixed(3) ?? 'unknown'} s, expected ${expectedSec.toFixed(3)} s ± 0.1`,
    );
  }

  const audio = audioStream(probe);
  if (!audio) {
    error('audio_missing', 'no audio stream');
  } else {
    if (audio.codecName !== 'aac') error('audio_codec', `audio codec is ${audio.codecName}, expected aac`);
    if (audio.sampleRate === null || !common.audioSampleRates.some((rate) => rate === audio.sampleRate)) {
      error('audio_sample_rate', `audio sample rate is ${audio.sampleRate} Hz, expected 44100 or 48000`);
    }
    if (audio.channels !== 2)
      error('audio_channels', `audio has ${audio.channels} channels, expected stereo`);
  }

  const maxBytes = maxFileBytesFor(format);
  if (maxBytes !== null && (probe.format.sizeBytes ?? 0) > maxBytes) {
    error('file_size', `file is ${probe.format.sizeBytes} bytes, limit ${maxBytes}`);
  }

  const minBitrate = minBitrateFor(format);
  if (minBitrate !== null && probe.format.bitRate !== null && probe.format.bitRate < minBitrate) {
    violations.push({
      code: 'bitrate',
      severity: 'warning',
      detail: `bitrate is ${Math.round(probe.format.bitRate / 1000)} kbps, recommended at least ${minBitrate / 1000} kbps`,
    });
  }
  return violations;
}
