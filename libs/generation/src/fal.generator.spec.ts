import { loadConfig } from '@adloom/config';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FAL_REFUSAL_MESSAGE, FalPeer, startFalPeer } from '../../../test/support/peers/fal-peer';
import { sampleMedia } from '../../../test/support/peers/sample-media';
import { GeneratorRegistry } from './generator-registry';
import { failureOf, filesIn, startGeneration } from '../../../test/support/peers/generation-run';
import { GenerateRequest, isRetryable, VideoGenerator } from './video-generator';

let peer: FalPeer;
let sample: Buffer;
let workDir: string;

beforeAll(async () => {
  sample = (await sampleMedia()).mp4;
  peer = await startFalPeer({ video: sample, progressSteps: [30, 70] });
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-fal-'));
});

afterAll(async () => {
  await peer.close();
  await fs.rm(workDir, { recursive: true, force: true });
});

function fal(env: Record<string, string> = {}): VideoGenerator {
  const config = loadConfig({
    FAL_BASE_URL: peer.baseUrl,
    FAL_KEY: peer.apiKey,
    FAL_POLL_INTERVAL: '10ms',
    GENERATE_TIMEOUT: '10s',
    GENERATION_PRICES: JSON.stringify({ 'fal:wan-2.2': { '480p': 0.04, '720p': 0.08 }, fal: 0.05 }),
    ...env,
  });
  return new GeneratorRegistry(config).get('fal');
}

const start = (generator: VideoGenerator, prompt: string, overrides: Partial<GenerateRequest> = {}) =>
  startGeneration(workDir, generator, prompt, { seed: 1234, ...overrides });

const jobOf = (prompt: string) => {
  const job = peer.submitted().find((j) => j.prompt === prompt);
  if (!job) throw new Error(`the peer has no request for "${prompt}"`);
  return job;
};

describe('FalGenerator', () => {
  it('submits the model’s input, polls through the queue and the run, and downloads the video', async () => {
    const prompt = 'A lighthouse in a storm, waves crashing';
    const run = start(fal(), prompt);
    const result = await run.promise;

    const job = jobOf(prompt);
    expect(result).toEqual({ gpuSeconds: 5, cost: 0.4, providerJobId: job.id, model: 'wan-2.2' });
    const submit = peer.requests.find(
      (r) => r.method === 'POST' && (r.body as { prompt?: string })?.prompt === prompt,
    )!;
    expect(submit.path).toBe('/fal-ai/wan/v2.2-a14b/text-to-video');
    expect(submit.headers.authorization).toBe(`Key ${peer.apiKey}`);
    expect(submit.body).toEqual({
      prompt,
      num_frames: 81,
      frames_per_second: 16,
      resolution: '720p',
      aspect_ratio: '9:16',
      seed: 1234,
      enable_safety_checker: true,
    });
    // Status and result without the subpath, as the queue documents; logs asked for.
    const polls = peer.requests.filter((r) => r.path === `/fal-ai/wan/requests/${job.id}/status`);
    expect(polls.length).toBeGreaterThanOrEqual(3);
    expect(polls.every((r) => r.query.get('logs') === '1')).toBe(true);
    expect(peer.requests.some((r) => r.method === 'GET' && r.path === `/fal-ai/wan/requests/${job.id}`)).toBe(
      true,
    );
    // The video URL is public: the key does not travel to it.
    const download = peer.requests.find((r) => r.path === `/files/${job.id}.mp4`)!;
    expect(download.headers.authorization).toBeUndefined();

    expect(await fs.readFile(run.outFile)).toEqual(sample);
    expect(await filesIn(run.dir)).toEqual(['clip.mp4']);
    expect(run.progress).toEqual([...run.progress].sort((a, b) => a - b));
    // 30% and 70% of the runner's logs, within the running share of the bar.
    expect(run.progress.map((f) => Math.round(f * 100) / 100)).toEqual([0.02, 0.34, 0.66, 0.9, 1]);
    expect(run.progress.at(-1)).toBe(1);
  });

  it('goes through IN_QUEUE, IN_PROGRESS and COMPLETED in that order', async () => {
    const prompt = 'A queue of taxis at night [queued]';
    const run = start(fal(), prompt);
    await run.promise;
    const seen = jobOf(prompt).seen;
    expect(seen.slice(0, 3)).toEqual(['IN_QUEUE', 'IN_QUEUE', 'IN_QUEUE']);
    expect(seen.indexOf('IN_PROGRESS')).toBe(3);
    expect(seen.at(-1)).toBe('COMPLETED');
    expect(run.progress).toContain(0.05);
  });

  it('takes a new model from configuration alone: its endpoint, input template and price', async () => {
    const models = path.join(workDir, 'models.json');
    await fs.writeFile(
      models,
      JSON.stringify({
        'minimax-hailuo': {
          endpoint: 'fal-ai/minimax/hailuo-02/standard/text-to-video',
          input: { prompt: 'Ad: {{prompt}}', duration: '{{seconds}}', prompt_optimizer: false },
          seconds: [6, 10],
        },
      }),
    );
    const prompt = 'A cat on a skateboard';
    const result = await start(
      fal({
        FAL_MODELS: models,
        FAL_MODEL: 'minimax-hailuo',
        GENERATION_PRICES: '{"fal:minimax-hailuo": 0.045}',
      }),
      prompt,
      { durationMs: 8000 },
    ).promise;
    expect(result).toMatchObject({ model: 'minimax-hailuo', gpuSeconds: 10, cost: 0.45 });
    const submit = peer.requests.find((r) => (r.body as { prompt?: string })?.prompt === `Ad: ${prompt}`)!;
    expect(submit.path).toBe('/fal-ai/minimax/hailuo-02/standard/text-to-video');
    expect(submit.body).toEqual({ prompt: `Ad: ${prompt}`, duration: 10, prompt_optimizer: false });
  });

  it('passes on a 429 as rate_limited with the wait from Retry-After, and the retry succeeds', async () => {
    const prompt = 'Busy hour [429]';
    const error = await failureOf(start(fal(), prompt).promise);
    expect(error.code).toBe('rate_limited');
    expect(error.extras.retryAfterMs).toBe(1000);
    expect(isRetryable(error)).toBe(true);
    await expect(start(fal(), prompt).promise).resolves.toMatchObject({ gpuSeconds: 5 });
  });

  it('turns a content_policy_violation into content_refused with fal’s message, not retried', async () => {
    const atResult = await failureOf(start(fal(), 'Flagged after the run [refuse]').promise);
    expect(atResult.code).toBe('content_refused');
    expect(atResult.extras.reason).toBe(FAL_REFUSAL_MESSAGE);
    expect(isRetryable(atResult)).toBe(false);
    const atSubmit = await failureOf(start(fal(), 'Flagged at the door [reject]').promise);
    expect(atSubmit.code).toBe('content_refused');
    expect(atSubmit.message).toContain(FAL_REFUSAL_MESSAGE);
  });

  it('treats a 5xx and a runner failure as transient', async () => {
    const down = await failureOf(start(fal(), 'Provider down [503]').promise);
    expect(down.code).toBe('transient');
    expect(down.extras.status).toBe(503);
    const failed = await failureOf(start(fal(), 'Runner dies [fail]').promise);
    expect(failed.code).toBe('transient');
    expect(failed.message).toContain('runner_disconnected');
  });

  it('treats a malformed body as transient', async () => {
    const submitted = await failureOf(start(fal(), 'Cut-off submit [garbage]').promise);
    expect(submitted.code).toBe('transient');
    expect(submitted.message).toContain('not JSON');
    const prompt = 'Cut-off polls [garbage-poll]';
    const polled = await failureOf(start(fal(), prompt).promise);
    expect(polled.code).toBe('transient');
    const job = jobOf(prompt);
    expect(peer.requests.filter((r) => r.path === `/fal-ai/wan/requests/${job.id}/status`)).toHaveLength(3);
    expect(job.cancelled).toBe(true);
  });

  it('treats a truncated download as transient and leaves no partial file', async () => {
    const prompt = 'A download that breaks off [truncate]';
    const run = start(fal(), prompt);
    const error = await failureOf(run.promise);
    expect(error.code).toBe('transient');
    expect(error.message).toMatch(/broke off|truncated/);
    const job = jobOf(prompt);
    expect(peer.requests.filter((r) => r.path === `/files/${job.id}-truncate.mp4`)).toHaveLength(3);
    expect(await filesIn(run.dir)).toEqual([]);
  });

  it('times out a request that never finishes and cancels it', async () => {
    const prompt = 'A run that never ends [hang]';
    const started = Date.now();
    const error = await failureOf(start(fal({ GENERATE_TIMEOUT: '300ms' }), prompt).promise);
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
    const job = jobOf(prompt);
    expect(job.cancelled).toBe(true);
    expect(
      peer.requests.some((r) => r.method === 'PUT' && r.path === `/fal-ai/wan/requests/${job.id}/cancel`),
    ).toBe(true);
  });

  it('cancels the request when the caller gives up (a paused campaign)', async () => {
    const prompt = 'A run the marketer pauses [hang]';
    const run = start(fal(), prompt);
    while (!run.progress.some((fraction) => fraction >= 0.1)) await new Promise((r) => setTimeout(r, 5));
    run.controller.abort();
    const error = await failureOf(run.promise);
    expect(error.code).toBe('cancelled');
    expect(isRetryable(error)).toBe(false);
    expect(jobOf(prompt).cancelled).toBe(true);
    expect(await filesIn(run.dir)).toEqual([]);
  });

  it('is misconfigured without a key, with a wrong one, or for a model not in FAL_MODELS', async () => {
    expect((await failureOf(start(fal({ FAL_KEY: '' }), 'No key').promise)).message).toContain('FAL_KEY');
    const wrong = await failureOf(start(fal({ FAL_KEY: 'nope' }), 'Wrong key').promise);
    expect(wrong.code).toBe('misconfigured');
    expect(wrong.extras.status).toBe(401);
    const unknown = await failureOf(start(fal(), 'Unknown model', { model: 'sora-9' }).promise);
    expect(unknown.code).toBe('misconfigured');
    expect(unknown.message).toContain('"sora-9" is not in FAL_MODELS');
  });
});
