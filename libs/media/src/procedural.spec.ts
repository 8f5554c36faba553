import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Ffmpeg } from './ffmpeg';
import { paletteFromHash, proceduralClipArgs, ProceduralClipRequest, sceneWords } from './procedural';
import { audioStream, videoStream } from './probe';

const HASH = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const request = (overrides: Partial<ProceduralClipRequest> = {}): ProceduralClipRequest => ({
  promptHash: HASH,
  prompt: 'A golden retriever surfing at sunset, cinematic',
  width: 320,
  height: 180,
  durationMs: 2000,
  fps: 30,
  outputPath: '/clips/out.mp4',
  ...overrides,
});

describe('proceduralClipArgs', () => {
  it('draws from seeded lavfi sources into a bit-exact H.264 MP4 without audio', () => {
    const args = proceduralClipArgs(request());
    const graph = args[args.indexOf('-filter_complex') + 1];
    expect(graph).toMatch(/^gradients=s=80x46:r=30:d=2:n=3:c0=0x[0-9A-F]{6}:/);
    expect(graph).toContain(':seed=');
    expect(graph).toContain(
      'drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text=RETRIEVER:',
    );
    expect(args.join(' ')).toContain(
      '-c:v libx264 -profile:v high -preset veryfast -crf 20 -pix_fmt yuv420p -r 30 -g 60 -threads 2 -an ' +
        '-fflags +bitexact -flags:v +bitexact -map_metadata -1 -movflags +faststart /clips/out.mp4',
    );
    expect(args).not.toContain('-i');
    expect(proceduralClipArgs(request())).toEqual(args);
    expect(proceduralClipArgs(request({ promptHash: 'ab'.repeat(32) }))).not.toEqual(args);
  });

  it('refuses sizes and hashes it cannot use', () => {
    expect(() => proceduralClipArgs(request({ promptHash: 'not-hex' }))).toThrow('promptHash');
    expect(() => proceduralClipArgs(request({ width: 321 }))).toThrow('even');
    expect(() => proceduralClipArgs(request({ durationMs: 0 }))).toThrow('positive');
  });

  it('takes a palette and a few words from the prompt', () => {
    expect(paletteFromHash(HASH)).toHaveLength(6);
    expect(paletteFromHash(HASH)).toEqual(paletteFromHash(HASH));
    expect(paletteFromHash(HASH)).not.toEqual(paletteFromHash('00'.repeat(32)));
    expect(sceneWords('A golden retriever surfing at sunset, cinematic')).toEqual([
      'RETRIEVER',
      'SURFING',
      'CINEMATIC',
    ]);
    expect(sceneWords("Rock'n'roll: 100% of the [fun]; isn't it?")).toEqual(['ROCK', 'ROLL', '100']);
    expect(sceneWords('')).toEqual([]);
  });
});

describe('procedural clip, rendered', () => {
  const ffmpeg = new Ffmpeg();
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-procedural-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));
  const sha256 = async (file: string) =>
    createHash('sha256')
      .update(await fs.readFile(file))
      .digest('hex');

  it('is a real H.264 High yuv420p MP4 and the same request gives the same bytes', async () => {
    const first = path.join(dir, 'first.mp4');
    const second = path.join(dir, 'second.mp4');
    const probe = await ffmpeg.renderProceduralClip(request({ outputPath: first }));
    await ffmpeg.renderProceduralClip(request({ outputPath: second }));
    expect(await sha256(second)).toBe(await sha256(first));

    const video = videoStream(probe);
    expect(video).toMatchObject({
      codecName: 'h264',
      profile: 'High',
      pixFmt: 'yuv420p',
      width: 320,
      height: 180,
    });
    expect(video?.avgFrameRate).toBe(30);
    expect(probe.format.durationSec).toBeCloseTo(2, 1);
    expect(audioStream(probe)).toBeUndefined();
    expect(await ffmpeg.isFaststart(first)).toBe(true);

    const other = path.join(dir, 'other.mp4');
    await ffmpeg.renderProceduralClip(request({ outputPath: other, promptHash: 'ab'.repeat(32) }));
    expect(await sha256(other)).not.toBe(await sha256(first));
  }, 60_000);
});
