/** Pure handling of fal.ai's Queue API: the model catalogue, the input a model takes, what the queue says. */
import { fillWorkflow, placeholdersOf, WorkflowValues } from './comfyui.workflow';

/** One fal model as configured in FAL_MODELS: where it lives and the input it takes. */
export interface FalModel {
  /** `{owner}/{app}` with an optional subpath, e.g. `fal-ai/wan/v2.2-a14b/text-to-video`. */
  endpoint: string;
  /** The request body with `{{placeholders}}` (see README): `{{prompt}}` is required. */
  input: Record<string, unknown>;
  /** The clip lengths the model makes, in seconds; the shortest covering the request is asked for. */
  seconds: number[];
  /** Frame rate `{{frames}}` assumes. */
  fps: number;
  /** Dotted path of the video URL in the result. */
  output: string;
}
export type FalCatalogue = ReadonlyMap<string, FalModel>;

const ENDPOINT = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** Reads FAL_MODELS; the message names the model and field an operator has to fix. */
export function parseFalCatalogue(json: unknown): FalCatalogue {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError('expected a JSON object of model name → { endpoint, input, seconds }');
  }
  const models = new Map<string, FalModel>();
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    const entry = (raw ?? {}) as Record<string, unknown>;
    const fail = (message: string) => {
      throw new TypeError(`model "${name}": ${message}`);
    };
    if (typeof entry.endpoint !== 'string' || !ENDPOINT.test(entry.endpoint)) {
      fail('endpoint must be "owner/app" with an optional subpath');
    }
    if (typeof entry.input !== 'object' || entry.input === null || Array.isArray(entry.input)) {
      fail('input must be an object (the request body template)');
    }
    if (!placeholdersOf(entry.input).includes('prompt')) fail('input has no {{prompt}} placeholder');
    const unknown = placeholdersOf(entry.input).filter((p) => !FAL_PLACEHOLDERS.includes(p));
    if (unknown.length) fail(`unknown placeholder(s) ${unknown.map((p) => `{{${p}}}`).join(', ')}`);
    const seconds = entry.seconds ?? [5];
    if (
      !Array.isArray(seconds) ||
      seconds.length === 0 ||
      !seconds.every((s) => typeof s === 'number' && s > 0)
    ) {
      fail('seconds must be a list of positive clip lengths');
    }
    const fps = entry.fps ?? 16;
    if (typeof fps !== 'number' || fps <= 0) fail('fps must be a positive number');
    const output = entry.output ?? 'video.url';
    if (typeof output !== 'string' || output === '') fail('output must be a dotted path such as video.url');
    models.set(name, {
      endpoint: entry.endpoint as string,
      input: entry.input as Record<string, unknown>,
      seconds: [...(seconds as number[])].sort((a, b) => a - b),
      fps: fps as number,
      output: output as string,
    });
  }
  if (models.size === 0) throw new TypeError('no models are configured');
  return models;
}

export const FAL_PLACEHOLDERS = [
  'prompt',
  'seconds',
  'frames',
  'fps',
  'width',
  'height',
  'aspect_ratio',
  'resolution',
  'seed',
];

export interface FalRequestShape {
  prompt: string;
  durationMs: number;
  width: number;
  height: number;
  seed: number;
}

/** The shortest allowed length covering the request, or the longest when none does. */
export function coveringSeconds(durationMs: number, allowed: readonly number[]): number {
  const wanted = durationMs / 1000;
  return allowed.find((s) => s >= wanted - 1e-9) ?? allowed[allowed.length - 1];
}

/** `720p` for a 720x1280 or 1280x720 clip: the short side, as video APIs name resolutions. */
export function resolutionOf(width: number, height: number): string {
  return `${Math.min(width, height)}p`;
}

/** The nearest of the common aspect ratios video models take. */
export function aspectRatioOf(width: number, height: number): '16:9' | '9:16' | '1:1' {
  const ratio = width / height;
  if (ratio > 1.15) return '16:9';
  if (ratio < 0.87) return '9:16';
  return '1:1';
}

export function falValues(model: FalModel, request: FalRequestShape): WorkflowValues {
  const seconds = coveringSeconds(request.durationMs, model.seconds);
  return {
    prompt: request.prompt,
    seconds,
    // Wan and LTX take 4k+1 frames.
    frames: 4 * Math.max(1, Math.ceil((seconds * model.fps - 1) / 4)) + 1,
    fps: model.fps,
    width: request.width,
    height: request.height,
    aspect_ratio: aspectRatioOf(request.width, request.height),
    resolution: resolutionOf(request.width, request.height),
    seed: Math.abs(Math.trunc(request.seed)),
  };
}

export function falInput(model: FalModel, values: WorkflowValues): Record<string, unknown> {
  return fillWorkflow(model.input, values);
}

export interface FalSubmitted {
  requestId: string;
  statusUrl?: string;
  responseUrl?: string;
  cancelUrl?: string;
}

export function parseFalSubmitted(body: unknown): FalSubmitted | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const raw = body as Record<string, unknown>;
  if (typeof raw.request_id !== 'string' || raw.request_id === '') return undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    requestId: raw.request_id,
    statusUrl: str(raw.status_url),
    responseUrl: str(raw.response_url),
    cancelUrl: str(raw.cancel_url),
  };
}

export type FalStatus =
  | { status: 'IN_QUEUE'; position?: number }
  | { status: 'IN_PROGRESS'; fraction?: number; logs: string[] }
  | { status: 'COMPLETED'; error?: string; errorType?: string };

/** Reads a status answer; the latest percentage in the runner's logs (`45%|…`, `step 9/20`) is its progress. */
export function parseFalStatus(body: unknown): FalStatus | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const raw = body as Record<string, unknown>;
  if (raw.status === 'IN_QUEUE') {
    return {
      status: 'IN_QUEUE',
      position: typeof raw.queue_position === 'number' ? raw.queue_position : undefined,
    };
  }
  if (raw.status === 'IN_PROGRESS') {
    const logs = Array.isArray(raw.logs)
      ? raw.logs
          .map((log) => (log as { message?: unknown } | null)?.message)
          .filter((m): m is string => typeof m === 'string')
      : [];
    return { status: 'IN_PROGRESS', logs, fraction: progressInLogs(logs) };
  }
  if (raw.status === 'COMPLETED') {
    return {
      status: 'COMPLETED',
      error: typeof raw.error === 'string' && raw.error !== '' ? raw.error : undefined,
      errorType: typeof raw.error_type === 'string' ? raw.error_type : undefined,
    };
  }
  return undefined;
}

function progressInLogs(logs: string[]): number | undefined {
  for (let i = logs.length - 1; i >= 0; i--) {
    const percent = /(\d{1,3}(?:\.\d+)?)\s*%/.exec(logs[i]);
    if (percent) return Math.min(100, Number(percent[1])) / 100;
    const steps = /(\d+)\s*\/\s*(\d+)/.exec(logs[i]);
    if (steps && Number(steps[2]) > 0) return Math.min(1, Number(steps[1]) / Number(steps[2]));
  }
  return undefined;
}

/** The value at a dotted path (`video.url`, `videos.0.url`). */
export function valueAt(body: unknown, dotted: string): unknown {
  let value: unknown = body;
  for (const part of dotted.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export interface FalErrorDetail {
  type?: string;
  message?: string;
}

/** fal's model errors: `{ detail: [{ loc, msg, type }] }`, or `{ detail: "text" }` from older apps. */
export function falErrorDetail(body: unknown): FalErrorDetail {
  if (typeof body !== 'object' || body === null) return {};
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === 'string') return { message: detail };
  if (Array.isArray(detail) && detail.length) {
    const first =
      detail.find((d) => (d as { type?: unknown })?.type === 'content_policy_violation') ?? detail[0];
    const { type, msg } = (first ?? {}) as { type?: unknown; msg?: unknown };
    return {
      type: typeof type === 'string' ? type : undefined,
      message: typeof msg === 'string' ? msg : undefined,
    };
  }
  const error = (body as { error?: unknown }).error;
  return typeof error === 'string' ? { message: error } : {};
}
