import { loadConfig } from '@adloom/config';
import {
  coveringSeconds,
  falErrorDetail,
  falInput,
  falValues,
  parseFalCatalogue,
  parseFalStatus,
  valueAt,
} from './fal.request';
import { googleErrorOf, isSafetyRefusal, parseVeoOperation, veoBody } from './gemini-veo.request';
import { pricePerSecond, pricerFor } from './pricing';
import { parseRouteEntry, resolveRoute } from './routing';

const wan = {
  endpoint: 'fal-ai/wan/v2.2-a14b/text-to-video',
  input: { prompt: '{{prompt}}', num_frames: '{{frames}}', seed: '{{seed}}', note: 'seed {{seed}}' },
  seconds: [5],
  fps: 16,
};

describe('fal requests', () => {
  it('reads a catalogue and names the model and field an operator must fix', () => {
    const models = parseFalCatalogue({ 'wan-2.2': wan });
    expect(models.get('wan-2.2')).toMatchObject({ seconds: [5], fps: 16, output: 'video.url' });
    expect(() => parseFalCatalogue({ broken: { ...wan, endpoint: 'no-slash' } })).toThrow(
      'model "broken": endpoint must be "owner/app"',
    );
    expect(() => parseFalCatalogue({ quiet: { ...wan, input: { text: 'hello' } } })).toThrow(
      'model "quiet": input has no {{prompt}} placeholder',
    );
    expect(() =>
      parseFalCatalogue({ odd: { ...wan, input: { prompt: '{{prompt}}', x: '{{steps}}' } } }),
    ).toThrow('unknown placeholder(s) {{steps}}');
    expect(() => parseFalCatalogue({})).toThrow('no models');
  });

  it('fills the input with typed values: 5 s at 16 fps is 81 frames', () => {
    const model = parseFalCatalogue({ 'wan-2.2': wan }).get('wan-2.2')!;
    const values = falValues(model, { prompt: 'p', durationMs: 3000, width: 1280, height: 720, seed: -7 });
    expect(values).toMatchObject({
      seconds: 5,
      frames: 81,
      aspect_ratio: '16:9',
      resolution: '720p',
      seed: 7,
    });
    expect(falInput(model, values)).toEqual({ prompt: 'p', num_frames: 81, seed: 7, note: 'seed 7' });
    expect(coveringSeconds(12_000, [5, 10])).toBe(10);
    expect(coveringSeconds(6_000, [5, 10])).toBe(10);
  });

  it('reads queue statuses, with progress from the runner’s logs', () => {
    expect(parseFalStatus({ status: 'IN_QUEUE', queue_position: 4 })).toEqual({
      status: 'IN_QUEUE',
      position: 4,
    });
    expect(
      parseFalStatus({ status: 'IN_PROGRESS', logs: [{ message: 'step 5/20' }, { message: 'loading' }] }),
    ).toMatchObject({ fraction: 0.25 });
    expect(parseFalStatus({ status: 'COMPLETED', error: 'boom', error_type: 'runner_disconnected' })).toEqual(
      {
        status: 'COMPLETED',
        error: 'boom',
        errorType: 'runner_disconnected',
      },
    );
    expect(parseFalStatus({ status: 'DONE' })).toBeUndefined();
    expect(valueAt({ videos: [{ url: 'u' }] }, 'videos.0.url')).toBe('u');
    expect(falErrorDetail({ detail: [{ msg: 'm', type: 'content_policy_violation' }] })).toEqual({
      type: 'content_policy_violation',
      message: 'm',
    });
    expect(falErrorDetail({ detail: 'plain' })).toEqual({ message: 'plain' });
  });
});

describe('Gemini Veo requests', () => {
  it('asks for the covering length, a shape Veo makes and the resolution', () => {
    expect(
      veoBody({ prompt: 'p', durationMs: 5000, width: 720, height: 1280, negativePrompt: 'text' }),
    ).toEqual({
      instances: [{ prompt: 'p' }],
      parameters: { aspectRatio: '9:16', durationSeconds: 6, resolution: '720p', negativePrompt: 'text' },
    });
    expect(veoBody({ prompt: 'p', durationMs: 20_000, width: 1080, height: 1080 }).parameters).toMatchObject({
      aspectRatio: '16:9',
      durationSeconds: 8,
      resolution: '1080p',
    });
  });

  it('reads an operation: running, a video, a filter, an error, nothing', () => {
    expect(parseVeoOperation({ name: 'models/m/operations/1' })).toEqual({
      name: 'models/m/operations/1',
      done: false,
    });
    const video = {
      generateVideoResponse: { generatedSamples: [{ video: { uri: 'https://x/files/1:download' } }] },
    };
    expect(parseVeoOperation({ name: 'n', done: true, response: video })).toEqual({
      name: 'n',
      done: true,
      videoUri: 'https://x/files/1:download',
    });
    const filtered = { generateVideoResponse: { raiMediaFilteredCount: 1, raiMediaFilteredReasons: ['no'] } };
    expect(parseVeoOperation({ name: 'n', done: true, response: filtered })).toMatchObject({
      filtered: ['no'],
    });
    expect(parseVeoOperation({ name: 'n', done: true, error: { code: 13, message: 'x' } })).toMatchObject({
      error: { code: 13, message: 'x' },
    });
    expect(parseVeoOperation({ name: 'n', done: true, response: {} })).toMatchObject({ empty: true });
    expect(parseVeoOperation({ done: true })).toBeUndefined();
    expect(parseVeoOperation({ name: 'n', done: 'yes' })).toBeUndefined();
  });

  it('reads Google errors, with RetryInfo, and tells a safety refusal from other errors', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'quota',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17s' }],
      },
    };
    expect(googleErrorOf(body)).toEqual({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      message: 'quota',
      retryDelayMs: 17_000,
    });
    expect(isSafetyRefusal("violates Google's Responsible AI practices")).toBe(true);
    expect(isSafetyRefusal('API key not valid')).toBe(false);
  });
});

describe('prices and routes', () => {
  it('prices by provider:model, then provider, per resolution where it differs', () => {
    const prices = { 'fal:wan-2.2': { '480p': 0.04, '720p': 0.08 }, fal: 0.05 };
    expect(pricePerSecond(prices, 'fal', 'wan-2.2', '480p')).toBe(0.04);
    // An unlisted resolution is priced at the highest listed: spend is never under-estimated.
    expect(pricePerSecond(prices, 'fal', 'wan-2.2', '1080p')).toBe(0.08);
    expect(pricePerSecond(prices, 'fal', 'kling-2.1', '720p')).toBe(0.05);
    expect(pricePerSecond(prices, 'gemini-veo', 'veo', '720p')).toBe(0);
    const config = loadConfig({
      OPENAI_PRICE_PER_SECOND: '0.3',
      GENERATION_PRICES: '{"openai-videos:sora-2-pro": 0.5}',
    });
    expect(pricerFor(config, 'openai-videos')('sora-2', '720p')).toBe(0.3);
    expect(pricerFor(config, 'openai-videos')('sora-2-pro', '720p')).toBe(0.5);
  });

  it('refuses a price table that is not one, naming the variable', () => {
    expect(() => loadConfig({ GENERATION_PRICES: '{"fal": "cheap"}' })).toThrow('GENERATION_PRICES');
    expect(() => loadConfig({ GENERATION_PRICES: 'fal=0.1' })).toThrow('GENERATION_PRICES');
  });

  it('parses route entries and resolves missing models to the defaults', () => {
    expect(parseRouteEntry('gemini-veo:veo-3.1-generate-preview')).toEqual({
      provider: 'gemini-veo',
      model: 'veo-3.1-generate-preview',
    });
    expect(() => parseRouteEntry('runway:gen-4')).toThrow('unknown generator "runway"');
    expect(() => parseRouteEntry('fal:')).toThrow('is not "provider" or "provider:model"');
    expect(resolveRoute([{ provider: 'fal', model: '' }], () => 'wan-2.2')).toEqual([
      { provider: 'fal', model: 'wan-2.2' },
    ]);
  });
});
