import { randomUUID } from 'node:crypto';
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
 * A local stand-in for a ComfyUI server, following the documented HTTP contract (`POST /prompt`,
 * `GET /history/{id}`, `GET /queue`, `GET /view`, `POST /interrupt`, `POST /queue`; every route also under
 * `/api/`). It checks the workflow the way ComfyUI's validation would notice our mistakes: links to missing
 * nodes, numeric inputs sent as strings, placeholders left unfilled, no save node. The positive prompt
 * text (every `CLIPTextEncode` text) steers it with markers:
 * - `[invalid]` `POST /prompt` answers 400 with `node_errors` for the text node
 * - `[hang]` the run stays running until interrupted
 * - `[error]` the run fails in the KSampler with a CUDA out-of-memory error
 * - `[gif]` the save node writes an animated GIF (listed under `gifs`, as VHS_VideoCombine does)
 * - `[garbage]` `GET /history/{id}` answers cut-off JSON
 * - `[truncate]` `/view` announces every byte, sends half, and drops the connection
 */
export interface ComfyUiPeerOptions {
  video: Buffer;
  gif?: Buffer;
  /** History polls that find a prompt still pending, then still running, before it finishes. */
  pendingPolls?: number;
  runningPolls?: number;
  /** Execution time the history reports between `execution_start` and `execution_success`. */
  executionMs?: number;
}

export type PeerPromptState = 'pending' | 'running' | 'success' | 'error' | 'interrupted' | 'deleted';

export interface PeerPrompt {
  id: string;
  number: number;
  clientId: unknown;
  workflow: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  /** Every CLIPTextEncode text (positive and negative prompts), one per line. */
  text: string;
  state: PeerPromptState;
  polls: number;
  startedAt?: number;
  endedAt?: number;
  outputs: Record<string, Record<string, unknown>>;
}

export interface ComfyUiPeer extends PeerServer {
  url: string;
  prompts: Map<string, PeerPrompt>;
  /** Requests to one route (without the `/api` prefix), in order. */
  calls(method: string, path: string): RecordedRequest[];
}

const SAVE_NODES = new Set([
  'SaveVideo',
  'VHS_VideoCombine',
  'SaveAnimatedWEBP',
  'SaveWEBM',
  'SaveAnimatedPNG',
  'SaveImage',
]);
const NUMERIC_INPUTS = new Set([
  'width',
  'height',
  'length',
  'batch_size',
  'seed',
  'noise_seed',
  'steps',
  'cfg',
  'denoise',
  'fps',
  'shift',
  'frame_rate',
]);

export async function startComfyUiPeer(options: ComfyUiPeerOptions): Promise<ComfyUiPeer> {
  const pendingPolls = options.pendingPolls ?? 1;
  const runningPolls = options.runningPolls ?? 1;
  const executionMs = options.executionMs ?? 1500;
  const prompts = new Map<string, PeerPrompt>();
  const files = new Map<string, { bytes: Buffer; contentType: string; truncate: boolean }>();
  const counters = new Map<string, number>();
  let number = 0;

  const routeOf = (path: string) => (path.startsWith('/api/') ? path.slice(4) : path);

  const server = await startPeerServer((request, res) => {
    const route = routeOf(request.path);
    if (request.method === 'POST' && route === '/prompt') return submit(request, res);
    if (request.method === 'GET' && route.startsWith('/history/'))
      return history(decodeURIComponent(route.slice(9)), res);
    if (request.method === 'GET' && route === '/queue') return sendJson(res, 200, queue());
    if (request.method === 'POST' && route === '/queue') return editQueue(request, res);
    if (request.method === 'POST' && route === '/interrupt') return interrupt(request, res);
    if (request.method === 'GET' && route === '/view') return view(request, res);
    if (request.method === 'GET' && route === '/system_stats') {
      return sendJson(res, 200, { system: { comfyui_version: '0.3.60', os: 'posix' }, devices: [] });
    }
    res.writeHead(404).end('404: Not Found');
  });

  function submit(request: RecordedRequest, res: ServerResponse): void {
    const body = (request.body ?? {}) as { prompt?: unknown; client_id?: unknown };
    const workflow = body.prompt;
    if (typeof workflow !== 'object' || workflow === null || Array.isArray(workflow)) {
      return sendJson(res, 400, {
        error: {
          type: 'invalid_prompt',
          message: 'Cannot execute because the prompt is not a workflow.',
          details: '',
          extra_info: {},
        },
        node_errors: {},
      });
    }
    const nodes = workflow as PeerPrompt['workflow'];
    const nodeErrors: Record<string, unknown> = {};
    const fail = (nodeId: string, type: string, message: string, details: string, inputName?: string) => {
      nodeErrors[nodeId] = {
        errors: [{ type, message, details, extra_info: inputName ? { input_name: inputName } : {} }],
        dependent_outputs: [],
        class_type: nodes[nodeId]?.class_type,
      };
    };
    for (const [nodeId, node] of Object.entries(nodes)) {
      if (typeof node?.class_type !== 'string' || typeof node.inputs !== 'object' || node.inputs === null) {
        return sendJson(res, 400, {
          error: {
            type: 'invalid_prompt',
            message: `Cannot execute because node ${nodeId} has no class_type.`,
            details: '',
            extra_info: {},
          },
          node_errors: {},
        });
      }
      for (const [name, value] of Object.entries(node.inputs)) {
        if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string') {
          if (!(value[0] in nodes))
            fail(
              nodeId,
              'required_input_missing',
              'Required input is missing',
              `${name} links to missing node ${value[0]}`,
              name,
            );
        } else if (typeof value === 'string' && value.includes('{{')) {
          fail(nodeId, 'value_not_valid', 'Value not valid', `${name}: unfilled placeholder ${value}`, name);
        } else if (NUMERIC_INPUTS.has(name) && typeof value !== 'number') {
          fail(
            nodeId,
            'invalid_input_type',
            'Failed to convert an input value to a number',
            `${name}: ${JSON.stringify(value)}`,
            name,
          );
        }
      }
    }
    const text = Object.values(nodes)
      .filter((node) => node.class_type === 'CLIPTextEncode' && typeof node.inputs.text === 'string')
      .map((node) => node.inputs.text as string)
      .join('\n');
    if (text.includes('[invalid]')) {
      const textNode = Object.keys(nodes).find((id) => nodes[id].class_type === 'CLIPTextEncode') ?? '0';
      fail(
        textNode,
        'custom_validation_failed',
        'Failed to validate prompt for output',
        'clip: model file not found: umt5_xxl_fp8_e4m3fn_scaled.safetensors',
        'clip',
      );
    }
    if (Object.keys(nodeErrors).length) {
      return sendJson(res, 400, {
        error: {
          type: 'prompt_outputs_failed_validation',
          message: 'Prompt outputs failed validation',
          details: '',
          extra_info: {},
        },
        node_errors: nodeErrors,
      });
    }
    if (!Object.values(nodes).some((node) => SAVE_NODES.has(node.class_type))) {
      return sendJson(res, 400, {
        error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} },
        node_errors: [],
      });
    }
    const prompt: PeerPrompt = {
      id: randomUUID(),
      number: number++,
      clientId: body.client_id,
      workflow: nodes,
      text,
      state: 'pending',
      polls: 0,
      outputs: {},
    };
    prompts.set(prompt.id, prompt);
    sendJson(res, 200, { prompt_id: prompt.id, number: prompt.number, node_errors: {} });
  }

  function advance(prompt: PeerPrompt): void {
    if (prompt.state !== 'pending' && prompt.state !== 'running') return;
    prompt.polls++;
    if (prompt.polls > pendingPolls && prompt.state === 'pending') {
      prompt.state = 'running';
      prompt.startedAt = Date.now();
    }
    if (prompt.polls > pendingPolls + runningPolls && !prompt.text.includes('[hang]')) finish(prompt);
  }

  function finish(prompt: PeerPrompt): void {
    prompt.endedAt = (prompt.startedAt ?? Date.now()) + executionMs;
    if (prompt.text.includes('[error]')) {
      prompt.state = 'error';
      return;
    }
    prompt.state = 'success';
    const [saveId, saveNode] = Object.entries(prompt.workflow).find(([, node]) =>
      SAVE_NODES.has(node.class_type),
    )!;
    const prefix = String(saveNode.inputs.filename_prefix ?? 'ComfyUI');
    const slash = prefix.lastIndexOf('/');
    const subfolder = slash >= 0 ? prefix.slice(0, slash) : '';
    const base = slash >= 0 ? prefix.slice(slash + 1) : prefix;
    const counter = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, counter);
    const gif = prompt.text.includes('[gif]');
    const filename = `${base}_${String(counter).padStart(5, '0')}_.${gif ? 'gif' : 'mp4'}`;
    files.set(`output/${subfolder}/${filename}`, {
      bytes: gif ? (options.gif ?? Buffer.alloc(0)) : options.video,
      contentType: gif ? 'image/gif' : 'video/mp4',
      truncate: prompt.text.includes('[truncate]'),
    });
    const file = { filename, subfolder, type: 'output' };
    prompt.outputs[saveId] = gif
      ? { gifs: [{ ...file, format: 'image/gif', frame_rate: 8 }] }
      : saveNode.class_type === 'VHS_VideoCombine'
        ? { gifs: [{ ...file, format: 'video/h264-mp4', frame_rate: 16 }] }
        : { images: [file], animated: [true] };
  }

  function history(promptId: string, res: ServerResponse): void {
    const prompt = prompts.get(promptId);
    if (prompt?.text.includes('[garbage]')) return sendMalformedJson(res);
    if (!prompt) return sendJson(res, 200, {});
    advance(prompt);
    if (prompt.state === 'pending' || prompt.state === 'running' || prompt.state === 'deleted') {
      return sendJson(res, 200, {});
    }
    const messages: [string, Record<string, unknown>][] = [
      ['execution_start', { prompt_id: prompt.id, timestamp: prompt.startedAt }],
      ['execution_cached', { nodes: [], prompt_id: prompt.id, timestamp: prompt.startedAt }],
    ];
    if (prompt.state === 'success')
      messages.push(['execution_success', { prompt_id: prompt.id, timestamp: prompt.endedAt }]);
    if (prompt.state === 'error') {
      messages.push([
        'execution_error',
        {
          prompt_id: prompt.id,
          node_id: '3',
          node_type: 'KSampler',
          executed: ['37', '38', '39'],
          exception_message: 'CUDA out of memory. Tried to allocate 2.50 GiB.\n',
          exception_type: 'torch.OutOfMemoryError',
          traceback: [],
          current_inputs: {},
          current_outputs: {},
          timestamp: prompt.endedAt,
        },
      ]);
    }
    if (prompt.state === 'interrupted') {
      messages.push([
        'execution_interrupted',
        {
          prompt_id: prompt.id,
          node_id: '3',
          node_type: 'KSampler',
          executed: [],
          timestamp: prompt.endedAt,
        },
      ]);
    }
    sendJson(res, 200, {
      [prompt.id]: {
        prompt: [
          prompt.number,
          prompt.id,
          prompt.workflow,
          { client_id: prompt.clientId },
          Object.keys(prompt.outputs),
        ],
        outputs: prompt.outputs,
        status: {
          status_str: prompt.state === 'success' ? 'success' : 'error',
          completed: prompt.state === 'success',
          messages,
        },
        meta: {},
      },
    });
  }

  function queueEntry(prompt: PeerPrompt): unknown[] {
    return [prompt.number, prompt.id, prompt.workflow, { client_id: prompt.clientId }, []];
  }

  function queue(): unknown {
    const all = [...prompts.values()];
    return {
      queue_running: all.filter((p) => p.state === 'running').map(queueEntry),
      queue_pending: all.filter((p) => p.state === 'pending').map(queueEntry),
    };
  }

  function editQueue(request: RecordedRequest, res: ServerResponse): void {
    const body = (request.body ?? {}) as { delete?: unknown; clear?: unknown };
    for (const prompt of prompts.values()) {
      const listed = Array.isArray(body.delete) && body.delete.includes(prompt.id);
      if (prompt.state === 'pending' && (listed || body.clear === true)) prompt.state = 'deleted';
    }
    res.writeHead(200).end();
  }

  function interrupt(request: RecordedRequest, res: ServerResponse): void {
    const target = (request.body as { prompt_id?: unknown } | undefined)?.prompt_id;
    for (const prompt of prompts.values()) {
      if (prompt.state === 'running' && (target === undefined || target === prompt.id)) {
        prompt.state = 'interrupted';
        prompt.endedAt = Date.now();
      }
    }
    res.writeHead(200).end();
  }

  function view(request: RecordedRequest, res: ServerResponse): void {
    const key = `${request.query.get('type') ?? 'output'}/${request.query.get('subfolder') ?? ''}/${request.query.get('filename') ?? ''}`;
    const file = files.get(key);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    sendBytes(res, file.bytes, file.contentType, file.truncate);
  }

  return {
    ...server,
    url: server.origin,
    prompts,
    calls: (method, path) =>
      server.requests.filter(
        (r) =>
          r.method === method &&
          (routeOf(r.path) === path || (path.endsWith('/') && routeOf(r.path).startsWith(path))),
      ),
  };
}
