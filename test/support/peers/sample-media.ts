import { Ffmpeg } from '@adloom/media';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Small real media for the provider peers to serve, made once per test process. */
let made: Promise<{ mp4: Buffer; gif: Buffer }> | undefined;

export async function sampleMedia(): Promise<{ mp4: Buffer; gif: Buffer }> {
  made ??= (async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-peer-media-'));
    try {
      const ffmpeg = new Ffmpeg();
      const mp4 = path.join(dir, 'sample.mp4');
      const gif = path.join(dir, 'sample.gif');
      await ffmpeg.renderProceduralClip({
        promptHash: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
        prompt: 'peer sample clip',
        width: 320,
        height: 180,
        durationMs: 1000,
        fps: 24,
        outputPath: mp4,
      });
      await ffmpeg.run(['-i', mp4, '-vf', 'fps=8,scale=160:90', '-loop', '0', gif]);
      return { mp4: await fs.readFile(mp4), gif: await fs.readFile(gif) };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  })();
  return made;
}
