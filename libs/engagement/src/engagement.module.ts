import { Global, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AggregateImports } from './aggregate-imports';
import { DedupeWindow } from './dedupe-window';
import { EngagementConsumer } from './engagement-consumer';
import { EngagementLog } from './engagement-log';
import { acceptCsvBodies } from './csv-body';
import { EngagementRepository } from './engagement.repository';
import { EventIntake } from './event-intake';
import { EventsController } from './events.controller';
import { PixelIntake } from './pixel-intake';
import { VariantDirectory } from './variant-directory';

/** Global so any room (the demo, the optimiser's tests) can inject `EventIntake` to record events. */
@Global()
@Module({
  controllers: [EventsController],
  providers: [
    EngagementRepository,
    EngagementLog,
    DedupeWindow,
    EngagementConsumer,
    VariantDirectory,
    EventIntake,
    PixelIntake,
    AggregateImports,
  ],
  exports: [
    EventIntake,
    PixelIntake,
    VariantDirectory,
    AggregateImports,
    EngagementConsumer,
    EngagementLog,
    DedupeWindow,
  ],
})
export class EngagementModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    acceptCsvBodies(this.adapterHost);
  }
}
