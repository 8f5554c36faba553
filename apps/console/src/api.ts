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

export interface RequestOptions {
  method?: string;
  body?: unknown;
  accept?: string;
  signal?: AbortSignal;
}

export interface Download {
  blob: Blob;
  filename: string;
}

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

/** The console's only door to the API: same origin, `Authorization: Bearer <key>` on every call. */
export class Api {
  constructor(
    private readonly key: string,
    /** Called when the API refuses the key (401), e.g. after it was revoked. */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  private async send(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.key}`,
      accept: options.accept ?? 'application/json',
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await fetch(path, {
        method: options.method ?? 'GET',
        headers,
        body,
        signal: options.signal,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, 'network', 'The API could not be reached. Check your connection and try again.');
    }
    if (!response.ok) {
      const error = await problemOf(response);
      if (response.status === 401) this.onUnauthorized();
      throw error;
    }
    return response;
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await (await this.send(path, options)).json()) as T;
  }

  /** Every item of a cursor-paginated list. */
  async all<T>(path: string, signal?: AbortSignal, limit = 500): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    const separator = path.includes('?') ? '&' : '?';
    do {
      const query: string = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: { items: T[]; nextCursor: string | null } = await this.json(`${path}${separator}${query}`, {
        signal,
      });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  /** A file answer, named as the API's Content-Disposition says (or `fallback`). */
  async download(path: string, accept: string, fallback: string): Promise<Download> {
    const response = await this.send(path, { accept });
    const disposition = response.headers.get('content-disposition') ?? '';
    const filename = /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? fallback;
    return { blob: await response.blob(), filename };
  }

  async blob(path: string, accept: string, signal?: AbortSignal): Promise<Blob> {
    return (await this.send(path, { accept, signal })).blob();
  }

  /**
   * Reads a server-sent event stream with fetch (EventSource cannot send the Authorization header),
   * calling `onMessage` for each message until the server ends the stream or `signal` aborts.
   */
  async stream(
    path: string,
    onMessage: (event: string, data: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const response = await this.send(path, { accept: 'text/event-stream', signal });
    if (!response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
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
