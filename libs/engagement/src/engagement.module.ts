import { Global, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HotRoutes } from '@adloom/http';
import { AggregateImports } from './aggregate-imports';
import { DedupeWindow } from './dedupe-window';
import { EngagementConsumer } from './engagement-consumer';
import { EngagementLog } from './engagement-log';
import { acceptCsvBodies } from './csv-body';
import { EngagementRepository } from './engagement.repository';
import { EventIntake } from './event-intake';
import { EventsController } from './events.controller';
import { PixelIntake } from './pixel-intake';
import { PixelResponder } from './pixel-responder';
import { TrackingController } from './tracking.controller';
import { VariantDirectory } from './variant-directory';

/** Global so any room (the demo, the optimiser's tests) can inject `EventIntake` to record events. */
@Global()
@Module({
  controllers: [EventsController, TrackingController],
  providers: [
    EngagementRepository,
    EngagementLog,
    DedupeWindow,
    EngagementConsumer,
    VariantDirectory,
    EventIntake,
    PixelIntake,
    PixelResponder,
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
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly pixels: PixelResponder,
    private readonly hotRoutes: HotRoutes,
  ) {}

  onModuleInit(): void {
    acceptCsvBodies(this.adapterHost);
    this.pixels.install(this.hotRoutes);
  }
}
