import { Global, Module } from '@nestjs/common';
import { WebhookDeliveryHandler } from './webhook-delivery.handler';
import { WebhookSender } from './webhook-sender';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { Webhooks } from './webhooks.service';

/** Global so any room can inject `Webhooks` and emit events. */
@Global()
@Module({
  controllers: [WebhooksController],
  providers: [WebhooksRepository, WebhookSender, Webhooks, WebhookDeliveryHandler],
  exports: [Webhooks],
})
export class WebhooksModule {}
