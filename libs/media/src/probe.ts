/** What ffprobe says about a media file, with numbers parsed and names in camelCase. */
export interface ProbeStream {
  index: number;
  codecType: 'video' | 'audio' | 'subtitle' | 'data' | 'attachment' | 'unknown';
  codecName: string | null;
  profile: string | null;
  width: number | null;
  height: number | null;
  pixFmt: string | null;
  /** Frames per second from r_frame_rate (the stream's base rate) and avg_frame_rate. */
  frameRate: number | null;
  avgFrameRate: number | null;
  sampleRate: number | null;
  channels: number | null;
  durationSec: number | null;
  bitRate: number | null;
  frameCount: number | null;
}

export interface ProbeFormat {
  formatName: string;
  durationSec: number | null;
  sizeBytes: number | null;
  bitRate: number | null;
  tags: Record<string, string>;
}

export interface ProbeResult {
  format: ProbeFormat;
  streams: ProbeStream[];
}

interface RawStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  duration?: string;
  bit_rate?: string;
  nb_frames?: string;
}

interface RawProbe {
  streams?: RawStream[];
  format?: {
    format_name?: string;
    duration?: string;
    size?: string;
    bit_rate?: string;
    tags?: Record<string, string>;
  };
}

const CODEC_TYPES = new Set(['video', 'audio', 'subtitle', 'data', 'attachment']);

/** Parses `ffprobe -print_format json -show_format -show_streams` output. */
export function parseProbeJson(json: string): ProbeResult {
  const raw = JSON.parse(json) as RawProbe;
  const format = raw.format ?? {};
  return {
    format: {
      formatName: format.format_name ?? '',
      durationSec: toNumber(format.duration),
      sizeBytes: toNumber(format.size),
      bitRate: toNumber(format.bit_rate),
      tags: format.tags ?? {},
    },
    streams: (raw.streams ?? []).map((stream, position) => ({
      index: stream.index ?? position,
      codecType: (CODEC_TYPES.has(stream.codec_type ?? '')
        ? stream.codec_type
        : 'unknown') as ProbeStream['codecType'],
      codecName: stream.codec_name ?? null,
      profile: stream.profile ?? null,
      width: stream.width ?? null,
      height: stream.height ?? null,
      pixFmt: stream.pix_fmt ?? null,
      frameRate: parseRate(stream.r_frame_rate),
      avgFrameRate: parseRate(stream.avg_frame_rate),
      sampleRate: toNumber(stream.sample_rate),
      channels: stream.channels ?? null,
      durationSec: toNumber(stream.duration),
      bitRate: toNumber(stream.bit_rate),
      frameCount: toNumber(stream.nb_frames),
    })),
  };
}

export function videoStream(probe: ProbeResult): ProbeStream | undefined {
  return probe.streams.find((stream) => stream.codecType === 'video');
}

export function audioStream(probe: ProbeResult): ProbeStream | undefined {
  return probe.streams.find((stream) => stream.codecType === 'audio');
}

function toNumber(value: string | undefined): number | null {
  if (value === undefined || value === 'N/A' || value === '') return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

/** "30000/1001" → 29.97; "0/0" → null. */
function parseRate(value: string | undefined): number | null {
  if (!value) return null;
  const [numerator, denominator = '1'] = value.split('/');
  const rate = Number(numerator) / Number(denominator);
  return Number.isFinite(rate) && rate > 0 ? rate : null;
}
