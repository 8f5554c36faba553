/** Pure handling of ComfyUI API-format workflows and of what ComfyUI says about a run. */

export type WorkflowValue = string | number | boolean;
export type WorkflowValues = Readonly<Record<string, WorkflowValue>>;

export interface WorkflowNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}
/** API format: node id → node. Links between nodes are `[sourceNodeId, outputIndex]` pairs. */
export type ComfyWorkflow = Record<string, WorkflowNode>;

/** Frame rate the template's `{{frames}}` and `{{fps}}` assume (Wan 2.1's native rate). */
export const COMFYUI_FPS = 16;

const WHOLE_PLACEHOLDER = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;
const ANY_PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Checks the shape of an API-format workflow; the message says what is wrong, for an operator to fix. */
export function parseWorkflow(json: unknown): ComfyWorkflow {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError('a workflow must be a JSON object of node id → node');
  }
  if ('nodes' in json && 'links' in json) {
    throw new TypeError('this is the UI format; export the workflow with "Save (API Format)"');
  }
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length === 0) throw new TypeError('the workflow has no nodes');
  for (const [id, node] of entries) {
    const candidate = node as Partial<WorkflowNode> | null;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate.class_type !== 'string' ||
      typeof candidate.inputs !== 'object' ||
      candidate.inputs === null
    ) {
      throw new TypeError(`node "${id}" needs a class_type and an inputs object`);
    }
  }
  return json as ComfyWorkflow;
}

/** Every `{{name}}` used in the template, sorted. */
export function placeholdersOf(template: unknown): string[] {
  const names = new Set<string>();
  walkStrings(template, (text) => {
    for (const match of text.matchAll(ANY_PLACEHOLDER)) names.add(match[1]);
  });
  return [...names].sort();
}

/**
 * Fills the placeholders of a template. A string that is exactly one placeholder takes the value with its
 * type (`"{{width}}"` → 832, a number); a placeholder inside longer text is interpolated as text. An
 * unknown placeholder throws, naming it: a half-filled workflow must not reach the GPU.
 */
export function fillWorkflow<T>(template: T, values: WorkflowValues): T {
  const unknown = placeholdersOf(template).filter((name) => !(name in values));
  if (unknown.length) {
    throw new RangeError(
      `unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `{{${n}}}`).join(', ')}`,
    );
  }
  return fill(template, values) as T;
}

function fill(value: unknown, values: WorkflowValues): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(value);
    if (whole) return values[whole[1]];
    return value.replace(ANY_PLACEHOLDER, (_, name: string) => String(values[name]));
  }
  if (Array.isArray(value)) return value.map((item) => fill(item, values));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, values)]));
  }
  return value;
}

function walkStrings(value: unknown, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((item) => walkStrings(item, visit));
  else if (typeof value === 'object' && value !== null)
    Object.values(value).forEach((item) => walkStrings(item, visit));
}

export interface WorkflowRequest {
  prompt: string;
  promptHash: string;
  width: number;
  height: number;
  durationMs: number;
  seed: number;
}

/** The values a template may use; README.md next to the template documents each one. */
export function workflowValues(request: WorkflowRequest, fps: number = COMFYUI_FPS): WorkflowValues {
  return {
    prompt: request.prompt,
    prompt_hash: request.promptHash,
    width: multipleOf16(request.width),
    height: multipleOf16(request.height),
    fps,
    frames: videoFrames(request.durationMs, fps),
    duration_seconds: request.durationMs / 1000,
    seed: Math.abs(Math.trunc(request.seed)),
  };
}

/** Video diffusion models (Wan, Hunyuan, LTX) take 4k+1 frames; the smallest such count covering the duration. */
export function videoFrames(durationMs: number, fps: number): number {
  return 4 * Math.max(1, Math.ceil(((durationMs / 1000) * fps - 1) / 4)) + 1;
}

function multipleOf16(value: number): number {
  return Math.max(16, Math.round(value / 16) * 16);
}

export interface ComfyOutputFile {
  nodeId: string;
  filename: string;
  subfolder: string;
  type: string;
}

const OUTPUT_KEYS = ['videos', 'gifs', 'images'];
const VIDEO_EXTENSIONS = ['.mp4', '.m4v', '.mov', '.webm', '.mkv', '.gif', '.webp'];

/**
 * The video file a run saved: the first saved (not temp) file under `videos`, `gifs` or `images` of any
 * node, preferring MP4 over other containers and over animated images; undefined if it saved no video.
 */
export function findOutputFile(outputs: unknown): ComfyOutputFile | undefined {
  if (typeof outputs !== 'object' || outputs === null) return undefined;
  const files: ComfyOutputFile[] = [];
  for (const [nodeId, output] of Object.entries(outputs as Record<string, unknown>)) {
    if (typeof output !== 'object' || output === null) continue;
    for (const key of OUTPUT_KEYS) {
      const list = (output as Record<string, unknown>)[key];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const { filename, subfolder, type } = (item ?? {}) as Record<string, unknown>;
        if (typeof filename !== 'string' || type === 'temp') continue;
        files.push({
          nodeId,
          filename,
          subfolder: typeof subfolder === 'string' ? subfolder : '',
          type: typeof type === 'string' ? type : 'output',
        });
      }
    }
  }
  const rank = (file: ComfyOutputFile) => {
    const index = VIDEO_EXTENSIONS.findIndex((extension) => file.filename.toLowerCase().endsWith(extension));
    return index < 0 ? Infinity : index;
  };
  const best = files
    .map((file, position) => ({ file, position, rank: rank(file) }))
    .filter((candidate) => candidate.rank !== Infinity)
    .sort((a, b) => a.rank - b.rank || a.position - b.position)[0];
  return best?.file;
}

export interface ComfyHistoryEntry {
  outputs: Record<string, unknown>;
  statusStr?: string;
  completed: boolean;
  messages: [string, Record<string, unknown>][];
}

/**
 * The entry for one prompt in `GET /history/{id}`'s answer (`{}` until the prompt has finished), or
 * undefined while it is absent. Throws a TypeError when the body is not the documented shape.
 */
export function parseHistoryEntry(body: unknown, promptId: string): ComfyHistoryEntry | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TypeError('history is not a JSON object');
  }
  const raw = (body as Record<string, unknown>)[promptId];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null)
    throw new TypeError(`history entry for ${promptId} is not an object`);
  const { outputs, status } = raw as { outputs?: unknown; status?: unknown };
  const statusObject = (typeof status === 'object' && status !== null ? status : {}) as Record<
    string,
    unknown
  >;
  const messages = Array.isArray(statusObject.messages)
    ? statusObject.messages.filter(
        (message): message is [string, Record<string, unknown>] =>
          Array.isArray(message) && typeof message[0] === 'string' && typeof message[1] === 'object',
      )
    : [];
  return {
    outputs: typeof outputs === 'object' && outputs !== null ? (outputs as Record<string, unknown>) : {},
    statusStr: typeof statusObject.status_str === 'string' ? statusObject.status_str : undefined,
    // Servers older than the status block only list finished prompts, so a missing flag means finished.
    completed: typeof statusObject.completed === 'boolean' ? statusObject.completed : true,
    messages,
  };
}

export interface ExecutionOutcome {
  state: 'success' | 'error' | 'interrupted';
  /** Seconds from `execution_start` to the message that ended the run, when both carry timestamps. */
  executionSeconds?: number;
  /** For `error`: what the failing node said. */
  error?: { nodeId?: string; nodeType?: string; exceptionType?: string; message: string };
}

export function executionOutcome(entry: ComfyHistoryEntry): ExecutionOutcome {
  const find = (type: string) => entry.messages.find(([name]) => name === type)?.[1];
  const timestamp = (data: Record<string, unknown> | undefined) =>
    typeof data?.timestamp === 'number' ? data.timestamp : undefined;
  const started = timestamp(find('execution_start'));
  const failure = find('execution_error');
  const interruption = find('execution_interrupted');
  const ending = failure ?? interruption ?? find('execution_success');
  const ended = timestamp(ending);
  const executionSeconds =
    started !== undefined && ended !== undefined && ended >= started ? (ended - started) / 1000 : undefined;

  if (failure) {
    const text = (key: string) => (typeof failure[key] === 'string' ? (failure[key] as string) : undefined);
    return {
      state: 'error',
      executionSeconds,
      error: {
        nodeId: text('node_id'),
        nodeType: text('node_type'),
        exceptionType: text('exception_type'),
        message: text('exception_message')?.trim() || 'the workflow failed',
      },
    };
  }
  if (interruption) return { state: 'interrupted', executionSeconds };
  if (entry.statusStr === 'error') {
    return {
      state: 'error',
      executionSeconds,
      error: { message: 'ComfyUI reported an error without details' },
    };
  }
  return { state: 'success', executionSeconds };
}

/** Where a prompt is in `GET /queue`'s answer (`queue_running`/`queue_pending` entries are `[number, prompt_id, …]`). */
export function queuePosition(body: unknown, promptId: string): 'running' | 'pending' | 'absent' {
  if (typeof body !== 'object' || body === null) throw new TypeError('queue is not a JSON object');
  const { queue_running: running, queue_pending: pending } = body as Record<string, unknown>;
  const holds = (list: unknown) =>
    Array.isArray(list) && list.some((item) => Array.isArray(item) && item[1] === promptId);
  if (holds(running)) return 'running';
  if (holds(pending)) return 'pending';
  return 'absent';
}

/** The `{ error, node_errors }` answer of `POST /prompt` as one readable line. */
export function describeValidationError(body: unknown): string {
  if (typeof body !== 'object' || body === null) return 'the workflow did not validate';
  const { error, node_errors: nodeErrors } = body as { error?: unknown; node_errors?: unknown };
  const parts: string[] = [];
  if (typeof error === 'string') parts.push(error);
  else if (typeof error === 'object' && error !== null) {
    const { message, details } = error as { message?: unknown; details?: unknown };
    if (typeof message === 'string') parts.push(message);
    if (typeof details === 'string' && details) parts.push(details);
  }
  if (typeof nodeErrors === 'object' && nodeErrors !== null) {
    for (const [nodeId, nodeError] of Object.entries(nodeErrors as Record<string, unknown>)) {
      const { class_type: classType, errors } = (nodeError ?? {}) as {
        class_type?: unknown;
        errors?: unknown;
      };
      const messages = Array.isArray(errors)
        ? errors.map((e: { message?: unknown; details?: unknown }) =>
            [e?.message, e?.details].filter((text) => typeof text === 'string' && text).join(': '),
          )
        : [];
      parts.push(
        `node ${nodeId}${typeof classType === 'string' ? ` (${classType})` : ''}: ${messages.join('; ')}`,
      );
    }
  }
  return parts.join('; ') || 'the workflow did not validate';
}
