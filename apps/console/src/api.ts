import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './openapi';
import { SseParser } from './sse';

/** An error answer of the API (RFC 9457 problem+json), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly field?: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export interface Download {
  blob: Blob;
  filename: string;
}

export type ApiClient = Client<paths>;

/** What a call through the client resolves to (its body is typed from types.ts: see Api.json). */
type Answer = Promise<{ data?: unknown; response: Response }>;

async function problemOf(response: Response): Promise<ApiError> {
  try {
    const problem = (await response.json()) as { code?: string; detail?: string; field?: string };
    return new ApiError(
      response.status,
      problem.code ?? 'error',
      problem.detail ?? response.statusText,
      problem.field,
    );
  } catch {
    return new ApiError(response.status, 'error', `${response.status} ${response.statusText}`);
  }
}

/** `Authorization: Bearer <key>` on every call; an error answer or a lost network becomes an ApiError. */
function authorised(key: string, onUnauthorized: () => void): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${key}`);
      if (!request.headers.has('accept')) request.headers.set('accept', 'application/json');
      return request;
    },
    async onResponse({ response }) {
      if (response.ok) return undefined;
      const error = await problemOf(response);
      if (response.status === 401) onUnauthorized();
      throw error;
    },
    onError({ error }) {
      if ((error as Error).name === 'AbortError') return error as Error;
      return new ApiError(0, 'network', 'The API could not be reached. Check your connection and try again.');
    },
  };
}

/**
 * The console's only door to the API: same origin, through an openapi-fetch client typed by the
 * types openapi-typescript generates from openapi.json (`npm run openapi:console`), so a path, a path
 * or query parameter or a request body that drifts from the API fails the console's build.
 */
export class Api {
  readonly client: ApiClient;

  constructor(
    key: string,
    /** Called when the API refuses the key (401), e.g. after it was revoked. */
    onUnauthorized: () => void = () => undefined,
  ) {
    this.client = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '' });
    this.client.use(authorised(key, onUnauthorized));
  }

  /**
   * The JSON body of a successful answer. openapi.json declares no response schemas yet, so the body's
   * type is named by the caller from types.ts.
   */
  async json<T>(answer: Answer): Promise<T> {
    return (await answer).data as T;
  }

  /** Every item of a cursor-paginated list, one page per call of `page`. */
  async all<T>(page: (query: { limit: number; cursor?: string }) => Answer, limit = 500): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const next: { items: T[]; nextCursor: string | null } = await this.json(page({ limit, cursor }));
      items.push(...next.items);
      cursor = next.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  /** A file answer (asked for with `parseAs: 'blob'`), named as its Content-Disposition says (or `fallback`). */
  async download(answer: Answer, fallback: string): Promise<Download> {
    const { data, response } = await answer;
    const disposition = response.headers.get('content-disposition') ?? '';
    const filename = /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? fallback;
    return { blob: data as Blob, filename };
  }

  /**
   * Reads a server-sent event stream (asked for with `parseAs: 'stream'`; EventSource cannot send the
   * Authorization header), calling `onMessage` for each message until the server ends the stream or the
   * request's signal aborts.
   */
  async stream(answer: Answer, onMessage: (event: string, data: string) => void): Promise<void> {
    const body = (await answer).data as ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
    if (!body) return;
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const message of parser.push(value)) onMessage(message.event, message.data);
      }
    } finally {
      reader.releaseLock();
    }
  }
}

/** Saves a downloaded file through the browser's download flow. */
export function saveFile({ blob, filename }: Download): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
