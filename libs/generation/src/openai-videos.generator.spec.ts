import { loadConfig } from '@adloom/config';
import { Ffmpeg, videoStream } from '@adloom/media';

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  MODERATION_MESSAGE,
  OpenAiVideosPeer,
  startOpenAiVideosPeer,
} from '../../../test/support/peers/openai-videos-peer';
import { sampleMedia } from '../../../test/support/peers/sample-media';
import { GeneratorRegistry } from './generator-registry';
import { GenerateRequest, isRetryable, VideoGenerator } from './video-generator';
import { failureOf, filesIn, startGeneration } from '../../../test/support/peers/generation-run';

const ffmpeg = new Ffmpeg();
let peer: OpenAiVideosPeer;
let sample: Buffer;
let workDir: string;

beforeAll(async () => {
  sample = (await sampleMedia()).mp4;
  peer = await startOpenAiVideosPeer({ video: sample, progressSteps: [30, 70] });
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-openai-'));
});

afterAll(async () => {
  await peer.close();
  await fs.rm(workDir, { recursive: true, force: true });
});

function openAi(env: Record<string, string> = {}): VideoGenerator {
  const config = loadConfig({
    OPENAI_BASE_URL: peer.baseUrl,
    OPENAI_API_KEY: peer.apiKey,
    OPENAI_POLL_INTERVAL: '10ms',
    OPENAI_PRICE_PER_SECOND: '0.1',
    GENERATE_TIMEOUT: '10s',
    ...env,
  });
  return new GeneratorRegistry(config).get('openai-videos');
}

const start = (generator: VideoGenerator, prompt: string, overrides: Partial<GenerateRequest> = {}) =>
  startGeneration(workDir, generator, prompt, { durationMs: 6000, width: 1080, height: 1920, ...overrides });

function videoIdOf(prompt: string): string {
  const video = [...peer.videos.values()].find((v) => v.prompt === prompt);
  if (!video) throw new Error(`the peer has no video for "${prompt}"`);
  return video.id;
}

describe('OpenAiVideosGenerator', () => {
  it('creates, polls and downloads a video, reporting progress and cost', async () => {
    const prompt = 'A red fox runs through fresh snow at dawn';
    const run = start(openAi(), prompt);
    const result = await run.promise;

    const id = videoIdOf(prompt);
    expect(result).toEqual({ gpuSeconds: 8, cost: 0.8, providerJobId: id, model: 'sora-2' });
    const create = peer.calls('POST').at(-1)!;
    expect(create.path).toBe('/v1/videos');
    expect(create.headers.authorization).toBe(`Bearer ${peer.apiKey}`);
    expect(create.headers['content-type']).toBe('application/json');
    expect(create.body).toEqual({ model: 'sora-2', prompt, seconds: '8', size: '720x1280' });
    const download = peer.calls('GET').find((r) => r.path === `/v1/videos/${id}/content`)!;
    expect(download.query.get('variant')).toBe('video');

    const probe = await ffmpeg.probe(run.outFile);
    expect(videoStream(probe)).toMatchObject({ codecName: 'h264', width: 320, height: 180 });
    expect(await fs.readFile(run.outFile)).toEqual(sample);
    expect(await filesIn(run.dir)).toEqual(['clip.mp4']);

    expect(run.progress).toEqual([...run.progress].sort((a, b) => a - b));
    expect(run.progress).toEqual(expect.arrayContaining([0, 0.27, 0.63, 0.9]));
    expect(run.progress.at(-1)).toBe(1);
  });

  it('asks for the requested model, the covering length and the nearest shape', async () => {
    const prompt = 'Landscape pan over a harbour';
    const result = await start(openAi(), prompt, {
      model: 'sora-2-pro',
      durationMs: 10_000,
      width: 1920,
      height: 1080,
    }).promise;
    expect(result).toMatchObject({ model: 'sora-2-pro', gpuSeconds: 12, cost: 1.2 });
    expect(peer.calls('POST').at(-1)!.body).toMatchObject({
      model: 'sora-2-pro',
      seconds: '12',
      size: '1280x720',
    });
  });

  it('passes on a 429 as rate_limited with the wait from retry-after, and the retry succeeds', async () => {
    const prompt = 'Skater at sunset [429]';
    const error = await failureOf(start(openAi(), prompt).promise);
    expect(error.code).toBe('rate_limited');
    expect(error.extras.retryAfterMs).toBe(1000);
    expect(isRetryable(error)).toBe(true);

    await expect(start(openAi(), prompt).promise).resolves.toMatchObject({ gpuSeconds: 8 });
  });

  it('reads a retry-after given as an HTTP date', async () => {
    const error = await failureOf(start(openAi(), 'Skater at noon [429-date]').promise);
    expect(error.code).toBe('rate_limited');
    expect(error.extras.retryAfterMs).toBeGreaterThanOrEqual(500);
    expect(error.extras.retryAfterMs).toBeLessThanOrEqual(2000);
  });

  it('turns a moderation failure into content_refused carrying the provider’s reason, and leaves no file', async () => {
    const run = start(openAi(), 'Something the moderator dislikes [refuse]');
    const error = await failureOf(run.promise);
    expect(error.code).toBe('content_refused');
    expect(error.extras.reason).toBe(MODERATION_MESSAGE);
    expect(error.message).toContain(MODERATION_MESSAGE);
    expect(isRetryable(error)).toBe(false);
    expect(await filesIn(run.dir)).toEqual([]);
  });

  it('turns a refusal at creation into content_refused', async () => {
    const error = await failureOf(start(openAi(), 'Flagged at once [reject]').promise);
    expect(error.code).toBe('content_refused');
    expect(error.extras.reason).toContain('usage policy');
  });

  it('treats other failures and server errors as transient', async () => {
    const failed = await failureOf(start(openAi(), 'The GPU gives up [fail]').promise);
    expect(failed.code).toBe('transient');
    expect(failed.message).toContain('internal_error');
    expect((await failureOf(start(openAi(), 'Server down [500]').promise)).code).toBe('transient');
  });

  it('treats a malformed body as transient', async () => {
    const created = await failureOf(start(openAi(), 'Cut-off answer [garbage]').promise);
    expect(created.code).toBe('transient');
    expect(created.message).toContain('not JSON');

    const prompt = 'Cut-off polls [garbage-poll]';
    const polled = await failureOf(start(openAi(), prompt).promise);
    expect(polled.code).toBe('transient');
    const id = videoIdOf(prompt);
    expect(peer.calls('GET').filter((r) => r.path === `/v1/videos/${id}`)).toHaveLength(3);
    expect(peer.calls('DELETE').map((r) => r.path)).toContain(`/v1/videos/${id}`);
  });

  it('treats a truncated download as transient and leaves no partial file', async () => {
    const prompt = 'A download that breaks off [truncate]';
    const run = start(openAi(), prompt);
    const error = await failureOf(run.promise);
    expect(error.code).toBe('transient');
    expect(error.message).toMatch(/broke off|truncated/);
    const id = videoIdOf(prompt);
    expect(peer.calls('GET').filter((r) => r.path === `/v1/videos/${id}/content`)).toHaveLength(3);
    expect(await filesIn(run.dir)).toEqual([]);
  });

  it('refuses a download that is not an MP4', async () => {
    const run = start(openAi(), 'A gateway error page [notmp4]');
    const error = await failureOf(run.promise);
    expect(error.code).toBe('transient');
    expect(error.message).toContain('not an MP4');
    expect(await filesIn(run.dir)).toEqual([]);
  });

  it('times out a job that never finishes and deletes it', async () => {
    const prompt = 'A job that never ends [hang]';
    const started = Date.now();
    const error = await failureOf(start(openAi({ GENERATE_TIMEOUT: '300ms' }), prompt).promise);
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(peer.calls('DELETE').map((r) => r.path)).toContain(`/v1/videos/${videoIdOf(prompt)}`);
  });

  it('stops when cancelled and deletes the job', async () => {
    const prompt = 'A job the user cancels [hang]';
    const run = start(openAi(), prompt);
    while (!run.progress.some((fraction) => fraction > 0))
      await new Promise((resolve) => setTimeout(resolve, 5));
    run.controller.abort();
    const error = await failureOf(run.promise);
    expect(error.code).toBe('cancelled');
    expect(isRetryable(error)).toBe(false);
    const id = videoIdOf(prompt);
    expect(peer.videos.get(id)?.deleted).toBe(true);
    expect(await filesIn(run.dir)).toEqual([]);
  });

  it('is misconfigured without a key or with a wrong one', async () => {
    const noKey = await failureOf(start(openAi({ OPENAI_API_KEY: '' }), 'No key').promise);
    expect(noKey.code).toBe('misconfigured');
    expect(noKey.message).toContain('OPENAI_API_KEY');
    const wrongKey = await failureOf(start(openAi({ OPENAI_API_KEY: 'sk-wrong' }), 'Wrong key').promise);
    expect(wrongKey.code).toBe('misconfigured');
    expect(wrongKey.extras.status).toBe(401);
  });

  it('is transient when the provider cannot be reached', async () => {
    const gone = await startOpenAiVideosPeer({ video: sample });
    await gone.close();
    const error = await failureOf(start(openAi({ OPENAI_BASE_URL: gone.baseUrl }), 'Nobody home').promise);
    expect(error.code).toBe('transient');
    expect(error.message).toContain('ECONNREFUSED');
  });
});
