import { DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { Clock, Scratch } from '@adloom/common';
import { AdloomConfig, ConfigModule } from '@adloom/config';
import { DbModule } from '@adloom/db';
import { StorageModule } from '@adloom/storage';
import { QueueModule } from '@adloom/queue';
import { AuthModule } from '@adloom/auth';
import { OpsModule } from '@adloom/ops';
import { DeliveryModule } from '@adloom/delivery';
import { EngagementModule } from '@adloom/engagement';

@Global()
@Module({ providers: [Clock, Scratch], exports: [Clock, Scratch] })
class EdgeClockModule {}

/**
 * The services the edge serves from, wired by Nest as an application context (no Nest HTTP layer):
 * API keys, the delivery snapshot and tags, pixel intake, metrics. Only the rooms the data plane needs.
 */
@Module({})
export class EdgeModule {
  static forRoot(config: AdloomConfig, logger: Pino): DynamicModule {
    return {
      module: EdgeModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: { logger } }),
        EdgeClockModule,
        DbModule,
        StorageModule,
        QueueModule,
        AuthModule,
        OpsModule,
        DeliveryModule,
        EngagementModule,
      ],
    };
  }
}
