import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { BrandKitsController } from './brand-kits.controller';
import { BrandKitsRepository } from './brand-kits.repository';
import { BrandKitsService } from './brand-kits.service';
import { CampaignsController } from './campaigns.controller';
import { CampaignsRepository } from './campaigns.repository';
import { CampaignsService } from './campaigns.service';
import { ContentPolicyController } from './content-policy.controller';
import { ContentPolicyService } from './content-policy.service';
import { registerRawBodyParsers } from './raw-bodies';
import { SegmentsController } from './segments.controller';
import { SegmentsRepository } from './segments.repository';
import { SegmentsService } from './segments.service';
import { TemplatesController } from './templates.controller';
import { TemplatesRepository } from './templates.repository';
import { TemplatesService } from './templates.service';
import { VariantsController } from './variants.controller';
import { VariantsRepository } from './variants.repository';
import { VariantsService } from './variants.service';
import { UploadDecoder } from './upload-decoder';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Ffmpeg } from '@adloom/media';

/** Brand kits, templates and versions, segments, campaigns, variant review, content policy. */
@Module({
  controllers: [
    BrandKitsController,
    TemplatesController,
    SegmentsController,
    CampaignsController,
    VariantsController,
    ContentPolicyController,
  ],
  providers: [
    BrandKitsRepository,
    BrandKitsService,
    TemplatesRepository,
    TemplatesService,
    SegmentsRepository,
    SegmentsService,
    CampaignsRepository,
    CampaignsService,
    VariantsRepository,
    VariantsService,
    ContentPolicyService,
    UploadDecoder,
    {
      provide: Ffmpeg,
      inject: [CONFIG],
      useFactory: (config: AdloomConfig) =>
        new Ffmpeg({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH }),
    },
  ],
  exports: [
    BrandKitsService,
    TemplatesService,
    SegmentsService,
    CampaignsService,
    VariantsService,
    ContentPolicyService,
  ],
})
export class CampaignsModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    // The worker has no HTTP server.
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (fastify && typeof fastify.addContentTypeParser === 'function') registerRawBodyParsers(fastify);
  }
}
