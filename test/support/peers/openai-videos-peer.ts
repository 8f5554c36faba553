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
 * A local stand-in for an OpenAI-compatible Videos API (`/v1/videos`), following the documented wire
 * contract. A prompt steers it with markers:
 * - `[refuse]` the job fails with `moderation_blocked`; `[fail]` it fails with `internal_error`
 * - `[reject]` `POST /videos` answers 400 `content_policy_violation`; `[500]` it answers 500
 * - `[429]` the first `POST` of this prompt answers 429 with `Retry-After: 1`; `[429-date]` the same with
 *   an HTTP date two seconds ahead
 * - `[hang]` the job stays `in_progress` forever
 * - `[garbage]` `POST /videos` answers 200 with cut-off JSON; `[garbage-poll]` every status poll does
 * - `[truncate]` the content announces every byte, sends half, and drops the connection
 * - `[notmp4]` the content is not an MP4
 */
export interface OpenAiVideosPeerOptions {
  /** The MP4 served as every video's content. */
  video: Buffer;
  apiKey?: string;
  /** `progress` of the polls that find a job in progress; the poll after the last finds it completed. */
  progressSteps?: number[];
}

export interface PeerVideo {
  id: string;
  model: string;
  prompt: string;
  seconds: string;
  size: string;
  status: 'queued' | 'in_progress' | 'completed' | 'failed';
  progress: number;
  polls: number;
  deleted: boolean;
  createdAt: number;
  error: { code: string; message: string } | null;
}

export interface OpenAiVideosPeer extends PeerServer {
  /** Base URL including the version, as OPENAI_BASE_URL takes it. */
  baseUrl: string;
  apiKey: string;
  videos: Map<string, PeerVideo>;
  /** Requests to `/v1/videos…`, in order. */
  calls(method?: string): RecordedRequest[];
}

export const OPENAI_PEER_SECONDS = ['4', '8', '12'];
export const OPENAI_PEER_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'];
export const MODERATION_MESSAGE = 'Your request was blocked by our moderation system.';

export async function startOpenAiVideosPeer(options: OpenAiVideosPeerOptions): Promise<OpenAiVideosPeer> {
  const apiKey = options.apiKey ?? 'sk-peer-test-key';
  const steps = options.progressSteps ?? [30, 70];
  const videos = new Map<string, PeerVideo>();
  const postsByPrompt = new Map<string, number>();

  const server = await startPeerServer((request, res) => {
    if (!request.path.startsWith('/v1/videos')) return notFound(res, 'Unknown path');
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      return sendJson(res, 401, {
        error: {
          message: 'Incorrect API key provided.',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      });
    }
    const [, , , id, sub] = request.path.split('/');
    if (request.method === 'POST' && !id) return create(request, res);
    const video = id ? videos.get(id) : undefined;
    if (!video || video.deleted) return notFound(res, `No video found with id '${id}'.`);
    if (request.method === 'GET' && !sub) return poll(video, res);
    if (request.method === 'GET' && sub === 'content') return content(video, request, res);
    if (request.method === 'DELETE' && !sub) {
      video.deleted = true;
      return sendJson(res, 200, { id: video.id, object: 'video.deleted', deleted: true });
    }
    return notFound(res, 'Unknown path');
  });

  function create(request: RecordedRequest, res: ServerResponse): void {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const invalid = (param: string, message: string) =>
      sendJson(res, 400, { error: { message, type: 'invalid_request_error', param, code: 'invalid_value' } });
    if (typeof body.prompt !== 'string' || body.prompt === '' || body.prompt.length > 32_000) {
      return invalid('prompt', 'prompt must be a string of 1 to 32000 characters');
    }
    if (typeof body.model !== 'string' || body.model === '') return invalid('model', 'model is required');
    if (typeof body.seconds !== 'string' || !OPENAI_PEER_SECONDS.includes(body.seconds)) {
      return invalid(
        'seconds',
        `seconds must be one of ${OPENAI_PEER_SECONDS.map((s) => `'${s}'`).join(', ')}`,
      );
    }
    if (typeof body.size !== 'string' || !OPENAI_PEER_SIZES.includes(body.size)) {
      return invalid('size', `size must be one of ${OPENAI_PEER_SIZES.join(', ')}`);
    }
    const prompt = body.prompt;
    const posts = (postsByPrompt.get(prompt) ?? 0) + 1;
    postsByPrompt.set(prompt, posts);
    if (posts === 1 && prompt.includes('[429-date]')) {
      const at = new Date(Date.now() + 2000).toUTCString();
      return sendJson(res, 429, rateLimitBody(), { 'retry-after': at });
    }
    if (posts === 1 && prompt.includes('[429]'))
      return sendJson(res, 429, rateLimitBody(), { 'retry-after': '1' });
    if (prompt.includes('[500]')) {
      return sendJson(res, 500, {
        error: { message: 'The server had an error.', type: 'server_error', code: null },
      });
    }
    if (prompt.includes('[reject]')) {
      return sendJson(res, 400, {
        error: {
          message: 'Your prompt was flagged as potentially violating our usage policy.',
          type: 'invalid_request_error',
          code: 'content_policy_violation',
        },
      });
    }
    if (prompt.includes('[garbage]')) return sendMalformedJson(res);
    const video: PeerVideo = {
      id: `video_${randomBytes(12).toString('hex')}`,
      model: body.model,
      prompt,
      seconds: body.seconds,
      size: body.size,
      status: 'queued',
      progress: 0,
      polls: 0,
      deleted: false,
      createdAt: Math.floor(Date.now() / 1000),
      error: null,
    };
    videos.set(video.id, video);
    sendJson(res, 200, videoObject(video));
  }

  function poll(video: PeerVideo, res: ServerResponse): void {
    video.polls++;
    if (video.prompt.includes('[garbage-poll]')) return sendMalformedJson(res);
    if (video.status === 'queued' || video.status === 'in_progress') {
      if (video.prompt.includes('[hang]')) {
        video.status = 'in_progress';
        video.progress = 42;
      } else if ((video.prompt.includes('[refuse]') || video.prompt.includes('[fail]')) && video.polls >= 2) {
        video.status = 'failed';
        video.error = video.prompt.includes('[refuse]')
          ? { code: 'moderation_blocked', message: MODERATION_MESSAGE }
          : { code: 'internal_error', message: 'Video generation failed due to an internal error.' };
      } else if (video.polls <= steps.length) {
        video.status = 'in_progress';
        video.progress = steps[video.polls - 1];
      } else {
        video.status = 'completed';
        video.progress = 100;
      }
    }
    sendJson(res, 200, videoObject(video));
  }

  function content(video: PeerVideo, request: RecordedRequest, res: ServerResponse): void {
    const variant = request.query.get('variant') ?? 'video';
    if (variant !== 'video')
      return notFound(res, `This peer serves only the video variant, not '${variant}'.`);
    if (video.status !== 'completed') return notFound(res, `Video '${video.id}' is not ready.`);
    if (video.prompt.includes('[notmp4]')) {
      return sendBytes(res, Buffer.from('<html><body>Gateway error</body></html>'), 'video/mp4');
    }
    sendBytes(res, options.video, 'video/mp4', video.prompt.includes('[truncate]'));
  }

  return {
    ...server,
    baseUrl: `${server.origin}/v1`,
    apiKey,
    videos,
    calls: (method) =>
      server.requests.filter(
        (r) => r.path.startsWith('/v1/videos') && (method === undefined || r.method === method),
      ),
  };
}

function videoObject(video: PeerVideo): Record<string, unknown> {
  return {
    id: video.id,
    object: 'video',
    model: video.model,
    status: video.status,
    progress: video.progress,
    created_at: video.createdAt,
    completed_at: video.status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    expires_at: video.status === 'completed' ? Math.floor(Date.now() / 1000) + 3600 : null,
    prompt: video.prompt,
    seconds: video.seconds,
    size: video.size,
    remixed_from_video_id: null,
    error: video.error,
  };
}

function rateLimitBody(): unknown {
  return {
    error: { message: 'Rate limit reached for requests.', type: 'requests', code: 'rate_limit_exceeded' },
  };
}

function notFound(res: ServerResponse, message: string): void {
  sendJson(res, 404, { error: { message, type: 'invalid_request_error', code: 'not_found' } });
}
