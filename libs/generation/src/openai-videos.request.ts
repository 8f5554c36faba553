/** Pure mapping between Adloom's generate requests and the OpenAI-compatible Videos API. */

export const OPENAI_VIDEO_SECONDS = [4, 8, 12] as const;
export type OpenAiVideoSeconds = '4' | '8' | '12';

export const OPENAI_VIDEO_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'] as const;
export type OpenAiVideoSize = (typeof OPENAI_VIDEO_SIZES)[number];

export type OpenAiVideoStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

export interface OpenAiVideo {
  id: string;
  status: OpenAiVideoStatus;
  progress: number;
  model?: string;
  seconds?: string;
  size?: string;
  error?: { code?: string; message?: string } | null;
}

/**
 * The shortest allowed clip length that covers the request; a request longer than the longest
 * allowed length (12 s) gets the longest, so the clip comes back shorter than asked.
 */
export function openAiSeconds(durationMs: number): OpenAiVideoSeconds {
  const wanted = durationMs / 1000;
  const covering = OPENAI_VIDEO_SECONDS.find((allowed) => allowed >= wanted - 1e-9);
  return String(covering ?? OPENAI_VIDEO_SECONDS[OPENAI_VIDEO_SECONDS.length - 1]) as OpenAiVideoSeconds;
}

/**
 * A listed size the request names exactly; otherwise the allowed size nearest the request's aspect ratio
 * (compared on a log scale, so 2:1 and 1:2 are equally far from 1:1). Sizes within 2% of each other's
 * aspect count as the same shape and the smaller wins (720x1280 over 1024x1792: every model takes it and
 * compose scales the clip anyway); an exact tie between shapes (a square request) goes to the one listed
 * first.
 */
export function openAiSize(width: number, height: number): OpenAiVideoSize {
  const exact = OPENAI_VIDEO_SIZES.find((size) => size === `${width}x${height}`);
  if (exact) return exact;
  const wanted = Math.log(width / height);
  const candidates = OPENAI_VIDEO_SIZES.map((size, order) => {
    const [w, h] = size.split('x').map(Number);
    return { size, order, pixels: w * h, distance: Math.abs(Math.log(w / h) - wanted) };
  });
  const nearest = Math.min(...candidates.map((candidate) => candidate.distance));
  return candidates
    .filter((candidate) => candidate.distance <= nearest + SAME_SHAPE)
    .sort((a, b) => a.pixels - b.pixels || a.order - b.order)[0].size;
}

/** Aspect ratios closer than this on a log scale (about 2%) are the same shape. */
const SAME_SHAPE = 0.02;

/** When the `retry-after` header is missing or unreadable. */
export const DEFAULT_RETRY_AFTER_MS = 30_000;

/** `retry-after` as milliseconds from now: delta seconds (`"2"`, `"1.5"`) or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number {
  const trimmed = value?.trim();
  if (!trimmed) return DEFAULT_RETRY_AFTER_MS;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, at - nowMs);
}

const REFUSAL_CODES = new Set([
  'moderation_blocked',
  'content_policy_violation',
  'content_filter',
  'input_moderation',
  'output_moderation',
  'safety_violation',
]);

/** Whether a failed video's `error.code` means the provider refused the content (not worth retrying). */
export function isContentRefusalCode(code: string | undefined | null): boolean {
  if (!code) return false;
  return REFUSAL_CODES.has(code) || /moderation|content_polic|content_filter|safety/i.test(code);
}

const STATUSES: ReadonlySet<string> = new Set(['queued', 'in_progress', 'completed', 'failed']);

/** Reads a Video object; undefined when the body does not have the documented shape. */
export function parseOpenAiVideo(body: unknown): OpenAiVideo | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const raw = body as Record<string, unknown>;
  if (
    typeof raw.id !== 'string' ||
    raw.id === '' ||
    typeof raw.status !== 'string' ||
    !STATUSES.has(raw.status)
  ) {
    return undefined;
  }
  const error =
    typeof raw.error === 'object' && raw.error !== null ? (raw.error as Record<string, unknown>) : null;
  return {
    id: raw.id,
    status: raw.status as OpenAiVideoStatus,
    progress: typeof raw.progress === 'number' && Number.isFinite(raw.progress) ? raw.progress : 0,
    model: typeof raw.model === 'string' ? raw.model : undefined,
    seconds: typeof raw.seconds === 'string' ? raw.seconds : undefined,
    size: typeof raw.size === 'string' ? raw.size : undefined,
    error: error
      ? {
          code: typeof error.code === 'string' ? error.code : undefined,
          message: typeof error.message === 'string' ? error.message : undefined,
        }
      : null,
  };
}

/** The `{ error: { code, message } }` of an error response, as far as it is there. */
export function openAiErrorOf(body: unknown): { code?: string; message?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return {};
  const { code, message } = error as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'string' ? code : undefined,
    message: typeof message === 'string' ? message : undefined,
  };
}
