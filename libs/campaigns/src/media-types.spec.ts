import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mediaTypeOf, sniffAudio, sniffImage } from './media-types';

describe('media sniffing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sniff-'));
  const make = (name: string, args: string[]) => {
    const file = join(dir, name);
    execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, file]);
    return readFileSync(file);
  };

  it('recognises real PNG and JPEG files and nothing else', () => {
    const png = make('logo.png', ['-f', 'lavfi', '-i', 'color=c=red:s=16x16', '-frames:v', '1']);
    const jpeg = make('logo.jpg', ['-f', 'lavfi', '-i', 'color=c=red:s=16x16', '-frames:v', '1']);
    expect(sniffImage(png)?.contentType).toBe('image/png');
    expect(sniffImage(jpeg)).toEqual({ contentType: 'image/jpeg', extension: 'jpg' });
    expect(sniffImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffImage(Buffer.from('GIF89a'))).toBeUndefined();
    expect(sniffImage(Buffer.alloc(0))).toBeUndefined();
  });

  it('recognises MP3, M4A and WAV audio', () => {
    const tone = ['-f', 'lavfi', '-i', 'sine=d=0.2'];
    expect(sniffAudio(make('a.mp3', tone))?.contentType).toBe('audio/mpeg');
    expect(sniffAudio(make('a.m4a', tone))?.contentType).toBe('audio/mp4');
    expect(sniffAudio(make('a.wav', tone))?.contentType).toBe('audio/wav');
    expect(sniffAudio(Buffer.from('not audio at all'))).toBeUndefined();
  });

  it('normalises Content-Type headers', () => {
    expect(mediaTypeOf('Image/PNG; charset=binary')).toBe('image/png');
    expect(mediaTypeOf('audio/x-wav')).toBe('audio/wav');
    expect(mediaTypeOf(undefined)).toBe('');
  });
});
