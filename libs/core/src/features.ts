import { Type } from '@nestjs/common';
import { WebhooksModule } from '@adloom/webhooks';
import { PlannerModule } from '@adloom/planner';
import { PipelineModule } from '@adloom/pipeline';
import { CampaignsModule } from '@adloom/campaigns';
import { GenerationModule } from '@adloom/generation';

/** The feature rooms, each one Nest module. */
export const FEATURE_MODULES: Type[] = [
  WebhooksModule,
  PlannerModule,
  PipelineModule,
  CampaignsModule,
  GenerationModule,
];
