import { Module } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { PlannerModule } from '@adloom/planner';
import { Ffmpeg } from '@adloom/media';
import { GenerationModule } from '@adloom/generation';
import { ClipsRepository } from './clips.repository';
import { ComposeHandler } from './compose.handler';
import { ComposeRepository } from './compose.repository';
import { GenerateHandler } from './generate.handler';
import { Reconciler } from './reconciler';
import { ShutdownSignal } from './shutdown';
import { WaveEvents } from './wave-events';
import { WaveHandler } from './wave.handler';

@Module({
  imports: [PlannerModule, GenerationModule],
  providers: [
    {
      provide: Ffmpeg,
      inject: [CONFIG],
      useFactory: (config: AdloomConfig) =>
        new Ffmpeg({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH }),
    },
    ClipsRepository,
    ComposeRepository,
    ComposeHandler,
    GenerateHandler,
    WaveHandler,
    WaveEvents,
    Reconciler,
    ShutdownSignal,
  ],
  exports: [Reconciler, ShutdownSignal],
})
export class PipelineModule {}
