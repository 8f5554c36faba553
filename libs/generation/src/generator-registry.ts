import { Inject, Injectable } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Ffmpeg } from '@adloom/media';
import { ComfyUiGenerator } from './comfyui.generator';
import { FalGenerator } from './fal.generator';
import { GeminiVeoGenerator } from './gemini-veo.generator';
import { OpenAiVideosGenerator } from './openai-videos.generator';
import { pricerFor } from './pricing';
import { ProceduralGenerator } from './procedural.generator';
import { ResolvedRouteEntry, resolveRoute, routeOf } from './routing';
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
      price: pricerFor(config, 'openai-videos'),
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
    new FalGenerator({
      baseUrl: config.FAL_BASE_URL,
      apiKey: config.FAL_KEY,
      modelsFile: config.FAL_MODELS,
      defaultModel: config.FAL_MODEL,
      price: pricerFor(config, 'fal'),
      pollIntervalMs: config.FAL_POLL_INTERVAL,
      timeoutMs: config.GENERATE_TIMEOUT,
    }),
    new GeminiVeoGenerator({
      baseUrl: config.GEMINI_BASE_URL,
      apiKey: config.GEMINI_API_KEY,
      model: config.GEMINI_VEO_MODEL,
      price: pricerFor(config, 'gemini-veo'),
      pollIntervalMs: config.GEMINI_POLL_INTERVAL,
      timeoutMs: config.GENERATE_TIMEOUT,
    }),
  ];
}

export function isGeneratorName(name: string): name is GeneratorName {
  return (GENERATOR_NAMES as readonly string[]).includes(name);
}

/** The generator a campaign names (`procedural`, `openai-videos`, `comfyui`, `fal`, `gemini-veo`). */
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

  /**
   * A campaign's route with every model resolved: the model it names, else the provider's configured
   * default, so the clip's address names the model that will make it.
   */
  resolve(generator: string, model: string, fallbacks: readonly string[] = []): ResolvedRouteEntry[] {
    let route;
    try {
      route = routeOf(generator, model, fallbacks);
    } catch (error) {
      throw new GenerationError('misconfigured', (error as Error).message);
    }
    return resolveRoute(route, (provider) => this.get(provider).defaultModel);
  }

  list(): VideoGenerator[] {
    return [...this.generators.values()];
  }
}
