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
 * A local stand-in for the Gemini API's Veo video generation, following its documented contract:
 * `POST /v1beta/models/{model}:predictLongRunning` `{ instances: [{ prompt }], parameters }` → an
 * Operation `{ name: "models/{model}/operations/{id}" }`; `GET /v1beta/{name}` → `{ name, done: false }`
 * until `{ done: true, response: { generateVideoResponse: { generatedSamples: [{ video: { uri } }] } } }`
 * (or `error`); `GET /v1beta/files/{id}:download?alt=media` → the MP4. Every route needs `x-goog-api-key`.
 * A prompt steers it with markers:
 * - `[refuse]` the operation finishes with `raiMediaFilteredCount` and a reason, and no video
 * - `[safety-error]` the operation finishes with an `error` whose message names the safety rules
 * - `[429]` the first create of this prompt answers 429 RESOURCE_EXHAUSTED with `Retry-After: 1`
 * - `[500]` every create answers 500; `[fail]` the operation finishes with error 13 INTERNAL
 * - `[hang]` the operation never finishes
 * - `[garbage]` the create answers cut-off JSON; `[garbage-poll]` every poll does
 * - `[truncate]` the video announces every byte, sends half and drops the connection
 */
export interface GeminiPeerOptions {
  video: Buffer;
  apiKey?: string;
  /** Polls that find an operation still running before it is done. */
  runningPolls?: number;
}

export interface PeerOperation {
  id: string;
  name: string;
  model: string;
  prompt: string;
  parameters: Record<string, unknown>;
  polls: number;
  done: boolean;
}

export interface GeminiPeer extends PeerServer {
  baseUrl: string;
  apiKey: string;
  operations: Map<string, PeerOperation>;
}

export const VEO_REFUSAL_REASON =
  "Veo could not generate videos because the input prompt violates Google's Responsible AI practices.";

export async function startGeminiPeer(options: GeminiPeerOptions): Promise<GeminiPeer> {
  const apiKey = options.apiKey ?? 'AIza-peer-test-key';
  const runningPolls = options.runningPolls ?? 2;
  const operations = new Map<string, PeerOperation>();
  const createsByPrompt = new Map<string, number>();
  let origin = '';

  const server = await startPeerServer((request, res) => {
    if (!request.path.startsWith('/v1beta/')) return googleError(res, 404, 'NOT_FOUND', 'Unknown path');
    if (request.headers['x-goog-api-key'] !== apiKey) {
      return googleError(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.');
    }
    const rest = request.path.slice('/v1beta/'.length);
    const create = /^models\/([^/:]+):predictLongRunning$/.exec(rest);
    if (request.method === 'POST' && create) return start(decodeURIComponent(create[1]), request, res);
    const poll = /^models\/([^/]+)\/operations\/([^/]+)$/.exec(rest);
    if (request.method === 'GET' && poll) {
      const operation = operations.get(poll[2]);
      if (!operation) return googleError(res, 404, 'NOT_FOUND', `Operation ${rest} not found.`);
      return progress(operation, res);
    }
    const download = /^files\/([^/:]+):download$/.exec(rest);
    if (request.method === 'GET' && download && request.query.get('alt') === 'media') {
      const operation = operations.get(download[1]);
      if (!operation?.done) return googleError(res, 404, 'NOT_FOUND', 'File not found.');
      return sendBytes(res, options.video, 'video/mp4', operation.prompt.includes('[truncate]'));
    }
    googleError(res, 404, 'NOT_FOUND', 'Unknown path');
  });
  origin = server.origin;

  function start(model: string, request: RecordedRequest, res: ServerResponse): void {
    const body = (request.body ?? {}) as {
      instances?: { prompt?: unknown }[];
      parameters?: Record<string, unknown>;
    };
    const prompt = body.instances?.[0]?.prompt;
    if (typeof prompt !== 'string' || prompt === '') {
      return googleError(res, 400, 'INVALID_ARGUMENT', '* instances[0].prompt: required');
    }
    const parameters = body.parameters ?? {};
    if (![4, 6, 8].includes(parameters.durationSeconds as number)) {
      return googleError(res, 400, 'INVALID_ARGUMENT', 'durationSeconds must be 4, 6 or 8.');
    }
    if (!['16:9', '9:16'].includes(parameters.aspectRatio as string)) {
      return googleError(res, 400, 'INVALID_ARGUMENT', 'aspectRatio must be 16:9 or 9:16.');
    }
    const creates = (createsByPrompt.get(prompt) ?? 0) + 1;
    createsByPrompt.set(prompt, creates);
    if (creates === 1 && prompt.includes('[429]')) {
      res.setHeader('retry-after', '1');
      return googleError(res, 429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).');
    }
    if (prompt.includes('[500]')) return googleError(res, 500, 'INTERNAL', 'An internal error has occurred.');
    if (prompt.includes('[garbage]')) return sendMalformedJson(res);
    const id = randomBytes(8).toString('hex');
    const operation: PeerOperation = {
      id,
      name: `models/${model}/operations/${id}`,
      model,
      prompt,
      parameters,
      polls: 0,
      done: false,
    };
    operations.set(id, operation);
    sendJson(res, 200, { name: operation.name });
  }

  function progress(operation: PeerOperation, res: ServerResponse): void {
    if (operation.prompt.includes('[garbage-poll]')) return sendMalformedJson(res);
    operation.polls++;
    if (operation.prompt.includes('[hang]') || operation.polls <= runningPolls) {
      return sendJson(res, 200, {
        name: operation.name,
        metadata: {
          '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningMetadata',
        },
      });
    }
    operation.done = true;
    const base = { name: operation.name, done: true };
    if (operation.prompt.includes('[refuse]')) {
      return sendJson(res, 200, {
        ...base,
        response: {
          '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
          generateVideoResponse: { raiMediaFilteredCount: 1, raiMediaFilteredReasons: [VEO_REFUSAL_REASON] },
        },
      });
    }
    if (operation.prompt.includes('[safety-error]')) {
      return sendJson(res, 200, {
        ...base,
        error: {
          code: 3,
          message: `The prompt could not be submitted. ${VEO_REFUSAL_REASON} Try rephrasing; see the usage guidelines.`,
        },
      });
    }
    if (operation.prompt.includes('[fail]')) {
      return sendJson(res, 200, { ...base, error: { code: 13, message: 'Internal error encountered.' } });
    }
    sendJson(res, 200, {
      ...base,
      response: {
        '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
        generateVideoResponse: {
          generatedSamples: [{ video: { uri: `${origin}/v1beta/files/${operation.id}:download?alt=media` } }],
        },
      },
    });
  }

  return { ...server, baseUrl: `${server.origin}/v1beta`, apiKey, operations };
}

function googleError(res: ServerResponse, code: number, status: string, message: string): void {
  sendJson(res, code, { error: { code, message, status } });
}
