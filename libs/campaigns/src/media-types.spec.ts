import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judgeAudio, mediaTypeOf, readImageHeader, sniffAudio, sniffImage } from './media-types';

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

describe('upload headers and probes', () => {
  const png = (width: number, height: number) => {
    const bytes = Buffer.alloc(33);
    Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(bytes);
    bytes.writeUInt32BE(width, 16);
    bytes.writeUInt32BE(height, 20);
    return bytes;
  };

  it('reads a PNG’s size from its IHDR and bounds it', () => {
    expect(readImageHeader(png(640, 480))).toEqual({ format: 'png', width: 640, height: 480 });
    expect(readImageHeader(png(4096, 4096))).toEqual({ format: 'png', width: 4096, height: 4096 });
    expect(readImageHeader(png(20_000, 20_000))).toEqual({ refused: expect.stringContaining('20000×20000') });
    expect(readImageHeader(png(4096, 4097))).toHaveProperty('refused');
    expect(readImageHeader(png(0, 10))).toHaveProperty('refused');
    const html = Buffer.concat([png(1, 1).subarray(0, 8), Buffer.from('<html></html>'.repeat(3))]);
    expect(readImageHeader(html)).toEqual({ refused: expect.stringContaining('IHDR') });
  });

  it('reads a JPEG’s size from its frame header', () => {
    const jpeg = Buffer.from(
      'ffd8ffe000104a46494600010100000100010000ffc0001108012c01900301220002110103110100',
      'hex',
    );
    expect(readImageHeader(jpeg)).toEqual({ format: 'jpeg', width: 400, height: 300 });
    expect(readImageHeader(Buffer.from('ffd8ffe0<html>', 'latin1'))).toHaveProperty('refused');
  });

  it('takes real audio of bounded length, in the container it came in', () => {
    const audio = (formatName: string, durationSec: number | null, codecType = 'audio') => ({
      formatName,
      durationSec,
      streams: [{ codecType, durationSec }],
    });
    expect(judgeAudio(audio('mp3', 30))).toEqual({ contentType: 'audio/mpeg', extension: 'mp3' });
    expect(judgeAudio(audio('wav', 30))).toEqual({ contentType: 'audio/wav', extension: 'wav' });
    expect(judgeAudio(audio('mov,mp4,m4a,3gp,3g2,mj2', 30))).toEqual({
      contentType: 'audio/mp4',
      extension: 'm4a',
    });
    expect(judgeAudio(audio('mp3', 30, 'video'))).toEqual({ refused: 'has no audio stream' });
    expect(judgeAudio(audio('mp3', null))).toHaveProperty('refused');
    expect(judgeAudio(audio('mp3', 3600))).toEqual({ refused: expect.stringContaining('600 s') });
    expect(judgeAudio(audio('ogg', 30))).toHaveProperty('refused');
  });
});
