/**
 * Uploads are trusted by their decoded content, not by their Content-Type header or first bytes:
 * these pure parts read the image header and judge ffprobe's view; `UploadDecoder` decodes and
 * re-encodes.
 */
export interface MediaKind {
  contentType: string;
  extension: string;
}

export const LOGO_MAX_BYTES = 2 * 1024 * 1024;
export const MUSIC_MAX_BYTES = 10 * 1024 * 1024;

/** A logo is composed onto every render: its decoded size is bounded before anything decodes it. */
export const LOGO_MAX_SIDE = 4096;
export const LOGO_MAX_PIXELS = 20_000_000;
/** Music beds longer than this are refused (an ad is at most a minute long). */
export const MUSIC_MAX_SECONDS = 600;

export const LOGO_TYPES: readonly string[] = ['image/png', 'image/jpeg'];
export const MUSIC_TYPES: readonly string[] = ['audio/mpeg', 'audio/mp4', 'audio/wav'];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const ascii = (bytes: Buffer, at: number, text: string) =>
  bytes.length >= at + text.length && bytes.toString('latin1', at, at + text.length) === text;

/** PNG or JPEG by magic bytes; undefined for anything else. */
export function sniffImage(bytes: Buffer): MediaKind | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE))
    return { contentType: 'image/png', extension: 'png' };
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return { contentType: 'image/jpeg', extension: 'jpg' };
  return undefined;
}

/** MP3, MP4/M4A audio or WAV by magic bytes; undefined for anything else. */
export function sniffAudio(bytes: Buffer): MediaKind | undefined {
  // An ID3 tag, or an MPEG audio frame sync (11 set bits) with a valid layer.
  if (ascii(bytes, 0, 'ID3') || (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe6) > 0xe0))
    return { contentType: 'audio/mpeg', extension: 'mp3' };
  if (ascii(bytes, 4, 'ftyp')) return { contentType: 'audio/mp4', extension: 'm4a' };
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WAVE'))
    return { contentType: 'audio/wav', extension: 'wav' };
  return undefined;
}

export { mediaTypeOf } from '@adloom/http';

export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

/**
 * A PNG's or JPEG's dimensions as its header states them (PNG: the IHDR chunk right after the
 * signature; JPEG: the first start-of-frame marker), or why there is no such header.
 */
export function readImageHeader(bytes: Buffer): ImageHeader | { refused: string } {
  const kind = sniffImage(bytes);
  if (!kind) return { refused: 'is not a PNG or JPEG image' };
  if (kind.extension === 'png') {
    if (bytes.length < 33 || bytes.readUInt32BE(8) !== 13 || !ascii(bytes, 12, 'IHDR'))
      return { refused: 'is not a PNG image: it has no IHDR header' };
    return checkDimensions({ format: 'png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) });
  }
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return { refused: 'is not a JPEG image: its markers are broken' };
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = bytes.readUInt16BE(at + 2);
    if (length < 2) return { refused: 'is not a JPEG image: its markers are broken' };
    const startOfFrame =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (startOfFrame) {
      if (at + 9 > bytes.length) break;
      return checkDimensions({
        format: 'jpeg',
        height: bytes.readUInt16BE(at + 5),
        width: bytes.readUInt16BE(at + 7),
      });
    }
    if (marker === 0xd9 || marker === 0xda) break;
    at += 2 + length;
  }
  return { refused: 'is not a JPEG image: it has no frame header' };
}

function checkDimensions(header: ImageHeader): ImageHeader | { refused: string } {
  const { width, height } = header;
  if (width === 0 || height === 0) return { refused: `declares an empty image (${width}×${height})` };
  if (width > LOGO_MAX_SIDE || height > LOGO_MAX_SIDE || width * height > LOGO_MAX_PIXELS) {
    return {
      refused: `is ${width}×${height} pixels; a logo may be at most ${LOGO_MAX_SIDE}×${LOGO_MAX_SIDE} and ${LOGO_MAX_PIXELS / 1_000_000} megapixels`,
    };
  }
  return header;
}

/** What ffprobe says about an uploaded audio file, as far as accepting it goes. */
export interface AudioProbe {
  formatName: string;
  durationSec: number | null;
  streams: { codecType: string; durationSec: number | null }[];
}

/** The re-encoded file's kind for the probed container, or why the upload is not usable music. */
export function judgeAudio(probe: AudioProbe): MediaKind | { refused: string } {
  const audio = probe.streams.find((stream) => stream.codecType === 'audio');
  if (!audio) return { refused: 'has no audio stream' };
  const duration = probe.durationSec ?? audio.durationSec;
  if (duration === null || !(duration > 0)) return { refused: 'has no playable duration' };
  if (duration > MUSIC_MAX_SECONDS)
    return { refused: `lasts ${Math.round(duration)} s; music may last at most ${MUSIC_MAX_SECONDS} s` };
  const formats = probe.formatName.split(',');
  if (formats.includes('mp3')) return { contentType: 'audio/mpeg', extension: 'mp3' };
  if (formats.includes('wav')) return { contentType: 'audio/wav', extension: 'wav' };
  if (formats.includes('mp4') || formats.includes('m4a') || formats.includes('mov'))
    return { contentType: 'audio/mp4', extension: 'm4a' };
  return { refused: `is ${probe.formatName}, not MP3, M4A or WAV audio` };
}

/** ffmpeg's encoder arguments for each kind of music bed it writes. */
export function musicEncodeArgs(kind: MediaKind): string[] {
  if (kind.extension === 'mp3') return ['-c:a', 'libmp3lame', '-q:a', '2', '-f', 'mp3'];
  if (kind.extension === 'wav') return ['-c:a', 'pcm_s16le', '-f', 'wav'];
  return ['-c:a', 'aac', '-b:a', '192k', '-movflags', '+faststart', '-f', 'mp4'];
}
