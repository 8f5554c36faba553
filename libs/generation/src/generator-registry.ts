import { Inject, Injectable } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Ffmpeg } from '@adloom/media';
import { ComfyUiGenerator } from './comfyui.generator';
import { OpenAiVideosGenerator } from './openai-videos.generator';
import { ProceduralGenerator } from './procedural.generator';
import { GENERATOR_NAMES, GenerationError, GeneratorName, VideoGenerator } from './video-generator';

/** Every generator, configured from the settings. A provider without its URL or key fails when used, not here. */
export function createGenerators(config: AdloomConfig, ffmpeg?: Ffmpeg): VideoGenerator[] {
  const media = ffmpeg ?? new Ffmpeg({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH });
  return [
    new ProceduralGenerator(media, { timeoutMs: config.GENERATE_TIMEOUT }),
    new OpenAiVideosGenerator({
      baseUrl: config.OPENAI_BASE_URL,
      apiKey: config.OPENAI_API_KEY,
      model: config.OPENAI_VIDEO_MODEL,
      pricePerSecond: config.OPENAI_PRICE_PER_SECOND,
      pollIntervalMs: config.OPENAI_POLL_INTERVAL,
      timeoutMs: config.GENERATE_TIMEOUT,
    }),
    new ComfyUiGenerator(media, {
      baseUrl: config.COMFYUI_URL,
      workflowFile: config.COMFYUI_WORKFLOW,
      pricePerGpuSecond: config.COMFYUI_PRICE_PER_GPU_SECOND,
      pollIntervalMs: config.COMFYUI_POLL_INTERVAL,
      timeoutMs: config.GENERATE_TIMEOUT,
    }),
  ];
}

export function isGeneratorName(name: string): name is GeneratorName {
  return (GENERATOR_NAMES as readonly string[]).includes(name);
}

/** The generator a campaign names (`procedural`, `openai-videos`, `comfyui`). */
@Injectable()
export class GeneratorRegistry {
  private readonly generators: ReadonlyMap<GeneratorName, VideoGenerator>;

  constructor(@Inject(CONFIG) config: AdloomConfig) {
    this.generators = new Map(createGenerators(config).map((generator) => [generator.name, generator]));
  }

  get(name: string): VideoGenerator {
    const generator = isGeneratorName(name) ? this.generators.get(name) : undefined;
    if (!generator) {
      throw new GenerationError(
        'misconfigured',
        `no video generator named "${name}" (known: ${GENERATOR_NAMES.join(', ')})`,
      );
    }
    return generator;
  }

  list(): VideoGenerator[] {
    return [...this.generators.values()];
  }
}
