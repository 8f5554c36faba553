import { Injectable } from '@nestjs/common';
import { Ffmpeg, MediaError } from '@adloom/media';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  ComfyHistoryEntry,
  ComfyOutputFile,
  ComfyWorkflow,
  describeValidationError,
  executionOutcome,
  fillWorkflow,
  findOutputFile,
  parseHistoryEntry,
  parseWorkflow,
  placeholdersOf,
  queuePosition,
  workflowValues,
} from './comfyui.workflow';
import { toMp4Args } from './mp4-conversion';
import {
  monotonicProgress,
  partialPath,
  readJson,
  readJsonQuietly,
  removeQuietly,
  retryWithin,
  saveBody,
  sendJson,
  sleep,
  sniffContainer,
  withDeadline,
} from './transfer';
import { GenerateRequest, GenerateResult, GenerationError, VideoGenerator } from './video-generator';

export interface ComfyUiOptions {
  /** The server, e.g. `http://gpu-1:8188`; unset means the generator is not configured. */
  baseUrl?: string;
  /** API-format workflow template; a relative path is read from the working directory. */
  workflowFile: string;
  pricePerGpuSecond: number;
  pollIntervalMs: number;
  /** Deadline for one generation: queueing, execution and download. */
  timeoutMs: number;
  now?: () => number;
}

/** Failed polls or downloads in a row before giving up. */
const MAX_FAILURES = 3;
/** Polls in a row that find the prompt neither in the queue nor in the history (the server restarted). */
const MAX_ABSENT_POLLS = 3;
const CLEANUP_TIMEOUT_MS = 5_000;
/**
 * Without the websocket ComfyUI tells nothing about steps, so progress moves in stages:
 * queued, running, finished, downloaded.
 */
const PROGRESS = { submitted: 0.02, pending: 0.05, running: 0.1, finished: 0.9, downloaded: 0.98 };

/**
 * A self-hosted ComfyUI: fills the workflow template, `POST /prompt`, polls `GET /history/{id}` (and
 * `GET /queue` meanwhile), downloads the saved video from `/view` (converting GIF/WebP/WebM to MP4).
 * gpuSeconds is the run's execution time, from ComfyUI's `execution_start` message to the message that
 * ended it (queue time excluded; if the server reports no timestamps, from when the run was first seen
 * running, or else submitted, to when it was seen finished); cost is gpuSeconds × the price per GPU second.
 * The request's `model` is not used: the workflow file decides the model, and names the result.
 */
@Injectable()
export class ComfyUiGenerator implements VideoGenerator {
  readonly name = 'comfyui' as const;
  readonly defaultModel: string;
  private readonly clientId = randomUUID();
  private readonly now: () => number;
  private template?: Promise<ComfyWorkflow>;

  constructor(
    private readonly ffmpeg: Ffmpeg,
    private readonly options: ComfyUiOptions,
  ) {
    this.defaultModel = path.basename(options.workflowFile).replace(/\.json$/i, '');
    this.now = options.now ?? Date.now;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const baseUrl = this.options.baseUrl?.replace(/\/+$/, '');
    if (!baseUrl) throw new GenerationError('misconfigured', 'COMFYUI_URL is not set');
    const template = await this.loadTemplate();
    let workflow: ComfyWorkflow;
    try {
      workflow = fillWorkflow(template, workflowValues(request));
    } catch (error) {
      throw new GenerationError(
        'misconfigured',
        `workflow ${this.options.workflowFile}: ${(error as Error).message}`,
      );
    }
    const progress = monotonicProgress(request.onProgress);
    let unfinishedPromptId: string | undefined;
    try {
      return await withDeadline(
        request.signal,
        this.options.timeoutMs,
        'ComfyUI generation',
        async (signal) => {
          const submittedAt = this.now();
          const promptId = await this.submit(baseUrl, workflow, signal);
          unfinishedPromptId = promptId;
          progress(PROGRESS.submitted);
          const { entry, runningSince } = await this.waitForHistory(baseUrl, promptId, signal, progress);
          const finishedAt = this.now();
          unfinishedPromptId = undefined;

          const outcome = executionOutcome(entry);
          if (outcome.state === 'error') {
            const { nodeId, nodeType, message } = outcome.error ?? { message: 'unknown error' };
            const where = nodeId ? ` in node ${nodeId}${nodeType ? ` (${nodeType})` : ''}` : '';
            throw new GenerationError('transient', `the workflow failed${where}: ${message}`, {
              providerJobId: promptId,
              reason: message,
            });
          }
          if (outcome.state === 'interrupted') {
            throw new GenerationError('transient', 'the run was interrupted on the ComfyUI server', {
              providerJobId: promptId,
            });
          }
          const file = findOutputFile(entry.outputs);
          if (!file) {
            throw new GenerationError(
              'misconfigured',
              `workflow ${this.options.workflowFile} saved no video (it needs a save node such as SaveVideo or VHS_VideoCombine)`,
              { providerJobId: promptId },
            );
          }
          progress(PROGRESS.finished);
          await retryWithin(MAX_FAILURES, this.options.pollIntervalMs, signal, () =>
            this.download(baseUrl, file, request.outFile, signal, progress),
          );
          progress(1);
          const gpuSeconds = outcome.executionSeconds ?? (finishedAt - (runningSince ?? submittedAt)) / 1000;
          return {
            gpuSeconds,
            cost: Math.round(gpuSeconds * this.options.pricePerGpuSecond * 1e6) / 1e6,
            providerJobId: promptId,
            model: this.defaultModel,
          };
        },
      );
    } catch (error) {
      // The GPU would go on working for nobody; a retry submits the prompt again.
      if (unfinishedPromptId) await this.cancelQuietly(baseUrl, unfinishedPromptId);
      throw error;
    }
  }

  private loadTemplate(): Promise<ComfyWorkflow> {
    this.template ??= this.readTemplate().catch((error: unknown) => {
      this.template = undefined;
      throw error;
    });
    return this.template;
  }

  private async readTemplate(): Promise<ComfyWorkflow> {
    const file = path.resolve(this.options.workflowFile);
    let json: unknown;
    try {
      json = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (error) {
      throw new GenerationError(
        'misconfigured',
        `COMFYUI_WORKFLOW ${file} cannot be read: ${(error as Error).message}`,
      );
    }
    try {
      const workflow = parseWorkflow(json);
      if (!placeholdersOf(workflow).includes('prompt'))
        throw new TypeError('it has no {{prompt}} placeholder');
      return workflow;
    } catch (error) {
      throw new GenerationError('misconfigured', `COMFYUI_WORKFLOW ${file}: ${(error as Error).message}`);
    }
  }

  private async submit(baseUrl: string, workflow: ComfyWorkflow, signal: AbortSignal): Promise<string> {
    const response = await this.call(baseUrl, 'POST', '/prompt', signal, {
      prompt: workflow,
      client_id: this.clientId,
    });
    if (response.status === 400) {
      const body = await readJsonQuietly(response);
      throw new GenerationError(
        'misconfigured',
        `ComfyUI rejected the workflow: ${describeValidationError(body)}`,
        {
          nodeErrors: (body as { node_errors?: unknown } | undefined)?.node_errors,
        },
      );
    }
    if (!response.ok) throw await this.errorFor(response, 'POST /prompt');
    const body = await readJson(response, 'POST /prompt');
    const promptId = (body as { prompt_id?: unknown } | null)?.prompt_id;
    if (typeof promptId !== 'string' || promptId === '') {
      throw new GenerationError('transient', 'POST /prompt answered without a prompt_id');
    }
    return promptId;
  }

  private async waitForHistory(
    baseUrl: string,
    promptId: string,
    signal: AbortSignal,
    progress: (fraction: number) => void,
  ): Promise<{ entry: ComfyHistoryEntry; runningSince?: number }> {
    let runningSince: number | undefined;
    let absentPolls = 0;
    for (;;) {
      const entry = await retryWithin(MAX_FAILURES, this.options.pollIntervalMs, signal, () =>
        this.history(baseUrl, promptId, signal),
      );
      if (entry) return { entry, runningSince };
      const position = await retryWithin(MAX_FAILURES, this.options.pollIntervalMs, signal, () =>
        this.queuePosition(baseUrl, promptId, signal),
      );
      if (position === 'running') {
        runningSince ??= this.now();
        progress(PROGRESS.running);
      } else if (position === 'pending') {
        progress(PROGRESS.pending);
      }
      // A prompt that has just finished is in neither list for a moment; only a lasting absence counts.
      absentPolls = position === 'absent' ? absentPolls + 1 : 0;
      if (absentPolls >= MAX_ABSENT_POLLS) {
        throw new GenerationError(
          'transient',
          `ComfyUI lost prompt ${promptId} (was the server restarted?)`,
          {
            providerJobId: promptId,
          },
        );
      }
      await sleep(this.options.pollIntervalMs, signal);
    }
  }

  private async history(
    baseUrl: string,
    promptId: string,
    signal: AbortSignal,
  ): Promise<ComfyHistoryEntry | undefined> {
    const what = `GET /history/${promptId}`;
    const response = await this.call(baseUrl, 'GET', `/history/${encodeURIComponent(promptId)}`, signal);
    if (!response.ok) throw await this.errorFor(response, what);
    const body = await readJson(response, what);
    try {
      return parseHistoryEntry(body, promptId);
    } catch (error) {
      throw new GenerationError('transient', `${what}: ${(error as Error).message}`);
    }
  }

  private async queuePosition(
    baseUrl: string,
    promptId: string,
    signal: AbortSignal,
  ): Promise<'running' | 'pending' | 'absent'> {
    const response = await this.call(baseUrl, 'GET', '/queue', signal);
    if (!response.ok) throw await this.errorFor(response, 'GET /queue');
    const body = await readJson(response, 'GET /queue');
    try {
      return queuePosition(body, promptId);
    } catch (error) {
      throw new GenerationError('transient', `GET /queue: ${(error as Error).message}`);
    }
  }

  private async download(
    baseUrl: string,
    file: ComfyOutputFile,
    outFile: string,
    signal: AbortSignal,
    progress: (fraction: number) => void,
  ): Promise<void> {
    const query = new URLSearchParams({
      filename: file.filename,
      subfolder: file.subfolder,
      type: file.type,
    });
    const what = `GET /view ${file.subfolder ? `${file.subfolder}/` : ''}${file.filename}`;
    const response = await this.call(baseUrl, 'GET', `/view?${query}`, signal);
    if (!response.ok) throw await this.errorFor(response, what);
    const saved = partialPath(outFile, path.extname(file.filename) || '.bin');
    const converted = partialPath(outFile, '.mp4');
    const span = PROGRESS.downloaded - PROGRESS.finished;
    try {
      await saveBody(response, saved, signal, (received, expected) => {
        if (expected) progress(PROGRESS.finished + (span * received) / expected);
      });
      const container = await sniffContainer(saved);
      if (container === 'mp4') {
        await fs.rename(saved, outFile);
      } else if (container === 'unknown') {
        throw new GenerationError('transient', `${what} sent a file that is not a video`);
      } else {
        await this.convertToMp4(saved, converted, container, signal);
        await fs.rename(converted, outFile);
      }
    } finally {
      await Promise.all([removeQuietly(saved), removeQuietly(converted)]);
    }
  }

  private async convertToMp4(
    input: string,
    output: string,
    container: string,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      await this.ffmpeg.run(toMp4Args(input, output), { signal, timeoutMs: this.options.timeoutMs });
    } catch (error) {
      if (error instanceof MediaError && error.code === 'ffmpeg_failed') {
        throw new GenerationError(
          'misconfigured',
          `the workflow saved ${container}, which ffmpeg could not convert to MP4 (${error.extras.reason}); save MP4 instead`,
        );
      }
      throw error;
    }
  }

  /** Drops the prompt from the queue if it is waiting, and stops it if it is running. */
  private async cancelQuietly(baseUrl: string, promptId: string): Promise<void> {
    const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
    const post = (pathname: string, body: unknown) =>
      this.call(baseUrl, 'POST', pathname, signal, body)
        .then((response) => response.body?.cancel())
        .catch(() => undefined);
    await post('/queue', { delete: [promptId] });
    await post('/interrupt', { prompt_id: promptId });
  }

  private call(baseUrl: string, method: string, pathAndQuery: string, signal: AbortSignal, body?: unknown) {
    return sendJson(method, `${baseUrl}${pathAndQuery}`, {}, signal, body);
  }

  private async errorFor(response: Response, what: string): Promise<GenerationError> {
    const text = await response.text().catch(() => '');
    const detail = `${what} answered ${response.status}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`;
    if (
      response.status === 401 ||
      response.status === 403 ||
      (response.status === 404 && what === 'POST /prompt')
    ) {
      return new GenerationError('misconfigured', `${detail} (check COMFYUI_URL)`, {
        status: response.status,
      });
    }
    return new GenerationError('transient', detail, { status: response.status });
  }
}
