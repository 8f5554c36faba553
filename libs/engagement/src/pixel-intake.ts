import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Clock } from '@adloom/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Metrics } from '@adloom/ops';
import { EngagementError } from './engagement.errors';
import { EventIntake } from './event-intake';
import { EngagementEvent } from './events';
import { trackingSecrets } from './tracking-secrets';
import { eventFromToken, TokenVerification, verifyToken } from './tracking-token';
import { VariantDirectory } from './variant-directory';

/** A pixel's event is written within this long, or as soon as this many are waiting. */
export const PIXEL_FLUSH_INTERVAL_MS = 250;
export const PIXEL_FLUSH_SIZE = 1_000;
/** While Postgres is unreachable events wait in memory up to this many; older ones beyond it are dropped. */
const MAX_WAITING = 200_000;

/**
 * Tracking pixels: checks each token (HMAC, expiry) and queues its event; the queue goes through
 * `EventIntake` every 250 ms or 1,000 events, so a burst of pixels costs a few statements, not one
 * each. Forged, altered and expired tokens are counted in `adloom_tracking_pixels_total` and never
 * become events.
 *
 * On shutdown (SIGTERM) the queue is written before the database closes, and pixels that arrive
 * while the server drains are written before they are answered. A crash (SIGKILL, power loss)
 * loses at most the last 250 ms of pixel events in this process.
 */
@Injectable()
export class PixelIntake implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('tracking');
  private readonly secrets: string[] | undefined;
  private readonly problem: string | undefined;
  private readonly pixels: Counter;
  private readonly dropped: Counter;
  private waiting: EngagementEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closing = false;

  constructor(
    @Inject(CONFIG) config: AdloomConfig,
    private readonly intake: EventIntake,
    private readonly variants: VariantDirectory,
    private readonly clock: Clock,
    metrics: Metrics,
  ) {
    const secrets = trackingSecrets(config);
    if ('secrets' in secrets) this.secrets = secrets.secrets;
    else this.problem = secrets.problem;
    this.pixels = metrics.counter(
      'adloom_tracking_pixels_total',
      'Tracking pixel requests by result: counted, or rejected as malformed, bad_signature or expired',
      ['result'],
    );
    this.dropped = metrics.counter(
      'adloom_tracking_events_dropped_total',
      'Pixel events dropped because too many were waiting for the database',
    );
  }

  /** Checks a token and queues its event; the verdict says whether it counts. */
  track(token: string): TokenVerification {
    if (!this.secrets) throw new EngagementError('tracking_not_configured', this.problem!);
    const now = this.clock.nowMs();
    const verdict = verifyToken(token, this.secrets, Math.floor(now / 1000));
    if (!verdict.ok) {
      this.pixels.labels(verdict.reason).inc();
      return verdict;
    }
    this.pixels.labels('counted').inc();
    this.waiting.push(eventFromToken(verdict.payload, now));
    if (this.waiting.length >= PIXEL_FLUSH_SIZE) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), PIXEL_FLUSH_INTERVAL_MS).unref();
    return verdict;
  }

  /** True once shutdown has begun: callers then await `flush()` before answering. */
  get draining(): boolean {
    return this.closing;
  }

  /** Writes every waiting event; resolves when they are in Postgres (or back in the queue on failure). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.length === 0) return;
    const events = this.waiting;
    this.waiting = [];
    this.writing = this.write(events).finally(() => (this.writing = undefined));
    await this.writing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.flush();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
    if (this.waiting.length > 0) this.logger.error(`${this.waiting.length} pixel events were not written`);
  }

  private async write(events: EngagementEvent[]): Promise<void> {
    try {
      const variants = await this.variants.resolve(events.map((event) => event.variantId));
      const byWorkspace = new Map<string, EngagementEvent[]>();
      for (const event of events) {
        // A signed token for a variant that no longer exists: the intake rejects it under any workspace.
        const workspaceId =
          variants.get(event.variantId)?.workspaceId ?? '00000000-0000-0000-0000-000000000000';
        let list = byWorkspace.get(workspaceId);
        if (!list) byWorkspace.set(workspaceId, (list = []));
        list.push(event);
      }
      for (const [workspaceId, list] of byWorkspace) await this.intake.record(workspaceId, list, 'pixel');
    } catch (error) {
      // Ids count once, so writing a partly written flush again adds nothing twice.
      this.logger.warn({ err: error }, `could not write ${events.length} pixel events; retrying`);
      const room = Math.max(0, MAX_WAITING - this.waiting.length);
      if (events.length > room) this.dropped.inc(events.length - room);
      this.waiting = [...events.slice(Math.max(0, events.length - room)), ...this.waiting];
      if (!this.closing) this.timer ??= setTimeout(() => void this.flush(), PIXEL_FLUSH_INTERVAL_MS).unref();
    }
  }
}
