import { AdloomError, defineErrors } from '@adloom/common';

export const GENERATOR_NAMES = ['procedural', 'openai-videos', 'comfyui', 'fal', 'gemini-veo'] as const;
export type GeneratorName = (typeof GENERATOR_NAMES)[number];

export interface GenerateRequest {
  prompt: string;
  /** Hex sha256 of (generator, model, params, prompt): the clip's identity. */
  promptHash: string;
  /** The model to ask for; an empty string means the generator's default model. */
  model: string;
  durationMs: number;
  width: number;
  height: number;
  seed: number;
  /** Local path the MP4 is written to. Nothing is left at this path unless generation succeeds. */
  outFile: string;
  signal: AbortSignal;
  /** 0..1, never going backwards. */
  onProgress(fraction: number): void;
}

export interface GenerateResult {
  gpuSeconds: number;
  cost: number;
  providerJobId?: string;
  /** The model that made the clip. */
  model: string;
}

/** What an adapter of a hosted video API is configured with. */
export interface HostedApiOptions {
  baseUrl: string;
  apiKey?: string;
  pollIntervalMs: number;
  /** Deadline for one generation: creation, polling and download. */
  timeoutMs: number;
  now?: () => number;
}

export interface VideoGenerator {
  readonly name: GeneratorName;
  readonly defaultModel: string;
  generate(request: GenerateRequest): Promise<GenerateResult>;
}

/**
 * `content_refused`: the provider refused the prompt (moderation); `extras.reason` is its message. Never retried.
 * `rate_limited`: the provider asked us to slow down; `extras.retryAfterMs` says for how long.
 * `transient`: 5xx, network failure, malformed body, truncated or unusable download: retry with backoff.
 * `timeout`: GENERATE_TIMEOUT passed; the provider job was cancelled where the API allows it.
 * `cancelled`: the caller's AbortSignal fired.
 * `misconfigured`: no base URL or key, a bad key, a workflow that does not load or validate. Never retried.
 * `invalid_request`: the provider rejected the request itself (size, duration, model). Never retried.
 */
export const GenerationError = defineErrors('GenerationError', {
  content_refused: 422,
  rate_limited: 429,
  transient: 503,
  timeout: 504,
  cancelled: 499,
  misconfigured: 500,
  invalid_request: 422,
});
export type GenerationError = InstanceType<typeof GenerationError>;
export type GenerationErrorCode = GenerationError['code'];

const RETRYABLE: ReadonlySet<GenerationErrorCode> = new Set(['transient', 'rate_limited', 'timeout']);

/**
 * Whether running the same request again may succeed. Errors that are not Adloom errors (an unexpected
 * fault) count as retryable: the number of attempts is bounded by the queue.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof GenerationError) return RETRYABLE.has(error.code);
  if (error instanceof AdloomError) return error.status >= 500;
  return true;
}

/** How long to wait before the next attempt when the provider said so, else undefined. */
export function retryAfterMs(error: unknown): number | undefined {
  if (error instanceof GenerationError && error.code === 'rate_limited') {
    const value = error.extras.retryAfterMs;
    return typeof value === 'number' ? value : undefined;
  }
  return undefined;
}
