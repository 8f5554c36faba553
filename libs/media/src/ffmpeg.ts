import { Injectable, Logger } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptionLine, toSrt, toWebVtt } from './captions';
import {
  buildComposePlan,
  ComposeBrand,
  ComposeCopy,
  ComposePlan,
  EncoderSettings,
  FormatOutput,
} from './compose-graph';
import { MediaError } from './errors';
import { FontMetrics, parseFont } from './font-metrics';
import { checkRender, FormatId, RenderViolation } from './platforms';
import { parseProbeJson, ProbeResult, videoStream } from './probe';
import { proceduralClipArgs, ProceduralClipRequest } from './procedural';
import { createProgressReader } from './progress';
import { SystemFonts } from './system-fonts';
import { missingCodePoints } from './text-layout';

export interface FfmpegOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Default deadline for one ffmpeg run. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when a run is stopped. */
  killGraceMs?: number;
  /** How much of the end of stderr is kept for error messages. */
  stderrTailBytes?: number;
  /** Where fallback fonts come from, for text the brand font has no glyphs for. */
  systemFonts?: SystemFonts;
}

export interface RunOptions {
  /** The duration of the output, for progress fractions. */
  durationMs?: number;
  onProgress?: (fraction: number) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunResult {
  elapsedMs: number;
  stderr: string;
}

export interface ComposeInput {
  clipPath: string;
  brand: ComposeBrand;
  copy: ComposeCopy;
  captions: readonly CaptionLine[];
  formats: readonly FormatId[];
  durationMs: number;
  endCardMs?: number;
  aiLabel?: string | false;
  metadata?: Record<string, string>;
  posterAtMs?: number;
  encoder?: Partial<EncoderSettings>;
}

export interface ComposedRender extends FormatOutput {
  bytes: number;
  probe: ProbeResult;
  faststart: boolean;
  violations: RenderViolation[];
}

export interface ComposeResult {
  durationMs: number;
  elapsedMs: number;
  renders: ComposedRender[];
  /** Sidecar caption files (the same for every format), or null without captions. */
  captions: { vtt: string; srt: string } | null;
  /** Problems the viewer would see but that do not stop the render (e.g. no font for a script). */
  warnings: string[];
}

export interface Mp4Atom {
  type: string;
  offset: number;
  size: number;
}

const DEFAULTS = {
  ffmpegPath: 'ffmpeg',
  ffprobePath: 'ffprobe',
  timeoutMs: 10 * 60_000,
  killGraceMs: 2_000,
  stderrTailBytes: 4_096,
};

/** Runs ffmpeg and ffprobe: argument arrays, progress, deadlines, cancellation, readable failures. */
@Injectable()
export class Ffmpeg {
  private readonly options: Required<Omit<FfmpegOptions, 'systemFonts'>>;
  private readonly systemFonts: SystemFonts;

  private readonly logger = new Logger('Ffmpeg');

  constructor(options: FfmpegOptions = {}) {
    const { systemFonts, ...rest } = options;
    this.options = { ...DEFAULTS, ...rest };
    this.systemFonts = systemFonts ?? new SystemFonts();
  }

  /** Runs ffmpeg with the given arguments (global quiet/overwrite flags and -progress are added here). */
  async run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const progress = options.onProgress
      ? createProgressReader(options.durationMs ?? 0, options.onProgress)
      : undefined;
    const globalArgs = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y'];
    if (progress) globalArgs.push('-progress', 'pipe:1', '-stats_period', '0.25');
    const started = Date.now();
    const { stderr } = await this.spawnTool(this.options.ffmpegPath, [...globalArgs, ...args], {
      ...options,
      onStdout: progress,
    });
    return { elapsedMs: Date.now() - started, stderr };
  }

  /** ffprobe's view of a file; an unreadable file is an `invalid_input` error that says why. */
  async probe(file: string, options: Pick<RunOptions, 'signal' | 'timeoutMs'> = {}): Promise<ProbeResult> {
    await this.assertReadableFile(file, 'media file');
    try {
      const { stdout } = await this.spawnTool(
        this.options.ffprobePath,
        ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
        { ...options, collectStdout: true },
      );
      return parseProbeJson(stdout);
    } catch (error) {
      if (error instanceof MediaError && error.code === 'ffmpeg_failed') {
        throw new MediaError(
          'invalid_input',
          `${path.basename(file)} is not readable media: ${error.extras.reason}`,
          {
            ...error.extras,
            file,
          },
        );
      }
      throw error;
    }
  }

  /** The top-level boxes of an MP4 file, in file order. */
  async mp4Atoms(file: string): Promise<Mp4Atom[]> {
    const handle = await fs.open(file, 'r');
    try {
      const { size: fileSize } = await handle.stat();
      const atoms: Mp4Atom[] = [];
      const header = Buffer.alloc(16);
      let offset = 0;
      while (offset + 8 <= fileSize) {
        const { bytesRead } = await handle.read(header, 0, 16, offset);
        if (bytesRead < 8) break;
        let size = header.readUInt32BE(0);
        const type = header.toString('latin1', 4, 8);
        if (size === 1) {
          if (bytesRead < 16) break;
          size = Number(header.readBigUInt64BE(8));
        } else if (size === 0) {
          size = fileSize - offset;
        }
        if (size < 8) break;
        atoms.push({ type, offset, size });
        offset += size;
      }
      return atoms;
    } finally {
      await handle.close();
    }
  }

  /** True when `moov` comes before `mdat`, so players can start before the whole file has arrived. */
  async isFaststart(file: string): Promise<boolean> {
    const types = (await this.mp4Atoms(file)).map((atom) => atom.type);
    const moov = types.indexOf('moov');
    const mdat = types.indexOf('mdat');
    return moov >= 0 && (mdat < 0 || moov < mdat);
  }

  /** Draws the deterministic storyboard clip for a prompt and returns what ffprobe says about it. */
  async renderProceduralClip(request: ProceduralClipRequest, options: RunOptions = {}): Promise<ProbeResult> {
    await fs.mkdir(path.dirname(request.outputPath), { recursive: true });
    await this.run(proceduralClipArgs(request), { durationMs: request.durationMs, ...options });
    return this.probe(request.outputPath);
  }

  /**
   * Finishes a base clip into every requested format in one ffmpeg process (decoded once), with a poster
   * per format and WebVTT/SRT caption sidecars, then checks each render against its platforms' specs.
   */
  async compose(
    input: ComposeInput,
    outDir: string,
    onProgress?: (fraction: number) => void,
    options: Pick<RunOptions, 'signal' | 'timeoutMs'> = {},
  ): Promise<ComposeResult> {
    const started = Date.now();
    await this.assertReadableFile(input.clipPath, 'base clip');
    const clip = await this.probe(input.clipPath, options);
    const video = videoStream(clip);
    const clipDurationSec = clip.format.durationSec ?? video?.durationSec ?? 0;
    if (!video || !video.width || !video.height) {
      throw new MediaError('invalid_input', `base clip ${path.basename(input.clipPath)} has no video stream`);
    }
    if (!(clipDurationSec > 0)) {
      throw new MediaError('invalid_input', `base clip ${path.basename(input.clipPath)} has no duration`);
    }
    const fontMetrics = await this.readFont(input.brand.fontFile);
    const drawn = [input.copy.headline, input.copy.cta, input.aiLabel || ''].join(' ');
    const missing = missingCodePoints(drawn, [fontMetrics]);
    const warnings: string[] = [];
    let fallbackFonts: FontMetrics[] = [];
    if (missing.length) {
      const found = await this.systemFonts.fallbacksFor(missing, fontMetrics);
      fallbackFonts = found.fonts;
      if (found.problem) {
        warnings.push(found.problem);
        this.logger.warn(`brand font ${fontMetrics.family}: ${found.problem}`);
      }
    }
    if (input.brand.logoFile) await this.assertReadableFile(input.brand.logoFile, 'brand logo');
    if (input.brand.musicFile) await this.assertReadableFile(input.brand.musicFile, 'brand music');

    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-compose-'));
    try {
      await fs.mkdir(outDir, { recursive: true });
      const plan: ComposePlan = buildComposePlan(
        {
          ...input,
          clip: {
            path: input.clipPath,
            width: video.width,
            height: video.height,
            durationMs: Math.round(clipDurationSec * 1000),
            fps: video.avgFrameRate ?? video.frameRate,
            hasAudio: clip.streams.some((stream) => stream.codecType === 'audio'),
          },
          fontMetrics,
          fallbackFonts,
        },
        { workDir, outDir },
      );
      await Promise.all(plan.files.map((file) => fs.writeFile(file.path, file.contents, 'utf8')));
      // The poster run is short; it gets the last few percent.
      const encodeProgress = onProgress && ((fraction: number) => onProgress(fraction * 0.97));
      await this.run(plan.args, { durationMs: plan.durationMs, onProgress: encodeProgress, ...options });
      await this.run(plan.posterArgs, options);
      onProgress?.(1);

      const renders: ComposedRender[] = [];
      for (const output of plan.outputs) {
        const probe = await this.probe(output.video, options);
        const faststart = await this.isFaststart(output.video);
        const violations = checkRender(probe, output.format, plan.durationMs);
        if (!faststart) {
          violations.push({ code: 'faststart', severity: 'error', detail: 'moov atom comes after mdat' });
        }
        await this.assertReadableFile(output.poster, 'poster');
        renders.push({ ...output, bytes: probe.format.sizeBytes ?? 0, probe, faststart, violations });
      }

      let captions: ComposeResult['captions'] = null;
      if (input.captions.length) {
        captions = { vtt: path.join(outDir, 'captions.vtt'), srt: path.join(outDir, 'captions.srt') };
        await fs.writeFile(captions.vtt, toWebVtt(input.captions), 'utf8');
        await fs.writeFile(captions.srt, toSrt(input.captions), 'utf8');
      }
      return { durationMs: plan.durationMs, elapsedMs: Date.now() - started, renders, captions, warnings };
    } finally {
      await fs.rm(workDir, { recursive: true, force: true });
    }
  }

  private async readFont(fontFile: string): Promise<FontMetrics> {
    await this.assertReadableFile(fontFile, 'brand font');
    try {
      return parseFont(await fs.readFile(fontFile));
    } catch (error) {
      throw new MediaError(
        'invalid_input',
        `brand font ${path.basename(fontFile)} is not usable: ${String(error)}`,
        {
          file: fontFile,
        },
      );
    }
  }

  private async assertReadableFile(file: string, what: string): Promise<void> {
    let size: number;
    try {
      size = (await fs.stat(file)).size;
    } catch {
      throw new MediaError('invalid_input', `${what} not found: ${file}`, { file });
    }
    if (size === 0)
      throw new MediaError('invalid_input', `${what} ${path.basename(file)} is empty (0 bytes)`, { file });
  }

  private spawnTool(
    binary: string,
    args: string[],
    options: RunOptions & { onStdout?: (chunk: string) => void; collectStdout?: boolean },
  ): Promise<{ stdout: string; stderr: string }> {
    const tool = path.basename(binary);
    if (options.signal?.aborted) {
      return Promise.reject(new MediaError('cancelled', `${tool} was cancelled before it started`));
    }
    return new Promise((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      let stoppedFor: 'timeout' | 'cancelled' | null = null;
      let killTimer: NodeJS.Timeout | undefined;
      const tailBytes = this.options.stderrTailBytes;

      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        if (options.collectStdout) stdout += chunk;
        options.onStdout?.(chunk);
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.length > tailBytes * 2) stderr = stderr.slice(-tailBytes);
      });

      const stop = (reason: 'timeout' | 'cancelled') => {
        if (stoppedFor || child.exitCode !== null || child.signalCode !== null) return;
        stoppedFor = reason;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }, this.options.killGraceMs);
      };
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
      const deadline = setTimeout(() => stop('timeout'), timeoutMs);
      const onAbort = () => stop('cancelled');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanUp = () => {
        clearTimeout(deadline);
        clearTimeout(killTimer);
        options.signal?.removeEventListener('abort', onAbort);
      };

      child.on('error', (error: NodeJS.ErrnoException) => {
        cleanUp();
        reject(
          error.code === 'ENOENT'
            ? new MediaError('ffmpeg_missing', `${binary} not found; install ffmpeg or configure its path`)
            : new MediaError('ffmpeg_failed', `${tool} could not start: ${error.message}`),
        );
      });
      child.on('close', (exitCode, signal) => {
        cleanUp();
        const tail = stderr.slice(-tailBytes);
        if (stoppedFor === 'timeout') {
          reject(
            new MediaError('timeout', `${tool} took longer than ${timeoutMs} ms and was stopped`, {
              stderr: tail,
            }),
          );
        } else if (stoppedFor === 'cancelled') {
          reject(new MediaError('cancelled', `${tool} was cancelled`, { stderr: tail }));
        } else if (exitCode !== 0) {
          const reason = readableReason(tail) || (signal ? `killed by ${signal}` : `exit code ${exitCode}`);
          reject(
            new MediaError('ffmpeg_failed', `${tool} failed: ${reason}`, {
              reason,
              exitCode,
              signal,
              stderr: tail,
            }),
          );
        } else {
          resolve({ stdout, stderr: tail });
        }
      });
    });
  }
}

/** The last few distinct lines of stderr, which is where ffmpeg says what went wrong. */
function readableReason(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return [...new Set(lines.slice(-4))].join('; ').slice(0, 600);
}
