import { Injectable } from '@nestjs/common';
import { Ffmpeg, OUTPUT_FPS, proceduralClipArgs } from '@adloom/media';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { monotonicProgress, partialPath, removeQuietly, withDeadline } from './transfer';
import { GenerateRequest, GenerateResult, GenerationError, VideoGenerator } from './video-generator';

export interface ProceduralOptions {
  timeoutMs: number;
  /** Defaults to the rate compose finishes renders at, so the clip is not resampled. */
  fps?: number;
  fontFile?: string;
}

export const PROCEDURAL_MODEL = 'storyboard-v1';

/**
 * Draws a storyboard clip with ffmpeg alone: no GPU, no network, the same bytes for the same prompt
 * hash. gpuSeconds and cost are 0 (it runs on the CPU of the worker; `seed` is not used, the hash is).
 */
@Injectable()
export class ProceduralGenerator implements VideoGenerator {
  readonly name = 'procedural' as const;
  readonly defaultModel = PROCEDURAL_MODEL;

  constructor(
    private readonly ffmpeg: Ffmpeg,
    private readonly options: ProceduralOptions,
  ) {}

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const partial = partialPath(request.outFile, '.mp4');
    let args: string[];
    try {
      args = proceduralClipArgs({
        promptHash: request.promptHash,
        prompt: request.prompt,
        width: request.width,
        height: request.height,
        durationMs: request.durationMs,
        fps: this.options.fps ?? OUTPUT_FPS,
        outputPath: partial,
        fontFile: this.options.fontFile,
      });
    } catch (error) {
      throw new GenerationError('invalid_request', `procedural clip: ${(error as Error).message}`);
    }
    const progress = monotonicProgress(request.onProgress);
    try {
      await withDeadline(request.signal, this.options.timeoutMs, 'procedural clip', async (signal) => {
        await fs.mkdir(path.dirname(request.outFile), { recursive: true });
        await this.ffmpeg.run(args, {
          durationMs: request.durationMs,
          onProgress: progress,
          signal,
          timeoutMs: this.options.timeoutMs,
        });
        await fs.rename(partial, request.outFile);
      });
    } finally {
      await removeQuietly(partial);
    }
    progress(1);
    return { gpuSeconds: 0, cost: 0, model: this.defaultModel };
  }
}
