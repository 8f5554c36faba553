import { Module } from '@nestjs/common';
import { DeliveryCache } from './delivery-cache';
import { DeliveryController, TagsController } from './delivery.controller';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryService } from './delivery.service';
import { RenderUrls } from './render-urls';
import { TagDirectory } from './tag-directory';
import { TagsRepository } from './tags.repository';
import { TagsService } from './tags.service';

/**
 * Delivery: the snapshot of live campaigns, the variant choice, VAST, tags. The API mounts the
 * controllers (catalog, tags); the edge (apps/edge) takes `DeliveryService` and `TagDirectory` from an
 * application context and serves the per-impression routes. Nothing outside calls in: campaign
 * changes arrive as `campaign.changed` events.
 */
@Module({
  controllers: [DeliveryController, TagsController],
  providers: [
    DeliveryRepository,
    DeliveryCache,
    RenderUrls,
    DeliveryService,
    TagsRepository,
    TagsService,
    TagDirectory,
  ],
  exports: [DeliveryCache, DeliveryService, TagDirectory, RenderUrls],
})
export class DeliveryModule {}
