import { Type } from '@nestjs/common';
import { WebhooksModule } from '@adloom/webhooks';
import { PlannerModule } from '@adloom/planner';
import { PipelineModule } from '@adloom/pipeline';
import { CampaignsModule } from '@adloom/campaigns';
import { GenerationModule } from '@adloom/generation';
import { EngagementModule } from '@adloom/engagement';
import { DeliveryModule } from '@adloom/delivery';
import { ReportsModule } from '@adloom/reports';
import { RendersModule } from '@adloom/renders';
import { ConsoleModule } from '@adloom/console';
import { OptimizerModule } from '@adloom/optimizer';

/** The feature rooms, each one Nest module. */
export const FEATURE_MODULES: Type[] = [
  WebhooksModule,
  PlannerModule,
  PipelineModule,
  CampaignsModule,
  GenerationModule,
  EngagementModule,
  DeliveryModule,
  ReportsModule,
  RendersModule,
  ConsoleModule,
  OptimizerModule,
];
