import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type IORedis from 'ioredis';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { REDIS } from './redis';

/** What a `campaign.changed` event says: which campaign to reload (status, variants, renders, weights, tags). */
export interface CampaignChanged {
  campaignId: string;
}

export type CampaignChangedListener = (event: CampaignChanged) => void;

/**
 * The `campaign.changed` event, over Redis pub/sub: the control plane (launch, pause, approve, the
 * optimiser, tags) publishes after it commits, the data plane (each edge process) subscribes and
 * reloads its snapshot. Pub/sub delivers at most once, so subscribers also refresh on a timer: a lost
 * event costs one refresh interval, not a stale campaign.
 */
@Injectable()
export class CampaignEvents implements OnApplicationShutdown {
  private readonly logger = new Logger('campaign-events');
  private readonly channel: string;
  private readonly listeners = new Set<CampaignChangedListener>();
  private subscriber: IORedis | undefined;
  private subscribed: Promise<void> | undefined;

  constructor(
    @Inject(CONFIG) config: AdloomConfig,
    @Inject(REDIS) private readonly redis: IORedis,
  ) {
    this.channel = `${config.QUEUE_PREFIX}:campaign.changed`;
  }

  /**
   * Tells every edge process that the campaign changed. A Redis that cannot be reached is logged, not
   * thrown: the change is committed, and edges see it on their next refresh.
   */
  async changed(campaignId: string): Promise<void> {
    try {
      await this.redis.publish(this.channel, JSON.stringify({ campaignId } satisfies CampaignChanged));
    } catch (error) {
      this.logger.warn({ err: error }, `could not publish campaign.changed for ${campaignId}`);
    }
  }

  /** Calls `listener` with every event; resolves once the subscription is in place. */
  async subscribe(listener: CampaignChangedListener): Promise<() => void> {
    this.listeners.add(listener);
    await (this.subscribed ??= this.connect());
    return () => this.listeners.delete(listener);
  }

  onApplicationShutdown(): void {
    this.listeners.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private async connect(): Promise<void> {
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', (error) => this.logger.warn({ err: error }, 'campaign.changed subscription'));
    subscriber.on('message', (_channel: string, message: string) => {
      const event = parseEvent(message);
      if (!event) return this.logger.warn(`ignored a malformed campaign.changed message: ${message}`);
      for (const listener of this.listeners) listener(event);
    });
    await subscriber.subscribe(this.channel);
  }
}

function parseEvent(message: string): CampaignChanged | undefined {
  try {
    const parsed = JSON.parse(message) as Partial<CampaignChanged>;
    return typeof parsed.campaignId === 'string' ? { campaignId: parsed.campaignId } : undefined;
  } catch {
    return undefined;
  }
}
