import { GenerateRequest, GenerationError, VideoGenerator } from '@adloom/generation';
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** One generation against a peer, in a folder of its own under `workDir`, recording its progress. */
export function startGeneration(
  workDir: string,
  generator: VideoGenerator,
  prompt: string,
  request: Partial<GenerateRequest> = {},
) {
  const dir = path.join(workDir, randomUUID());
  const outFile = path.join(dir, 'clip.mp4');
  const progress: number[] = [];
  const controller = new AbortController();
  const promise = generator.generate({
    prompt,
    promptHash: createHash('sha256').update(prompt).digest('hex'),
    model: '',
    durationMs: 4000,
    width: 720,
    height: 1280,
    seed: 1,
    outFile,
    signal: controller.signal,
    onProgress: (fraction) => progress.push(fraction),
    ...request,
  });
  return { promise, progress, outFile, dir, controller };
}

/** The GenerationError a generation failed with; anything else fails the test. */
export async function failureOf(promise: Promise<unknown>): Promise<GenerationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GenerationError))
    throw new Error(`expected a GenerationError, got ${String(error)}`);
  return error;
}

export const filesIn = (dir: string) => fs.readdir(dir).catch(() => [] as string[]);
