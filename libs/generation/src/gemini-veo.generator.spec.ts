import { loadConfig } from '@adloom/config';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GeminiPeer, startGeminiPeer, VEO_REFUSAL_REASON } from '../../../test/support/peers/gemini-peer';
import { sampleMedia } from '../../../test/support/peers/sample-media';
import { GeneratorRegistry } from './generator-registry';
import { failureOf, filesIn, startGeneration } from '../../../test/support/peers/generation-run';
import { GenerateRequest, isRetryable, VideoGenerator } from './video-generator';

let peer: GeminiPeer;
let sample: Buffer;
let workDir: string;

beforeAll(async () => {
  sample = (await sampleMedia()).mp4;
  peer = await startGeminiPeer({ video: sample, runningPolls: 2 });
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-veo-'));
});

afterAll(async () => {
  await peer.close();
  await fs.rm(workDir, { recursive: true, force: true });
});

function veo(env: Record<string, string> = {}): VideoGenerator {
  const config = loadConfig({
    GEMINI_BASE_URL: peer.baseUrl,
    GEMINI_API_KEY: peer.apiKey,
    GEMINI_POLL_INTERVAL: '10ms',
    GENERATE_TIMEOUT: '10s',
    GENERATION_PRICES: JSON.stringify({
      'gemini-veo:veo-3.1-fast-generate-preview': { '720p': 0.15, '1080p': 0.2 },
    }),
    ...env,
  });
  return new GeneratorRegistry(config).get('gemini-veo');
}

const start = (generator: VideoGenerator, prompt: string, overrides: Partial<GenerateRequest> = {}) =>
  startGeneration(workDir, generator, prompt, {
    durationMs: 5000,
    width: 1280,
    height: 720,
    seed: 7,
    ...overrides,
  });

const operationOf = (prompt: string) => {
  const operation = [...peer.operations.values()].find((o) => o.prompt === prompt);
  if (!operation) throw new Error(`the peer has no operation for "${prompt}"`);
  return operation;
};

describe('GeminiVeoGenerator', () => {
  it('starts a long-running prediction, polls the operation until done and downloads the video with the key', async () => {
    const prompt = 'A hot-air balloon over vineyards at sunrise';
    const run = start(veo(), prompt);
    const result = await run.promise;

    const operation = operationOf(prompt);
    expect(result).toEqual({
      gpuSeconds: 6,
      cost: 0.9,
      providerJobId: operation.name,
      model: 'veo-3.1-fast-generate-preview',
    });
    const create = peer.requests.find((r) => r.method === 'POST')!;
    expect(create.path).toBe('/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning');
    expect(create.headers['x-goog-api-key']).toBe(peer.apiKey);
    expect(create.body).toEqual({
      instances: [{ prompt }],
      parameters: { aspectRatio: '16:9', durationSeconds: 6, resolution: '720p' },
    });
    const polls = peer.requests.filter((r) => r.path === `/v1beta/${operation.name}`);
    expect(polls).toHaveLength(3);
    const download = peer.requests.find((r) => r.path === `/v1beta/files/${operation.id}:download`)!;
    expect(download.query.get('alt')).toBe('media');
    expect(download.headers['x-goog-api-key']).toBe(peer.apiKey);

    expect(await fs.readFile(run.outFile)).toEqual(sample);
    expect(await filesIn(run.dir)).toEqual(['clip.mp4']);
    // Running (not done) polls move the bar, then the download fills it.
    expect(run.progress.filter((f) => f > 0.05 && f < 0.9).length).toBeGreaterThanOrEqual(2);
    expect(run.progress).toEqual([...run.progress].sort((a, b) => a - b));
    expect(run.progress.at(-1)).toBe(1);
  });

  it('asks for the requested model, a vertical shape and the longest length for a long clip', async () => {
    const prompt = 'Vertical reel of a surfer';
    const result = await start(veo(), prompt, {
      model: 'veo-3.1-generate-preview',
      width: 720,
      height: 1280,
      durationMs: 12_000,
    }).promise;
    expect(result).toMatchObject({ model: 'veo-3.1-generate-preview', gpuSeconds: 8 });
    const create = peer.requests.filter((r) => r.method === 'POST').at(-1)!;
    expect(create.path).toBe('/v1beta/models/veo-3.1-generate-preview:predictLongRunning');
    expect(create.body).toMatchObject({ parameters: { aspectRatio: '9:16', durationSeconds: 8 } });
  });

  it('turns a Responsible-AI filter into content_refused with Google’s reason, not retried', async () => {
    const run = start(veo(), 'Something Veo will not make [refuse]');
    const filtered = await failureOf(run.promise);
    expect(filtered.code).toBe('content_refused');
    expect(filtered.extras.reason).toBe(VEO_REFUSAL_REASON);
    expect(isRetryable(filtered)).toBe(false);
    expect(await filesIn(run.dir)).toEqual([]);

    const errored = await failureOf(start(veo(), 'Blocked with an error [safety-error]').promise);
    expect(errored.code).toBe('content_refused');
    expect(errored.message).toContain('Responsible AI');
  });

  it('passes on a 429 as rate_limited with the wait from Retry-After', async () => {
    const prompt = 'Quota day [429]';
    const error = await failureOf(start(veo(), prompt).promise);
    expect(error.code).toBe('rate_limited');
    expect(error.extras.retryAfterMs).toBe(1000);
    await expect(start(veo(), prompt).promise).resolves.toMatchObject({ gpuSeconds: 6 });
  });

  it('treats a 5xx and an internal operation error as transient', async () => {
    const down = await failureOf(start(veo(), 'Server error [500]').promise);
    expect(down.code).toBe('transient');
    expect(down.extras.status).toBe(500);
    const failed = await failureOf(start(veo(), 'Operation fails [fail]').promise);
    expect(failed.code).toBe('transient');
    expect(failed.message).toContain('Internal error');
  });

  it('treats a malformed body as transient', async () => {
    expect((await failureOf(start(veo(), 'Cut-off create [garbage]').promise)).message).toContain('not JSON');
    const prompt = 'Cut-off polls [garbage-poll]';
    const polled = await failureOf(start(veo(), prompt).promise);
    expect(polled.code).toBe('transient');
    expect(peer.requests.filter((r) => r.path === `/v1beta/${operationOf(prompt).name}`)).toHaveLength(3);
  });

  it('treats a truncated download as transient and leaves no partial file', async () => {
    const prompt = 'Download breaks off [truncate]';
    const run = start(veo(), prompt);
    const error = await failureOf(run.promise);
    expect(error.code).toBe('transient');
    expect(error.message).toMatch(/broke off|truncated/);
    const operation = operationOf(prompt);
    expect(peer.requests.filter((r) => r.path === `/v1beta/files/${operation.id}:download`)).toHaveLength(3);
    expect(await filesIn(run.dir)).toEqual([]);
  });

  it('times out an operation that never finishes', async () => {
    const started = Date.now();
    const error = await failureOf(start(veo({ GENERATE_TIMEOUT: '300ms' }), 'Never done [hang]').promise);
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('stops polling when cancelled and writes nothing', async () => {
    const prompt = 'Cancelled by a pause [hang]';
    const run = start(veo(), prompt);
    while (!run.progress.some((f) => f > 0.05)) await new Promise((r) => setTimeout(r, 5));
    run.controller.abort();
    const error = await failureOf(run.promise);
    expect(error.code).toBe('cancelled');
    const name = operationOf(prompt).name;
    const polls = peer.requests.filter((r) => r.path === `/v1beta/${name}`).length;
    await new Promise((r) => setTimeout(r, 100));
    expect(peer.requests.filter((r) => r.path === `/v1beta/${name}`).length).toBe(polls);
    expect(await filesIn(run.dir)).toEqual([]);
  });

  it('is misconfigured without a key or with a wrong one', async () => {
    expect((await failureOf(start(veo({ GEMINI_API_KEY: '' }), 'No key').promise)).message).toContain(
      'GEMINI_API_KEY',
    );
    const wrong = await failureOf(start(veo({ GEMINI_API_KEY: 'AIza-wrong' }), 'Wrong key').promise);
    expect(wrong.code).toBe('misconfigured');
  });
});
