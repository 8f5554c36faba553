/** Uploads are trusted by their bytes, not by their Content-Type header. */
export interface MediaKind {
  contentType: string;
  extension: string;
}

export const LOGO_MAX_BYTES = 2 * 1024 * 1024;
export const MUSIC_MAX_BYTES = 10 * 1024 * 1024;

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

/** `image/png; charset=x` → `image/png`; `audio/x-wav` and `audio/wave` → `audio/wav`; `audio/mp3` → `audio/mpeg`. */
export function mediaTypeOf(header: string | undefined): string {
  const type = (header ?? '').split(';')[0].trim().toLowerCase();
  const aliases: Record<string, string> = {
    'image/jpg': 'image/jpeg',
    'audio/mp3': 'audio/mpeg',
    'audio/x-wav': 'audio/wav',
    'audio/wave': 'audio/wav',
    'audio/vnd.wave': 'audio/wav',
    'audio/x-m4a': 'audio/mp4',
    'audio/m4a': 'audio/mp4',
  };
  return aliases[type] ?? type;
}
