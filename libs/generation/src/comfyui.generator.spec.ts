import { loadConfig } from '@adloom/config';
import { Ffmpeg, videoStream } from '@adloom/media';
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ComfyUiPeer, startComfyUiPeer } from '../../../test/support/peers/comfyui-peer';
import { sampleMedia } from '../../../test/support/peers/sample-media';
import { GeneratorRegistry } from './generator-registry';
import { GenerateRequest, isRetryable, VideoGenerator } from './video-generator';
import { failureOf, filesIn } from '../../../test/support/peers/generation-run';

const WORKFLOW = path.resolve(__dirname, '../../../templates/comfyui/text-to-video.json');
const ffmpeg = new Ffmpeg();
let peer: ComfyUiPeer;
let sample: Buffer;
let workDir: string;

beforeAll(async () => {
  const media = await sampleMedia();
  sample = media.mp4;
  peer = await startComfyUiPeer({
    video: media.mp4,
    gif: media.gif,
    pendingPolls: 1,
    runningPolls: 2,
    executionMs: 1500,
  });
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-comfyui-'));
});

afterAll(async () => {
  await peer.close();
  await fs.rm(workDir, { recursive: true, force: true });
});

function comfy(env: Record<string, string> = {}): VideoGenerator {
  const config = loadConfig({
    COMFYUI_URL: peer.url,
    COMFYUI_WORKFLOW: WORKFLOW,
    COMFYUI_POLL_INTERVAL: '10ms',
    COMFYUI_PRICE_PER_GPU_SECOND: '0.002',
    GENERATE_TIMEOUT: '10s',
    ...env,
  });
  return new GeneratorRegistry(config).get('comfyui');
}

function start(generator: VideoGenerator, prompt: string, overrides: Partial<GenerateRequest> = {}) {
  const dir = path.join(workDir, randomUUID());
  const outFile = path.join(dir, 'clip.mp4');
  const progress: number[] = [];
  const controller = new AbortController();
  const promptHash = createHash('sha256').update(prompt).digest('hex');
  const promise = generator.generate({
    prompt,
    promptHash,
    model: '',
    durationMs: 4000,
    width: 720,
    height: 1280,
    seed: 123456789,
    outFile,
    signal: controller.signal,
    onProgress: (fraction) => progress.push(fraction),
    ...overrides,
  });
  return { promise, progress, outFile, dir, controller, promptHash };
}

function promptIdOf(text: string): string {
  const prompt = [...peer.prompts.values()].find((p) => p.text.split('\n').includes(text));
  if (!prompt) throw new Error(`the peer has no prompt "${text}"`);
  return prompt.id;
}

describe('ComfyUiGenerator', () => {
  it('submits the filled workflow, waits for the run and downloads the MP4', async () => {
    const prompt = 'A lighthouse in a storm, cinematic';
    const run = start(comfy(), prompt);
    const result = await run.promise;

    const promptId = promptIdOf(prompt);
    expect(result).toEqual({ gpuSeconds: 1.5, cost: 0.003, providerJobId: promptId, model: 'text-to-video' });

    const submitted = peer.calls('POST', '/prompt').at(-1)!.body as {
      prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
      client_id: unknown;
    };
    expect(typeof submitted.client_id).toBe('string');
    const node = (classType: string) =>
      Object.values(submitted.prompt).find((n) => n.class_type === classType)!;
    expect(node('CLIPTextEncode').inputs.text).toBe(prompt);
    expect(node('EmptyHunyuanLatentVideo').inputs).toMatchObject({ width: 720, height: 1280, length: 65 });
    expect(node('KSampler').inputs.seed).toBe(123456789);
    expect(node('CreateVideo').inputs.fps).toBe(16);
    expect(node('SaveVideo').inputs.filename_prefix).toBe(`adloom/${run.promptHash}`);

    const view = peer.calls('GET', '/view').at(-1)!;
    expect(Object.fromEntries(view.query)).toEqual({
      filename: `${run.promptHash}_00001_.mp4`,
      subfolder: 'adloom',
      type: 'output',
    });
    expect(await fs.readFile(run.outFile)).toEqual(sample);
    expect(await filesIn(run.dir)).toEqual(['clip.mp4']);

    expect(run.progress).toEqual([...run.progress].sort((a, b) => a - b));
    expect(run.progress).toEqual(expect.arrayContaining([0.02, 0.05, 0.1, 0.9, 1]));
  });

  it('converts a GIF the workflow saved into an H.264 MP4', async () => {
    const run = start(comfy(), 'A looping banner animation [gif]');
    await run.promise;
    const probe = await ffmpeg.probe(run.outFile);
    expect(probe.format.formatName).toContain('mp4');
    expect(videoStream(probe)).toMatchObject({
      codecName: 'h264',
      pixFmt: 'yuv420p',
      width: 160,
      height: 90,
    });
    expect(await filesIn(run.dir)).toEqual(['clip.mp4']);
  });

  it('treats a workflow ComfyUI rejects as misconfigured, naming the node and the reason', async () => {
    const error = await failureOf(start(comfy(), 'Missing text encoder [invalid]').promise);
    expect(error.code).toBe('misconfigured');
    expect(error.message).toContain('node 6 (CLIPTextEncode)');
    expect(error.message).toContain('model file not found');
    expect(error.extras.nodeErrors).toHaveProperty('6');
    expect(isRetryable(error)).toBe(false);
  });

  it('treats a failed run as transient, saying which node failed', async () => {
    const error = await failureOf(start(comfy(), 'Too big for the GPU [error]').promise);
    expect(error.code).toBe('transient');
    expect(error.message).toContain('node 3 (KSampler)');
    expect(error.message).toContain('CUDA out of memory');
  });

  it('treats a malformed history as transient', async () => {
    const error = await failureOf(start(comfy(), 'History that is cut off [garbage]').promise);
    expect(error.code).toBe('transient');
    expect(error.message).toContain('not JSON');
  });

  it('treats a truncated download as transient and leaves no partial file', async () => {
    const run = start(comfy(), 'A download that breaks off [truncate]');
    const error = await failureOf(run.promise);
    expect(error.code).toBe('transient');
    expect(
      peer.calls('GET', '/view').filter((r) => r.query.get('filename')?.startsWith(run.promptHash)),
    ).toHaveLength(3);
    expect(await filesIn(run.dir)).toEqual([]);
  });

  it('times out a run that never ends and interrupts it', async () => {
    const prompt = 'A run that never ends [hang]';
    const started = Date.now();
    const error = await failureOf(start(comfy({ GENERATE_TIMEOUT: '300ms' }), prompt).promise);
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
    const promptId = promptIdOf(prompt);
    expect(peer.calls('POST', '/interrupt').map((r) => r.body)).toContainEqual({ prompt_id: promptId });
    expect(peer.calls('POST', '/queue').map((r) => r.body)).toContainEqual({ delete: [promptId] });
    expect(peer.prompts.get(promptId)?.state).toBe('interrupted');
  });

  it('stops when cancelled and interrupts the run', async () => {
    const prompt = 'A run the user cancels [hang]';
    const run = start(comfy(), prompt);
    while (!run.progress.includes(0.1)) await new Promise((resolve) => setTimeout(resolve, 5));
    run.controller.abort();
    const error = await failureOf(run.promise);
    expect(error.code).toBe('cancelled');
    expect(peer.prompts.get(promptIdOf(prompt))?.state).toBe('interrupted');
    expect(await filesIn(run.dir)).toEqual([]);
  });

  it('is misconfigured without a URL, without a readable workflow or with an unknown placeholder', async () => {
    const noUrl = await failureOf(start(comfy({ COMFYUI_URL: '' }), 'No server').promise);
    expect(noUrl.code).toBe('misconfigured');
    expect(noUrl.message).toContain('COMFYUI_URL');

    const missing = await failureOf(
      start(comfy({ COMFYUI_WORKFLOW: path.join(workDir, 'missing.json') }), 'No workflow').promise,
    );
    expect(missing.code).toBe('misconfigured');
    expect(missing.message).toContain('missing.json');

    const custom = path.join(workDir, 'custom.json');
    await fs.writeFile(
      custom,
      JSON.stringify({
        '6': { class_type: 'CLIPTextEncode', inputs: { text: '{{prompt}}', clip: ['1', 0] } },
        '9': { class_type: 'SaveVideo', inputs: { filename_prefix: '{{campaign}}' } },
      }),
    );
    const unknown = await failureOf(
      start(comfy({ COMFYUI_WORKFLOW: custom }), 'Unknown placeholder').promise,
    );
    expect(unknown.code).toBe('misconfigured');
    expect(unknown.message).toContain('{{campaign}}');
  });
});
