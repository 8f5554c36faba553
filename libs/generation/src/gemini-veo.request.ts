/** Pure handling of the Gemini API's Veo video generation: the request body and the long-running operation. */
import { aspectRatioOf, coveringSeconds, resolutionOf } from './fal.request';

/** The clip lengths Veo 3.x makes. */
export const VEO_SECONDS = [4, 6, 8] as const;

export interface VeoRequestShape {
  prompt: string;
  durationMs: number;
  width: number;
  height: number;
  negativePrompt?: string;
}

export interface VeoBody {
  instances: [{ prompt: string }];
  parameters: {
    aspectRatio: '16:9' | '9:16';
    durationSeconds: number;
    resolution: string;
    negativePrompt?: string;
  };
}

/** `{ instances: [{ prompt }], parameters: { aspectRatio, durationSeconds, resolution, negativePrompt } }` */
export function veoBody(request: VeoRequestShape): VeoBody {
  const aspect = aspectRatioOf(request.width, request.height);
  const parameters: VeoBody['parameters'] = {
    // Veo makes 16:9 and 9:16 only; a square request gets landscape and compose crops it.
    aspectRatio: aspect === '9:16' ? '9:16' : '16:9',
    durationSeconds: coveringSeconds(request.durationMs, VEO_SECONDS),
    resolution: resolutionOf(request.width, request.height) === '1080p' ? '1080p' : '720p',
  };
  if (request.negativePrompt) parameters.negativePrompt = request.negativePrompt;
  return { instances: [{ prompt: request.prompt }], parameters };
}

export interface GoogleStatus {
  code?: number;
  status?: string;
  message?: string;
}

export type VeoOperation =
  | { name: string; done: false }
  | { name: string; done: true; error: GoogleStatus }
  | { name: string; done: true; videoUri: string }
  | { name: string; done: true; filtered: string[] }
  | { name: string; done: true; empty: true };

/** Reads an Operation (`{ name, done, error | response.generateVideoResponse }`); undefined if not one. */
export function parseVeoOperation(body: unknown): VeoOperation | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const raw = body as Record<string, unknown>;
  if (typeof raw.name !== 'string' || raw.name === '') return undefined;
  if (raw.done !== undefined && typeof raw.done !== 'boolean') return undefined;
  if (raw.done !== true) return { name: raw.name, done: false };
  if (typeof raw.error === 'object' && raw.error !== null) {
    return { name: raw.name, done: true, error: googleStatusOf(raw.error) };
  }
  const response = (raw.response ?? {}) as Record<string, unknown>;
  const generated = (response.generateVideoResponse ?? {}) as Record<string, unknown>;
  const samples = Array.isArray(generated.generatedSamples) ? generated.generatedSamples : [];
  const uri = (samples[0] as { video?: { uri?: unknown } } | undefined)?.video?.uri;
  if (typeof uri === 'string' && uri !== '') return { name: raw.name, done: true, videoUri: uri };
  const reasons = Array.isArray(generated.raiMediaFilteredReasons)
    ? generated.raiMediaFilteredReasons.filter((r): r is string => typeof r === 'string')
    : [];
  if (reasons.length || Number(generated.raiMediaFilteredCount) > 0) {
    return { name: raw.name, done: true, filtered: reasons };
  }
  return { name: raw.name, done: true, empty: true };
}

function googleStatusOf(raw: unknown): GoogleStatus {
  const error = raw as Record<string, unknown>;
  return {
    code: typeof error.code === 'number' ? error.code : undefined,
    status: typeof error.status === 'string' ? error.status : undefined,
    message: typeof error.message === 'string' ? error.message : undefined,
  };
}

/** The `{ error: { code, status, message, details } }` of an error response, and RetryInfo's delay. */
export function googleErrorOf(body: unknown): GoogleStatus & { retryDelayMs?: number } {
  if (typeof body !== 'object' || body === null) return {};
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return {};
  const status = googleStatusOf(error);
  const details = (error as { details?: unknown }).details;
  const retry = Array.isArray(details)
    ? details.find((d) => String((d as Record<string, unknown>)?.['@type'] ?? '').endsWith('RetryInfo'))
    : undefined;
  const delay = /^(\d+(?:\.\d+)?)s$/.exec(String((retry as { retryDelay?: unknown })?.retryDelay ?? ''));
  return delay ? { ...status, retryDelayMs: Math.round(Number(delay[1]) * 1000) } : status;
}

/** Whether Google's message says the prompt or the result broke its safety rules (Responsible AI filters). */
export function isSafetyRefusal(message: string | undefined): boolean {
  return !!message && /safety|responsible ai|usage guidelines|violat/i.test(message);
}
