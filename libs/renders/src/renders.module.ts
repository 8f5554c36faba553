import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Ffmpeg } from '@adloom/media';
import { ProvenanceController } from './provenance.controller';
import { ProvenanceService } from './provenance.service';
import { acceptVideoUploads } from './raw-uploads';
import { RendersRepository } from './renders.repository';
import { TrustedKeys, trustedPublicKeys } from './trusted-keys';
import { UploadSpool } from './upload-spool';

/** Render provenance: each render's signed manifest, and verification of any copy of a render. */
@Module({
  controllers: [ProvenanceController],
  providers: [
    {
      provide: Ffmpeg,
      inject: [CONFIG],
      useFactory: (config: AdloomConfig) =>
        new Ffmpeg({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH }),
    },
    {
      provide: TrustedKeys,
      inject: [CONFIG],
      useFactory: (config: AdloomConfig) => new TrustedKeys(trustedPublicKeys(config)),
    },
    RendersRepository,
    UploadSpool,
    ProvenanceService,
  ],
  exports: [ProvenanceService],
})
export class RendersModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    acceptVideoUploads(this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined);
  }
}
