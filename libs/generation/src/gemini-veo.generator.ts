import { Injectable } from '@nestjs/common';
import { resolutionOf } from './fal.request';
import {
  googleErrorOf,
  GoogleStatus,
  isSafetyRefusal,
  parseVeoOperation,
  VeoOperation,
  veoBody,
} from './gemini-veo.request';
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

/** `baseUrl` up to and including the version: `https://generativelanguage.googleapis.com/v1beta`. */
export interface GeminiVeoOptions extends HostedApiOptions {
  model: string;
  price: Pricer;
}

const MAX_FAILURES = 3;
/** The API reports no progress: the bar creeps towards this while the operation runs. */
const RUNNING_CEILING = 0.85;
const FINISHED = 0.9;

/**
 * Veo through the Gemini API: `POST {base}/models/{model}:predictLongRunning`, poll `GET {base}/{name}`
 * until `done`, download `response.generateVideoResponse.generatedSamples[0].video.uri` with the key.
 * An operation that ends in a Responsible-AI refusal (`raiMediaFilteredReasons`, or an error saying so) is
 * `content_refused`; other operation errors are transient. The Gemini API documents no cancel for these
 * operations: a cancelled run stops polling. gpuSeconds is `durationSeconds` (Veo bills per second of
 * output); cost is those × the configured price.
 */
@Injectable()
export class GeminiVeoGenerator implements VideoGenerator {
  readonly name = 'gemini-veo' as const;
  readonly defaultModel: string;
  private readonly baseUrl: string;
  private readonly now: () => number;

  constructor(private readonly options: GeminiVeoOptions) {
    this.defaultModel = options.model;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const apiKey = this.options.apiKey;
    if (!apiKey) throw new GenerationError('misconfigured', 'GEMINI_API_KEY is not set');
    const model = request.model || this.defaultModel;
    const body = veoBody(request);
    const progress = monotonicProgress(request.onProgress);
    return withDeadline(request.signal, this.options.timeoutMs, 'Veo generation', async (signal) => {
      const what = `POST /models/${model}:predictLongRunning`;
      const response = await this.call(
        apiKey,
        'POST',
        `${this.baseUrl}/models/${encodeURIComponent(model)}:predictLongRunning`,
        signal,
        body,
      );
      if (!response.ok) throw await this.errorFor(response, what);
      let operation = this.operationOf(await readJson(response, what), what);
      const started = this.now();
      for (let polls = 0; !operation.done; polls++) {
        // Creeps up without arriving: half the remaining way per poll interval of a typical minute-long run.
        const elapsed = (this.now() - started) / Math.max(1, this.options.pollIntervalMs * 6);
        progress(0.05 + (RUNNING_CEILING - 0.05) * (1 - 1 / (1 + elapsed + polls / 6)));
        await sleep(this.options.pollIntervalMs, signal);
        const name = operation.name;
        operation = await retryWithin(MAX_FAILURES, this.options.pollIntervalMs, signal, () =>
          this.poll(apiKey, name, signal),
        );
      }
      const uri = this.videoUriOf(operation);
      progress(FINISHED);
      await retryWithin(MAX_FAILURES, this.options.pollIntervalMs, signal, () =>
        this.download(apiKey, uri, request.outFile, signal, progress),
      );
      progress(1);
      const seconds = body.parameters.durationSeconds;
      return {
        gpuSeconds: seconds,
        cost: roundMoney(
          seconds *
            this.options.price(
              model,
              body.parameters.resolution ?? resolutionOf(request.width, request.height),
            ),
        ),
        providerJobId: operation.name,
        model,
      };
    });
  }

  private async poll(apiKey: string, name: string, signal: AbortSignal): Promise<VeoOperation> {
    const what = `GET /${name}`;
    const path = name.split('/').map(encodeURIComponent).join('/');
    const response = await this.call(apiKey, 'GET', `${this.baseUrl}/${path}`, signal);
    if (!response.ok) throw await this.errorFor(response, what);
    return this.operationOf(await readJson(response, what), what);
  }

  private operationOf(body: unknown, what: string): VeoOperation {
    const operation = parseVeoOperation(body);
    if (!operation)
      throw new GenerationError('transient', `${what} answered with something that is not an Operation`);
    return operation;
  }

  private videoUriOf(operation: VeoOperation): string {
    const extras = { providerJobId: operation.name };
    if ('videoUri' in operation) return operation.videoUri;
    if ('filtered' in operation) {
      const reason = operation.filtered[0] ?? 'Veo filtered the video under its Responsible AI policies';
      throw new GenerationError('content_refused', `the provider refused the prompt: ${reason}`, {
        ...extras,
        reason,
      });
    }
    if ('error' in operation) throw this.operationFailure(operation.error, operation.name);
    throw new GenerationError('transient', `operation ${operation.name} finished without a video`, extras);
  }

  private operationFailure(error: GoogleStatus, name: string): GenerationError {
    const extras = { providerJobId: name, providerCode: error.status ?? error.code, reason: error.message };
    if (isSafetyRefusal(error.message)) {
      return new GenerationError(
        'content_refused',
        `the provider refused the prompt: ${error.message}`,
        extras,
      );
    }
    // google.rpc.Code: 3 INVALID_ARGUMENT, 9 FAILED_PRECONDITION, 11 OUT_OF_RANGE are the request's fault.
    const code = `${error.status ?? error.code ?? 'error'}`;
    const kind = [3, 9, 11].includes(error.code ?? -1) ? 'invalid_request' : 'transient';
    return new GenerationError(
      kind,
      `operation ${name} failed (${code}): ${error.message ?? 'no message'}`,
      extras,
    );
  }

  private async download(
    apiKey: string,
    uri: string,
    outFile: string,
    signal: AbortSignal,
    progress: (fraction: number) => void,
  ): Promise<void> {
    const what = 'GET video';
    const response = await this.call(apiKey, 'GET', uri, signal);
    if (!response.ok) throw await this.errorFor(response, what);
    await saveMp4(response, outFile, signal, what, (share) => progress(FINISHED + (1 - FINISHED) * share));
  }

  private call(apiKey: string, method: string, url: string, signal: AbortSignal, body?: unknown) {
    return sendJson(method, url, { 'x-goog-api-key': apiKey }, signal, body);
  }

  private async errorFor(response: Response, what: string): Promise<GenerationError> {
    const { status } = response;
    const error = googleErrorOf(await readJsonQuietly(response));
    const detail = `Gemini ${what} answered ${status}${error.status ? ` ${error.status}` : ''}${error.message ? `: ${error.message}` : ''}`;
    const extras = { status, providerCode: error.status, reason: error.message };
    if (status === 429) {
      const header = response.headers.get('retry-after');
      const retryAfterMs = header
        ? parseRetryAfter(header, this.now())
        : (error.retryDelayMs ?? parseRetryAfter(null, 0));
      return new GenerationError('rate_limited', detail, { ...extras, retryAfterMs });
    }
    if (status === 400 && isSafetyRefusal(error.message)) {
      return new GenerationError(
        'content_refused',
        `the provider refused the prompt: ${error.message}`,
        extras,
      );
    }
    if (status === 401 || status === 403 || (status === 400 && /api key/i.test(error.message ?? ''))) {
      return new GenerationError('misconfigured', `${detail} (check GEMINI_API_KEY)`, extras);
    }
    if (status === 404 && what.startsWith('POST')) {
      return new GenerationError(
        'misconfigured',
        `${detail} (check GEMINI_VEO_MODEL and GEMINI_BASE_URL)`,
        extras,
      );
    }
    if (status >= 500 || status === 404 || status === 408 || status === 409) {
      return new GenerationError('transient', detail, extras);
    }
    return new GenerationError('invalid_request', detail, extras);
  }
}
