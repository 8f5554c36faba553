import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { h264Level, renderCodecs } from './codec';

describe('renderCodecs', () => {
  it.each([
    [1080, 1920, 'avc1.640028, mp4a.40.2'],
    [1920, 1080, 'avc1.640028, mp4a.40.2'],
    [1080, 1350, 'avc1.640028, mp4a.40.2'],
    [1080, 1080, 'avc1.640020, mp4a.40.2'],
    [720, 1280, 'avc1.64001f, mp4a.40.2'],
    [3840, 2160, 'avc1.640033, mp4a.40.2'],
  ])('%p×%p at 30 fps is %s', (width, height, codecs) => {
    expect(renderCodecs(width, height)).toBe(codecs);
  });

  it.each([
    [1080, 1920],
    [1080, 1080],
    [720, 1280],
  ])('names the level x264 writes for a %p×%p High-profile encode', (width, height) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'adloom-codec-'));
    try {
      const file = path.join(dir, 'out.mp4');
      const encode = spawnSync('ffmpeg', [
        ...[
          '-v',
          'error',
          '-y',
          '-f',
          'lavfi',
          '-i',
          `color=c=blue:s=${width}x${height}:r=30`,
          '-frames:v',
          '2',
        ],
        ...['-c:v', 'libx264', '-profile:v', 'high', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file],
      ]);
      expect(encode.status).toBe(0);
      const probe = spawnSync('ffprobe', [
        ...['-v', 'error', '-select_streams', 'v', '-show_entries', 'stream=level', '-of', 'csv=p=0', file],
      ]);
      expect(Number(probe.stdout.toString().trim())).toBe(h264Level(width, height, 30));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
