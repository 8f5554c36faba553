import { loadConfig } from '@adloom/config';
import { Ffmpeg, videoStream } from '@adloom/media';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GeneratorRegistry } from './generator-registry';
import { GenerateRequest, VideoGenerator } from './video-generator';
import { failureOf, startGeneration } from '../../../test/support/peers/generation-run';

const ffmpeg = new Ffmpeg();
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-procedural-'));
});

afterAll(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});

function procedural(env: Record<string, string> = {}): VideoGenerator {
  return new GeneratorRegistry(loadConfig({ GENERATE_TIMEOUT: '60s', ...env })).get('procedural');
}

const start = (generator: VideoGenerator, prompt: string, overrides: Partial<GenerateRequest> = {}) =>
  startGeneration(workDir, generator, prompt, {
    promptHash: createHash('sha256').update(`procedural\0${prompt}`).digest('hex'),
    durationMs: 1500,
    width: 360,
    height: 640,
    seed: 0,
    ...overrides,
  });

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}

describe('ProceduralGenerator', () => {
  it('draws the same bytes for the same prompt hash, at the requested size and duration', async () => {
    const prompt = 'Morning coffee on a sunny balcony';
    const first = start(procedural(), prompt);
    const result = await first.promise;
    const second = start(procedural(), prompt);
    await second.promise;

    expect(result).toEqual({ gpuSeconds: 0, cost: 0, model: 'storyboard-v1' });
    expect(await sha256Of(first.outFile)).toBe(await sha256Of(second.outFile));
    expect(await fs.readdir(first.dir)).toEqual(['clip.mp4']);

    const probe = await ffmpeg.probe(first.outFile);
    expect(videoStream(probe)).toMatchObject({
      codecName: 'h264',
      width: 360,
      height: 640,
      pixFmt: 'yuv420p',
    });
    expect(probe.format.durationSec).toBeCloseTo(1.5, 1);

    expect(first.progress.length).toBeGreaterThan(1);
    expect(first.progress).toEqual([...first.progress].sort((a, b) => a - b));
    expect(first.progress.at(-1)).toBe(1);
  });

  it('draws different bytes for a different prompt', async () => {
    const a = start(procedural(), 'Evening tea in a quiet garden');
    const b = start(procedural(), 'Evening tea in a noisy garden');
    await Promise.all([a.promise, b.promise]);
    expect(await sha256Of(a.outFile)).not.toBe(await sha256Of(b.outFile));
  });

  it('rejects a size ffmpeg cannot encode as invalid_request', async () => {
    const error = await failureOf(start(procedural(), 'Odd size', { width: 361 }).promise);
    expect(error.code).toBe('invalid_request');
  });

  it('stops ffmpeg when cancelled and leaves no file', async () => {
    const run = start(procedural(), 'A long clip nobody waits for', {
      durationMs: 20_000,
      width: 720,
      height: 1280,
    });
    setTimeout(() => run.controller.abort(), 200);
    const error = await failureOf(run.promise);
    expect(error.code).toBe('cancelled');
    expect(await fs.readdir(run.dir)).toEqual([]);
  });

  it('stops ffmpeg at GENERATE_TIMEOUT', async () => {
    const run = start(procedural({ GENERATE_TIMEOUT: '300ms' }), 'A long clip that takes too long', {
      durationMs: 20_000,
      width: 720,
      height: 1280,
    });
    const error = await failureOf(run.promise);
    expect(error.code).toBe('timeout');
    expect(await fs.readdir(run.dir)).toEqual([]);
  });
});
