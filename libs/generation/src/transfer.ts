import { AdloomError } from '@adloom/common';
import { MediaError } from '@adloom/media';
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GenerationError } from './video-generator';

/**
 * Runs `work` with a signal that fires when the caller cancels or when `timeoutMs` passes, and turns
 * whatever it throws into a GenerationError: `cancelled` and `timeout` win over the error the abort caused.
 */
export async function withDeadline<T>(
  signal: AbortSignal,
  timeoutMs: number,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (signal.aborted) throw new GenerationError('cancelled', `${what} was cancelled before it started`);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    return await work(AbortSignal.any([signal, deadline.signal]));
  } catch (error) {
    if (signal.aborted) throw new GenerationError('cancelled', `${what} was cancelled`);
    if (deadline.signal.aborted) {
      throw new GenerationError('timeout', `${what} took longer than ${timeoutMs} ms`, { timeoutMs });
    }
    throw asGenerationError(error, what);
  } finally {
    clearTimeout(timer);
  }
}

/** Any failure as a GenerationError; failures we do not recognise are treated as transient. */
export function asGenerationError(error: unknown, what: string): GenerationError {
  if (error instanceof GenerationError) return error;
  if (error instanceof MediaError) {
    if (error.code === 'ffmpeg_missing') return new GenerationError('misconfigured', error.message);
    if (error.code === 'timeout') return new GenerationError('timeout', error.message, error.extras);
    if (error.code === 'cancelled') return new GenerationError('cancelled', error.message);
    return new GenerationError('transient', `${what}: ${error.message}`, { reason: error.extras.reason });
  }
  if (error instanceof AdloomError) return new GenerationError('transient', `${what}: ${error.message}`);
  return new GenerationError('transient', `${what} failed: ${describeFailure(error)}`);
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, other side closed…). */
export function describeFailure(error: unknown): string {
  // Duck-typed: errors from fetch may come from another realm (a test VM), where instanceof Error fails.
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string') {
    return String(error);
  }
  const { message } = error as Error;
  const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail && detail !== message ? `${message} (${detail})` : message;
}

/** Waits, or rejects as soon as the signal fires. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal });
}

/** Reports 0..1 progress through `onProgress`, clamped and never going backwards. */
export function monotonicProgress(onProgress: (fraction: number) => void): (fraction: number) => void {
  let reported = -1;
  return (fraction) => {
    const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    if (clamped <= reported) return;
    reported = clamped;
    onProgress(clamped);
  };
}

/** A path next to `outFile` for work in progress; renaming it over `outFile` is atomic. */
export function partialPath(outFile: string, extension = '.part'): string {
  return path.join(
    path.dirname(outFile),
    `.${path.basename(outFile)}.${randomBytes(4).toString('hex')}${extension}`,
  );
}

export async function removeQuietly(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch(() => undefined);
}

/**
 * Streams a response body to `file`, counting bytes against `content-length`: a body that ends short (or
 * long) is a `transient` error. Returns the byte count.
 */
export async function saveBody(
  response: Response,
  file: string,
  signal: AbortSignal,
  onBytes?: (received: number, expected: number | undefined) => void,
): Promise<number> {
  if (!response.body) throw new GenerationError('transient', 'the download has no body');
  const header = response.headers.get('content-length');
  // fetch decodes gzip/br bodies, and content-length then counts the encoded bytes.
  const encoding = response.headers.get('content-encoding');
  const expected =
    header !== null && /^\d+$/.test(header) && (!encoding || encoding === 'identity')
      ? Number(header)
      : undefined;
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      onBytes?.(received, expected);
      callback(null, chunk);
    },
  });
  await fs.mkdir(path.dirname(file), { recursive: true });
  try {
    await pipeline(
      Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
      counter,
      createWriteStream(file),
      { signal },
    );
  } catch (error) {
    if (signal.aborted) throw error;
    throw new GenerationError(
      'transient',
      `the download broke off after ${received}${expected !== undefined ? ` of ${expected}` : ''} bytes: ${describeFailure(error)}`,
      { receivedBytes: received, expectedBytes: expected },
    );
  }
  if (expected !== undefined && received !== expected) {
    throw new GenerationError('transient', `the download was truncated: ${received} of ${expected} bytes`, {
      receivedBytes: received,
      expectedBytes: expected,
    });
  }
  return received;
}

export type Container = 'mp4' | 'webm' | 'gif' | 'webp' | 'unknown';

/** The container a file holds, from its first bytes (MP4/MOV start with an `ftyp` box). */
export async function sniffContainer(file: string): Promise<Container> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await handle.read(head, 0, 16, 0);
    const bytes = head.subarray(0, bytesRead);
    if (bytes.length >= 8 && bytes.toString('latin1', 4, 8) === 'ftyp') return 'mp4';
    if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
    if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.toString('latin1', 0, 6))) return 'gif';
    if (
      bytes.length >= 12 &&
      bytes.toString('latin1', 0, 4) === 'RIFF' &&
      bytes.toString('latin1', 8, 12) === 'WEBP'
    ) {
      return 'webp';
    }
    return 'unknown';
  } finally {
    await handle.close();
  }
}

/** Reads a JSON body; a body that is not JSON is a `transient` error (a proxy's HTML page, a cut-off answer). */
export async function readJson(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const excerpt = text.slice(0, 120).replace(/\s+/g, ' ');
    throw new GenerationError(
      'transient',
      `${what} answered ${response.status} with a body that is not JSON: "${excerpt}"`,
      {
        status: response.status,
      },
    );
  }
}

/** Reads a JSON body if there is one that parses, for error responses whose body is only a hint. */
export async function readJsonQuietly(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await response.text()) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Runs `attempt` until it succeeds, giving up after `maxFailures` transient failures in a row (waiting a
 * little longer after each) or at the first error that is not worth repeating. A `rate_limited` answer
 * waits as long as the provider asked and does not count as a failure; the caller's deadline bounds it.
 */
export async function retryWithin<T>(
  maxFailures: number,
  delayMs: number,
  signal: AbortSignal,
  attempt: () => Promise<T>,
): Promise<T> {
  let failures = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof GenerationError) || signal.aborted) throw error;
      if (error.code === 'rate_limited') {
        const wait = typeof error.extras.retryAfterMs === 'number' ? error.extras.retryAfterMs : delayMs;
        await sleep(Math.max(delayMs, wait), signal);
      } else if (error.code === 'transient' && ++failures < maxFailures) {
        await sleep(delayMs * failures, signal);
      } else {
        throw error;
      }
    }
  }
}

/**
 * Sends a request with a JSON body when there is one; a failure to reach the server is `transient` (the
 * caller's cancellation or deadline is passed on as it is, for withDeadline to name).
 */
export async function sendJson(
  method: string,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  body?: unknown,
): Promise<Response> {
  try {
    return await fetch(url, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new GenerationError(
      'transient',
      `${method} ${new URL(url).pathname} failed: ${describeFailure(error)}`,
    );
  }
}

/**
 * Saves a response that must be an MP4 to `outFile` (atomically: nothing is left there unless it is one),
 * reporting the share downloaded (0..1) when the size is known.
 */
export async function saveMp4(
  response: Response,
  outFile: string,
  signal: AbortSignal,
  what: string,
  onShare: (share: number) => void,
): Promise<void> {
  const partial = partialPath(outFile);
  try {
    await saveBody(response, partial, signal, (received, expected) => {
      if (expected) onShare(received / expected);
    });
    const container = await sniffContainer(partial);
    if (container !== 'mp4') {
      throw new GenerationError('transient', `${what} sent a file that is not an MP4 (${container})`);
    }
    await fs.rename(partial, outFile);
  } finally {
    await removeQuietly(partial);
  }
}
