import { Injectable } from '@nestjs/common';
import {
  isContentRefusalCode,
  OpenAiVideo,
  openAiErrorOf,
  openAiSeconds,
  openAiSize,
  parseOpenAiVideo,
  parseRetryAfter,
} from './openai-videos.request';
import {
  monotonicProgress,
  readJson,
  readJsonQuietly,
  retryWithin,
  saveMp4,
  sendJson,
  sleep,
  withDeadline,
} from './transfer';
import {
  GenerateRequest,
  GenerateResult,
  GenerationError,
  HostedApiOptions,
  VideoGenerator,
} from './video-generator';

/** `baseUrl` up to and including the version, e.g. `https://api.openai.com/v1`. */
export interface OpenAiVideosOptions extends HostedApiOptions {
  model: string;
  /** Price per second of output video. */
  pricePerSecond: number;
  /** Price per second by model and resolution (GENERATION_PRICES); wins over pricePerSecond. */
  price?: (model: string, resolution: string) => number;
}

const MAX_PROMPT_CHARS = 32_000;
/** Failed polls or downloads in a row before giving up (a new attempt would pay for a new video). */
const MAX_FAILURES = 3;
/** Share of the progress bar for generation; the download fills the rest. */
const GENERATION_SHARE = 0.9;
const CLEANUP_TIMEOUT_MS = 5_000;

/**
 * The OpenAI-compatible Videos API (`POST /videos`, poll `GET /videos/{id}`, download `/content`).
 * The API takes no seed, so `seed` is not sent. gpuSeconds is the billed seconds of output (the API does
 * not report GPU time); cost is those seconds × the price per second.
 */
@Injectable()
export class OpenAiVideosGenerator implements VideoGenerator {
  readonly name = 'openai-videos' as const;
  readonly defaultModel: string;
  private readonly baseUrl: string;
  private readonly now: () => number;

  constructor(private readonly options: OpenAiVideosOptions) {
    this.defaultModel = options.model;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const apiKey = this.options.apiKey;
    if (!apiKey) throw new GenerationError('misconfigured', 'OPENAI_API_KEY is not set');
    if (request.prompt.length > MAX_PROMPT_CHARS) {
      throw new GenerationError(
        'invalid_request',
        `the prompt has ${request.prompt.length} characters; the limit is ${MAX_PROMPT_CHARS}`,
      );
    }
    const model = request.model || this.defaultModel;
    const seconds = openAiSeconds(request.durationMs);
    const size = openAiSize(request.width, request.height);
    const progress = monotonicProgress(request.onProgress);
    let unfinishedVideoId: string | undefined;
    try {
      return await withDeadline(
        request.signal,
        this.options.timeoutMs,
        'OpenAI video generation',
        async (signal) => {
          const created = await this.create(apiKey, { model, prompt: request.prompt, seconds, size }, signal);
          unfinishedVideoId = created.id;
          const video = await this.waitUntilDone(apiKey, created, signal, progress, () => {
            unfinishedVideoId = undefined;
          });
          await retryWithin(MAX_FAILURES, this.options.pollIntervalMs, signal, () =>
            this.download(apiKey, video.id, request.outFile, signal, progress),
          );
          progress(1);
          const billedSeconds = Number(video.seconds) > 0 ? Number(video.seconds) : Number(seconds);
          return {
            gpuSeconds: billedSeconds,
            cost: roundMoney(billedSeconds * this.pricePerSecond(video.model ?? model, size)),
            providerJobId: video.id,
            model: video.model ?? model,
          };
        },
      );
    } catch (error) {
      // A video still being made keeps costing; a failed attempt is retried as a new video.
      if (unfinishedVideoId) await this.deleteQuietly(apiKey, unfinishedVideoId);
      throw error;
    }
  }

  private pricePerSecond(model: string, size: string): number {
    if (!this.options.price) return this.options.pricePerSecond;
    const [width, height] = size.split('x').map(Number);
    return this.options.price(model, `${Math.min(width, height)}p`);
  }

  private async create(
    apiKey: string,
    body: { model: string; prompt: string; seconds: string; size: string },
    signal: AbortSignal,
  ): Promise<OpenAiVideo> {
    const response = await this.call(apiKey, 'POST', '/videos', signal, body);
    if (!response.ok) throw await this.errorFor(response, 'POST /videos');
    return this.videoOf(await readJson(response, 'POST /videos'), 'POST /videos');
  }

  private async waitUntilDone(
    apiKey: string,
    created: OpenAiVideo,
    signal: AbortSignal,
    progress: (fraction: number) => void,
    onFinished: () => void,
  ): Promise<OpenAiVideo> {
    let video = created;
    for (;;) {
      progress((GENERATION_SHARE * video.progress) / 100);
      if (video.status === 'completed' || video.status === 'failed') onFinished();
      if (video.status === 'completed') return video;
      if (video.status === 'failed') throw this.failureOf(video);
      await sleep(this.options.pollIntervalMs, signal);
      video = await retryWithin(MAX_FAILURES, this.options.pollIntervalMs, signal, () =>
        this.retrieve(apiKey, created.id, signal),
      );
    }
  }

  private async retrieve(apiKey: string, id: string, signal: AbortSignal): Promise<OpenAiVideo> {
    const what = `GET /videos/${id}`;
    const response = await this.call(apiKey, 'GET', `/videos/${encodeURIComponent(id)}`, signal);
    if (!response.ok) throw await this.errorFor(response, what);
    return this.videoOf(await readJson(response, what), what);
  }

  private async download(
    apiKey: string,
    id: string,
    outFile: string,
    signal: AbortSignal,
    progress: (fraction: number) => void,
  ): Promise<void> {
    const what = `GET /videos/${id}/content`;
    const response = await this.call(
      apiKey,
      'GET',
      `/videos/${encodeURIComponent(id)}/content?variant=video`,
      signal,
    );
    if (!response.ok) throw await this.errorFor(response, what);
    await saveMp4(response, outFile, signal, what, (share) =>
      progress(GENERATION_SHARE + (1 - GENERATION_SHARE) * share),
    );
  }

  private async deleteQuietly(apiKey: string, id: string): Promise<void> {
    await this.call(
      apiKey,
      'DELETE',
      `/videos/${encodeURIComponent(id)}`,
      AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
    )
      .then((response) => response.body?.cancel())
      .catch(() => undefined);
  }

  private call(
    apiKey: string,
    method: string,
    pathAndQuery: string,
    signal: AbortSignal,
    body?: unknown,
  ): Promise<Response> {
    return sendJson(
      method,
      `${this.baseUrl}${pathAndQuery}`,
      { authorization: `Bearer ${apiKey}` },
      signal,
      body,
    );
  }

  private videoOf(body: unknown, what: string): OpenAiVideo {
    const video = parseOpenAiVideo(body);
    if (!video)
      throw new GenerationError('transient', `${what} answered with something that is not a Video object`);
    return video;
  }

  private failureOf(video: OpenAiVideo): GenerationError {
    const code = video.error?.code;
    const message = video.error?.message;
    const extras = { providerJobId: video.id, providerCode: code, reason: message ?? code };
    if (isContentRefusalCode(code)) {
      return new GenerationError(
        'content_refused',
        `the provider refused the prompt: ${message ?? code}`,
        extras,
      );
    }
    return new GenerationError(
      'transient',
      `the provider failed the video${code ? ` (${code})` : ''}${message ? `: ${message}` : ''}`,
      extras,
    );
  }

  private async errorFor(response: Response, what: string): Promise<GenerationError> {
    const { status } = response;
    const { code, message } = openAiErrorOf(await readJsonQuietly(response));
    const detail = `${what} answered ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    const extras = { status, providerCode: code, reason: message };
    if (status === 429 && code === 'insufficient_quota') {
      return new GenerationError('misconfigured', `${detail} (the account has no quota left)`, extras);
    }
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.now());
      return new GenerationError('rate_limited', detail, { ...extras, retryAfterMs });
    }
    if (isContentRefusalCode(code)) {
      return new GenerationError(
        'content_refused',
        `the provider refused the prompt: ${message ?? code}`,
        extras,
      );
    }
    if (status === 401 || status === 403) {
      return new GenerationError('misconfigured', `${detail} (check OPENAI_API_KEY)`, extras);
    }
    if (status === 404 && what === 'POST /videos') {
      return new GenerationError(
        'misconfigured',
        `${detail} (check OPENAI_BASE_URL: ${this.baseUrl})`,
        extras,
      );
    }
    if (status >= 500 || status === 404 || status === 408 || status === 409) {
      return new GenerationError('transient', detail, extras);
    }
    return new GenerationError('invalid_request', detail, extras);
  }
}

function roundMoney(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
