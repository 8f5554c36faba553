import { randomBytes } from 'node:crypto';
import { ServerResponse } from 'node:http';
import {
  PeerServer,
  RecordedRequest,
  sendBytes,
  sendJson,
  sendMalformedJson,
  startPeerServer,
} from './peer-server';

/**
 * A local stand-in for fal.ai's Queue API (`queue.fal.run`), following its documented contract:
 * `POST /{owner}/{app}[/{subpath}]` → `{ request_id, response_url, status_url, cancel_url }`;
 * `GET /{owner}/{app}/requests/{id}/status?logs=1` → `IN_QUEUE` (queue_position) → `IN_PROGRESS` (logs)
 * → `COMPLETED`; `GET /{owner}/{app}/requests/{id}` → the model's output (`{ video: { url, … }, seed }`);
 * `PUT …/cancel` → 202 `CANCELLATION_REQUESTED` (400 `ALREADY_COMPLETED` once done). Every route needs
 * `Authorization: Key <key>`; the video itself is served from `/files/…` without one, as fal's CDN does.
 * A prompt steers it with markers:
 * - `[queued]` waits in the queue for three polls (positions 2, 1, 0) before running
 * - `[refuse]` the result is 422 `content_policy_violation`; `[reject]` the submit is
 * - `[429]` the first submit of this prompt answers 429 with `Retry-After: 1`
 * - `[503]` every submit answers 503; `[hang]` the request stays `IN_PROGRESS` forever
 * - `[fail]` the request completes with an `error` (a runner failure)
 * - `[garbage]` the submit answers cut-off JSON; `[garbage-poll]` every status poll does
 * - `[truncate]` the video announces every byte, sends half and drops the connection
 */
export interface FalPeerOptions {
  video: Buffer;
  apiKey?: string;
  /** Answer every submit with this status (a provider that is down), whatever the prompt. */
  submitStatus?: number;
  /** Percentages the runner logs on successive IN_PROGRESS polls; the poll after the last completes. */
  progressSteps?: number[];
}

export interface PeerFalRequest {
  id: string;
  app: string;
  endpoint: string;
  input: Record<string, unknown>;
  prompt: string;
  polls: number;
  status: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';
  cancelled: boolean;
  seen: string[];
}

export interface FalPeer extends PeerServer {
  baseUrl: string;
  apiKey: string;
  requests: RecordedRequest[];
  jobs: Map<string, PeerFalRequest>;
  /** Submits that made a request (not refused or failed at the door). */
  submitted(): PeerFalRequest[];
  setSubmitStatus(status: number | undefined): void;
}

export async function startFalPeer(options: FalPeerOptions): Promise<FalPeer> {
  const apiKey = options.apiKey ?? 'fal-peer-key:secret';
  const steps = options.progressSteps ?? [30, 70];
  const jobs = new Map<string, PeerFalRequest>();
  const postsByPrompt = new Map<string, number>();
  let submitStatus = options.submitStatus;
  let origin = '';

  const server = await startPeerServer((request, res) => {
    if (request.method === 'GET' && request.path.startsWith('/files/')) return file(request, res);
    if (request.headers.authorization !== `Key ${apiKey}`) {
      return sendJson(res, 401, { detail: 'Unauthorized: bad or missing key' });
    }
    const parts = request.path.split('/').filter(Boolean);
    const at = parts.indexOf('requests');
    if (at === 2 && parts.length >= 4) {
      const job = jobs.get(parts[3]);
      if (!job || job.app !== parts.slice(0, 2).join('/'))
        return sendJson(res, 404, { detail: 'Request not found' });
      if (request.method === 'GET' && parts.length === 5 && parts[4] === 'status')
        return status(job, request, res);
      if (request.method === 'GET' && parts.length === 4) return result(job, res);
      if (request.method === 'PUT' && parts.length === 5 && parts[4] === 'cancel') return cancel(job, res);
      return sendJson(res, 405, { detail: 'Method not allowed' });
    }
    if (request.method === 'POST' && parts.length >= 2) return submit(parts, request, res);
    sendJson(res, 404, { detail: 'Not found' });
  });
  origin = server.origin;

  function urls(job: PeerFalRequest) {
    const base = `${origin}/${job.app}/requests/${job.id}`;
    return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  }

  function submit(parts: string[], request: RecordedRequest, res: ServerResponse): void {
    const input = (request.body ?? {}) as Record<string, unknown>;
    if (typeof input.prompt !== 'string' || input.prompt === '') {
      return sendJson(res, 422, {
        detail: [{ loc: ['body', 'prompt'], msg: 'Field required', type: 'missing' }],
      });
    }
    const prompt = input.prompt;
    const posts = (postsByPrompt.get(prompt) ?? 0) + 1;
    postsByPrompt.set(prompt, posts);
    if (submitStatus) return sendJson(res, submitStatus, { detail: 'Service temporarily unavailable' });
    if (prompt.includes('[503]')) return sendJson(res, 503, { detail: 'Service temporarily unavailable' });
    if (posts === 1 && prompt.includes('[429]')) {
      return sendJson(res, 429, { detail: 'Rate limit exceeded' }, { 'retry-after': '1' });
    }
    if (prompt.includes('[reject]'))
      return sendJson(res, 422, refusal(prompt), { 'x-fal-retryable': 'false' });
    if (prompt.includes('[garbage]')) return sendMalformedJson(res);
    const job: PeerFalRequest = {
      id: randomBytes(16)
        .toString('hex')
        .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
      app: parts.slice(0, 2).join('/'),
      endpoint: parts.join('/'),
      input,
      prompt,
      polls: 0,
      status: 'IN_QUEUE',
      cancelled: false,
      seen: [],
    };
    jobs.set(job.id, job);
    sendJson(res, 200, {
      request_id: job.id,
      ...urls(job),
      queue_position: prompt.includes('[queued]') ? 3 : 0,
    });
  }

  function status(job: PeerFalRequest, request: RecordedRequest, res: ServerResponse): void {
    if (job.prompt.includes('[garbage-poll]')) return sendMalformedJson(res);
    job.polls++;
    const queuedPolls = job.prompt.includes('[queued]') ? 3 : 0;
    const withLogs = request.query.get('logs') === '1';
    let body: Record<string, unknown>;
    if (job.cancelled) {
      return sendJson(res, 200, {
        status: 'COMPLETED',
        error: 'Request was cancelled',
        error_type: 'cancelled',
        ...urls(job),
      });
    } else if (job.polls <= queuedPolls) {
      job.status = 'IN_QUEUE';
      body = { status: 'IN_QUEUE', queue_position: queuedPolls - job.polls, ...urls(job) };
    } else if (job.prompt.includes('[hang]') || job.polls - queuedPolls <= steps.length) {
      job.status = 'IN_PROGRESS';
      const percent = job.prompt.includes('[hang]') ? 42 : steps[job.polls - queuedPolls - 1];
      const logs = [
        {
          message: 'Loading model weights',
          level: 'INFO',
          source: 'user',
          timestamp: new Date().toISOString(),
        },
        {
          message: `${percent}%|████      | sampling`,
          level: 'INFO',
          source: 'user',
          timestamp: new Date().toISOString(),
        },
      ];
      body = { status: 'IN_PROGRESS', ...urls(job), ...(withLogs ? { logs } : {}) };
    } else {
      job.status = 'COMPLETED';
      body = {
        status: 'COMPLETED',
        ...urls(job),
        metrics: { inference_time: 12.5 },
        ...(withLogs ? { logs: [] } : {}),
      };
      if (job.prompt.includes('[fail]')) {
        Object.assign(body, { error: 'Runner disconnected', error_type: 'runner_disconnected' });
      }
    }
    job.seen.push(job.status);
    sendJson(res, 200, body);
  }

  function result(job: PeerFalRequest, res: ServerResponse): void {
    if (job.status !== 'COMPLETED') return sendJson(res, 400, { detail: 'Request is still in progress' });
    if (job.prompt.includes('[refuse]'))
      return sendJson(res, 422, refusal(job.prompt), { 'x-fal-retryable': 'false' });
    const url = `${origin}/files/${job.id}${job.prompt.includes('[truncate]') ? '-truncate' : ''}.mp4`;
    sendJson(res, 200, {
      video: { url, content_type: 'video/mp4', file_name: 'output.mp4', file_size: options.video.length },
      seed: job.input.seed ?? 42,
      prompt: job.prompt,
    });
  }

  function cancel(job: PeerFalRequest, res: ServerResponse): void {
    if (job.status === 'COMPLETED') return sendJson(res, 400, { status: 'ALREADY_COMPLETED' });
    job.cancelled = true;
    sendJson(res, 202, { status: 'CANCELLATION_REQUESTED' });
  }

  function file(request: RecordedRequest, res: ServerResponse): void {
    sendBytes(res, options.video, 'video/mp4', request.path.endsWith('-truncate.mp4'));
  }

  return {
    ...server,
    baseUrl: server.origin,
    apiKey,
    jobs,
    submitted: () => [...jobs.values()],
    setSubmitStatus: (status) => {
      submitStatus = status;
    },
  };
}

export const FAL_REFUSAL_MESSAGE = 'The content was flagged by a content checker.';

function refusal(prompt: string): unknown {
  return {
    detail: [
      {
        loc: ['body', 'prompt'],
        msg: FAL_REFUSAL_MESSAGE,
        type: 'content_policy_violation',
        url: 'https://docs.fal.ai/errors#content_policy_violation',
        input: prompt,
        categories: ['violence'],
      },
    ],
  };
}
