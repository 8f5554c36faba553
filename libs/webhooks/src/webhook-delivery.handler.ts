import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@adloom/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { JobData, JobHandler, Queues } from '@adloom/queue';
import { attemptJobId, decideAfterAttempt } from './retry';
import { webhookHeaders } from './signature';
import { WebhookSender } from './webhook-sender';
import { WEBHOOK_JOB_OPTIONS } from './webhooks.service';
import { WebhooksRepository } from './webhooks.repository';

/**
 * Makes one attempt at one delivery, records it, and schedules the next attempt as its own delayed
 * job until the retry delays run out. A delivery that is no longer pending is left alone, so a
 * repeated job does nothing.
 */
@Injectable()
export class WebhookDeliveryHandler {
  private readonly logger = new Logger('webhooks');
  private readonly retryDelaysMs: readonly number[];

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly sender: WebhookSender,
    private readonly queues: Queues,
    private readonly clock: Clock,
    @Inject(CONFIG) config: AdloomConfig,
  ) {
    this.retryDelaysMs = config.WEBHOOK_RETRY_DELAYS;
  }

  @JobHandler('webhook')
  async deliver({ deliveryId }: JobData<'webhook'>): Promise<void> {
    const target = await this.repository.findDeliveryTarget(deliveryId);
    if (!target || target.status !== 'pending') return;
    const attempt = target.attempt_count + 1;
    const at = this.clock.now();

    if (!target.enabled && target.event_type !== 'webhook.test') {
      await this.repository.recordAttempt(
        deliveryId,
        target.attempt_count,
        {
          at: at.toISOString(),
          statusCode: null,
          error: 'endpoint disabled',
          durationMs: 0,
          nextAttemptAt: null,
        },
        'failed',
      );
      return;
    }

    const body = JSON.stringify(target.payload);
    const headers = webhookHeaders(target.secret, deliveryId, Math.floor(at.getTime() / 1000), body);
    const outcome = await this.sender.send(target.url, headers, body);
    const decision = decideAfterAttempt(outcome.statusCode, attempt, this.retryDelaysMs);
    const nextAttemptAt =
      decision.status === 'pending' ? new Date(this.clock.nowMs() + decision.retryInMs).toISOString() : null;

    const recorded = await this.repository.recordAttempt(
      deliveryId,
      target.attempt_count,
      { at: at.toISOString(), ...outcome, nextAttemptAt },
      decision.status,
    );
    if (!recorded) return;
    if (decision.status === 'failed' && decision.disableEndpoint) {
      await this.repository.disableEndpoint(target.endpoint_id);
      this.logger.warn(`endpoint ${target.endpoint_id} answered 410 Gone; disabled it`);
    }
    if (decision.status === 'pending') {
      await this.queues.add(
        'webhook',
        { deliveryId },
        { ...WEBHOOK_JOB_OPTIONS, jobId: attemptJobId(deliveryId, attempt + 1), delay: decision.retryInMs },
      );
    }
  }
}
