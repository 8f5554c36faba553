import { Injectable } from '@nestjs/common';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  FalCatalogue,
  falErrorDetail,
  falInput,
  FalModel,
  FalStatus,
  FalSubmitted,
  falValues,
  parseFalCatalogue,
  parseFalStatus,
  parseFalSubmitted,
  valueAt,
} from './fal.request';
import { parseRetryAfter } from './openai-videos.request';
import { Pricer, roundMoney } from './pricing';
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

/** `baseUrl` is the queue: `https://queue.fal.run`. */
export interface FalOptions extends HostedApiOptions {
  /** FAL_MODELS: a JSON file of model name → endpoint and input template. */
  modelsFile: string;
  defaultModel: string;
  price: Pricer;
}

const MAX_FAILURES = 3;
const CLEANUP_TIMEOUT_MS = 5_000;
/** Progress in stages: queued, running (from the runner's logs when they say), finished, downloaded. */
const PROGRESS = { submitted: 0.02, queued: 0.05, running: 0.1, finished: 0.9 };

/**
 * fal.ai's Queue API: submit `POST {base}/{owner}/{app}` with the model's input (from FAL_MODELS), poll
 * the request's `status_url` (`IN_QUEUE` with its position, `IN_PROGRESS` with logs, `COMPLETED`), fetch the
 * result from `response_url`, download the video it names. A request still queued or running when the
 * caller gives up (pause, archive, deadline) is cancelled with `PUT cancel_url`. gpuSeconds is the seconds
 * of video asked for (fal bills video models per second of output); cost is those × the configured price.
 */
@Injectable()
export class FalGenerator implements VideoGenerator {
  readonly name = 'fal' as const;
  readonly defaultModel: string;
  private readonly baseUrl: string;
  private readonly now: () => number;
  private catalogue?: Promise<FalCatalogue>;

  constructor(private readonly options: FalOptions) {
    this.defaultModel = options.defaultModel;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const apiKey = this.options.apiKey;
    if (!apiKey) throw new GenerationError('misconfigured', 'FAL_KEY is not set');
    const modelName = request.model || this.defaultModel;
    const model = await this.model(modelName);
    const values = falValues(model, request);
    const input = falInput(model, values);
    const seconds = Number(values.seconds);
    const progress = monotonicProgress(request.onProgress);
    let unfinished: FalSubmitted | undefined;
    try {
      return await withDeadline(request.signal, this.options.timeoutMs, 'fal generation', async (signal) => {
        const submitted = await this.submit(apiKey, model, input, signal);
        unfinished = submitted;
        progress(PROGRESS.submitted);
        await this.waitUntilCompleted(apiKey, model, submitted, signal, progress);
        unfinished = undefined;
        const result = await retryWithin(MAX_FAILURES, this.options.pollIntervalMs, signal, () =>
          this.result(apiKey, model, submitted, signal),
        );
        const url = valueAt(result, model.output);
        if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
          throw new GenerationError('transient', `the fal result has no video URL at "${model.output}"`, {
            providerJobId: submitted.requestId,
          });
        }
        progress(PROGRESS.finished);
        await retryWithin(MAX_FAILURES, this.options.pollIntervalMs, signal, () =>
          this.download(url, request.outFile, signal, progress),
        );
        progress(1);
        return {
          gpuSeconds: seconds,
          cost: roundMoney(seconds * this.options.price(modelName, String(values.resolution))),
          providerJobId: submitted.requestId,
          model: modelName,
        };
      });
    } catch (error) {
      if (unfinished) await this.cancelQuietly(apiKey, model, unfinished);
      throw error;
    }
  }

  private async model(name: string): Promise<FalModel> {
    this.catalogue ??= this.readCatalogue().catch((error: unknown) => {
      this.catalogue = undefined;
      throw error;
    });
    const catalogue = await this.catalogue;
    const model = catalogue.get(name);
    if (!model) {
      throw new GenerationError(
        'misconfigured',
        `fal model "${name}" is not in FAL_MODELS (known: ${[...catalogue.keys()].join(', ')})`,
      );
    }
    return model;
  }

  private async readCatalogue(): Promise<FalCatalogue> {
    const file = path.resolve(this.options.modelsFile);
    try {
      return parseFalCatalogue(JSON.parse(await fs.readFile(file, 'utf8')));
    } catch (error) {
      throw new GenerationError('misconfigured', `FAL_MODELS ${file}: ${(error as Error).message}`);
    }
  }

  /** `{owner}/{app}`: the status, result and cancel routes leave the subpath out. */
  private appOf(model: FalModel): string {
    return model.endpoint.split('/').slice(0, 2).join('/');
  }

  private requestUrl(model: FalModel, submitted: FalSubmitted, suffix: string): string {
    return `${this.baseUrl}/${this.appOf(model)}/requests/${encodeURIComponent(submitted.requestId)}${suffix}`;
  }

  private async submit(
    apiKey: string,
    model: FalModel,
    input: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<FalSubmitted> {
    const what = `POST /${model.endpoint}`;
    const response = await this.call(apiKey, 'POST', `${this.baseUrl}/${model.endpoint}`, signal, input);
    if (!response.ok) throw await this.errorFor(response, what);
    const submitted = parseFalSubmitted(await readJson(response, what));
    if (!submitted) throw new GenerationError('transient', `${what} answered without a request_id`);
    return submitted;
  }

  private async waitUntilCompleted(
    apiKey: string,
    model: FalModel,
    submitted: FalSubmitted,
    signal: AbortSignal,
    progress: (fraction: number) => void,
  ): Promise<void> {
    const url = new URL(submitted.statusUrl ?? this.requestUrl(model, submitted, '/status'));
    url.searchParams.set('logs', '1');
    for (;;) {
      const status = await retryWithin(MAX_FAILURES, this.options.pollIntervalMs, signal, () =>
        this.status(apiKey, url.toString(), signal),
      );
      if (status.status === 'IN_QUEUE') progress(PROGRESS.queued);
      if (status.status === 'IN_PROGRESS') {
        const span = PROGRESS.finished - PROGRESS.running;
        progress(PROGRESS.running + span * (status.fraction ?? 0));
      }
      if (status.status === 'COMPLETED') {
        if (status.error) {
          throw new GenerationError(
            'transient',
            `fal request ${submitted.requestId} failed${status.errorType ? ` (${status.errorType})` : ''}: ${status.error}`,
            { providerJobId: submitted.requestId, reason: status.error },
          );
        }
        return;
      }
      await sleep(this.options.pollIntervalMs, signal);
    }
  }

  private async status(apiKey: string, url: string, signal: AbortSignal): Promise<FalStatus> {
    const what = 'GET status';
    const response = await this.call(apiKey, 'GET', url, signal);
    if (!response.ok) throw await this.errorFor(response, what);
    const status = parseFalStatus(await readJson(response, what));
    if (!status) throw new GenerationError('transient', `${what} answered with an unknown status`);
    return status;
  }

  private async result(
    apiKey: string,
    model: FalModel,
    submitted: FalSubmitted,
    signal: AbortSignal,
  ): Promise<unknown> {
    const what = 'GET result';
    const response = await this.call(
      apiKey,
      'GET',
      submitted.responseUrl ?? this.requestUrl(model, submitted, ''),
      signal,
    );
    if (!response.ok) throw await this.errorFor(response, what, submitted.requestId);
    return readJson(response, what);
  }

  private async download(
    url: string,
    outFile: string,
    signal: AbortSignal,
    progress: (fraction: number) => void,
  ): Promise<void> {
    const what = 'GET video';
    // fal's media URLs are public: the key is not sent to them.
    const response = await sendJson('GET', url, {}, signal);
    if (!response.ok) throw await this.errorFor(response, what);
    await saveMp4(response, outFile, signal, what, (share) =>
      progress(PROGRESS.finished + (1 - PROGRESS.finished) * share),
    );
  }

  private async cancelQuietly(apiKey: string, model: FalModel, submitted: FalSubmitted): Promise<void> {
    await this.call(
      apiKey,
      'PUT',
      submitted.cancelUrl ?? this.requestUrl(model, submitted, '/cancel'),
      AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
    )
      .then((response) => response.body?.cancel())
      .catch(() => undefined);
  }

  private call(apiKey: string, method: string, url: string, signal: AbortSignal, body?: unknown) {
    return sendJson(
      method,
      url,
      { authorization: `Key ${apiKey}`, accept: 'application/json' },
      signal,
      body,
    );
  }

  private async errorFor(response: Response, what: string, requestId?: string): Promise<GenerationError> {
    const { status } = response;
    const { type, message } = falErrorDetail(await readJsonQuietly(response));
    const detail = `fal ${what} answered ${status}${type ? ` ${type}` : ''}${message ? `: ${message}` : ''}`;
    const extras = { status, providerCode: type, reason: message, providerJobId: requestId };
    if (type === 'content_policy_violation') {
      return new GenerationError(
        'content_refused',
        `the provider refused the prompt: ${message ?? type}`,
        extras,
      );
    }
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.now());
      return new GenerationError('rate_limited', detail, { ...extras, retryAfterMs });
    }
    if (status === 401 || status === 403) {
      return new GenerationError('misconfigured', `${detail} (check FAL_KEY)`, extras);
    }
    if (status === 404 && what.startsWith('POST')) {
      return new GenerationError('misconfigured', `${detail} (check the endpoint in FAL_MODELS)`, extras);
    }
    // fal says whether a failure is worth repeating; without the header, 5xx and timeouts are.
    const retryable = response.headers.get('x-fal-retryable') ?? response.headers.get('x-fal-needs-retry');
    if (retryable === 'false' && status < 500) return new GenerationError('invalid_request', detail, extras);
    if (status >= 500 || status === 404 || status === 408 || status === 409 || retryable === 'true') {
      return new GenerationError('transient', detail, extras);
    }
    return new GenerationError('invalid_request', detail, extras);
  }
}
