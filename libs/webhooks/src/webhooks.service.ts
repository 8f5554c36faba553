import { Injectable } from '@nestjs/common';
import { JobsOptions } from 'bullmq';
import { Clock } from '@adloom/common';
import { PageQuery } from '@adloom/db';
import { Queues } from '@adloom/queue';
import { WebhookEvent, WebhookEventType } from './events';
import { attemptJobId } from './retry';
import { generateWebhookSecret } from './signature';
import { WebhookSender } from './webhook-sender';
import { WebhookError } from './webhooks.errors';
import {
  DeliveryStatus,
  toDeliveryView,
  toEndpointView,
  WebhookDeliveryView,
  WebhookEndpointView,
  WebhooksRepository,
} from './webhooks.repository';

/**
 * BullMQ's own retries cover only our failures (database or Redis down while handling); the
 * receiver's failures are retried on the webhook schedule, one job per attempt.
 */
export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5_000 },
};

/**
 * Webhook endpoints of a workspace and the events sent to them. Other rooms call `emit` when
 * something a workspace may want to hear about happens.
 */
@Injectable()
export class Webhooks {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly sender: WebhookSender,
    private readonly queues: Queues,
    private readonly clock: Clock,
  ) {}

  /**
   * Sends `{ type, timestamp, data }` to every enabled endpoint of the workspace subscribed to
   * `type`: one delivery row and one job each. Returns the delivery ids (none when nobody listens).
   */
  async emit<D extends object>(workspaceId: string, type: WebhookEventType, data: D): Promise<string[]> {
    const event: WebhookEvent<D> = { type, timestamp: this.clock.now().toISOString(), data };
    const ids = await this.repository.insertDeliveriesForEvent(workspaceId, event as WebhookEvent);
    await this.enqueue(ids);
    return ids;
  }

  /** Registers an endpoint; the signing secret is in this response only. */
  async create(
    workspaceId: string,
    input: { url: string; events: WebhookEventType[] },
  ): Promise<WebhookEndpointView & { secret: string }> {
    const url = await this.acceptableUrl(input.url);
    const row = await this.repository.insertEndpoint(workspaceId, {
      url,
      events: [...new Set(input.events)],
      secret: generateWebhookSecret(),
    });
    return { ...toEndpointView(row), secret: row.secret };
  }

  list(workspaceId: string, page: PageQuery) {
    return this.repository.listEndpoints(workspaceId, page);
  }

  async get(workspaceId: string, id: string): Promise<WebhookEndpointView> {
    return toEndpointView(await this.endpoint(workspaceId, id));
  }

  async update(
    workspaceId: string,
    id: string,
    patch: { url?: string; events?: WebhookEventType[]; enabled?: boolean },
  ): Promise<WebhookEndpointView> {
    await this.endpoint(workspaceId, id);
    const row = await this.repository.updateEndpoint(workspaceId, id, {
      url: patch.url === undefined ? undefined : await this.acceptableUrl(patch.url),
      events: patch.events && [...new Set(patch.events)],
      enabled: patch.enabled,
    });
    if (!row) throw notFound(id);
    return toEndpointView(row);
  }

  /** Removes the endpoint and its delivery history; attempts still queued find nothing and stop. */
  async remove(workspaceId: string, id: string): Promise<void> {
    if (!(await this.repository.deleteEndpoint(workspaceId, id))) throw notFound(id);
  }

  async deliveries(workspaceId: string, endpointId: string, page: PageQuery, status?: DeliveryStatus) {
    await this.endpoint(workspaceId, endpointId);
    return this.repository.listDeliveries(workspaceId, endpointId, page, status);
  }

  /** Sends a `webhook.test` event to this endpoint alone, subscribed to it or not, enabled or not. */
  async test(workspaceId: string, endpointId: string): Promise<WebhookDeliveryView> {
    await this.endpoint(workspaceId, endpointId);
    const row = await this.repository.insertDelivery(workspaceId, endpointId, {
      type: 'webhook.test',
      timestamp: this.clock.now().toISOString(),
      data: { endpointId, message: 'A test event from Adloom.' },
    });
    await this.enqueue([row.id]);
    return toDeliveryView(row);
  }

  private async enqueue(deliveryIds: string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.queues.addBulk(
      'webhook',
      deliveryIds.map((deliveryId) => ({
        data: { deliveryId },
        opts: { ...WEBHOOK_JOB_OPTIONS, jobId: attemptJobId(deliveryId, 1) },
      })),
    );
  }

  private async endpoint(workspaceId: string, id: string) {
    const row = await this.repository.findEndpoint(workspaceId, id);
    if (!row) throw notFound(id);
    return row;
  }

  private async acceptableUrl(raw: string): Promise<string> {
    const refused = await this.sender.refusal(raw);
    if (refused) throw new WebhookError('url_refused', `url ${refused}.`, { field: 'url' });
    return new URL(raw).href;
  }
}

const notFound = (id: string) =>
  new WebhookError('endpoint_not_found', `No webhook endpoint ${id} in this workspace.`, { field: 'id' });
