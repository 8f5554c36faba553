import { Global, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
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
    private readonly adapterHost: HttpAdapterHost,
    private readonly fastPath: DeliveryFastPath,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (fastify && typeof fastify.addHook === 'function') this.fastPath.install(fastify);
  }
}
