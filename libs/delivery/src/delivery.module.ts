import { Global, Module, OnModuleInit } from '@nestjs/common';
import { HotRoutes } from '@adloom/http';
import { DeliveryFastPath } from './delivery-fast-path';
import { DeliveryCache } from './delivery-cache';
import { DeliveryController } from './delivery.controller';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryService } from './delivery.service';
import { RenderUrls } from './render-urls';

/** Global so the optimiser and the campaign launch/pause can inject `DeliveryCache` to invalidate it. */
@Global()
@Module({
  controllers: [DeliveryController],
  providers: [DeliveryRepository, DeliveryCache, RenderUrls, DeliveryService, DeliveryFastPath],
  exports: [DeliveryCache, DeliveryService],
})
export class DeliveryModule implements OnModuleInit {
  constructor(
    private readonly hotRoutes: HotRoutes,
    private readonly fastPath: DeliveryFastPath,
  ) {}

  onModuleInit(): void {
    this.fastPath.install(this.hotRoutes);
  }
}
