import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Clock } from '@adloom/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Metrics } from '@adloom/ops';
import { DedupeWindow } from './dedupe-window';
import { EngagementLog } from './engagement-log';
import { EngagementError } from './engagement.errors';
import { trackingSecrets } from './tracking-secrets';
import { eventFromToken, TokenVerification, verifyToken } from './tracking-token';

export type PixelVerdict = TokenVerification | { ok: false; reason: 'late' };

/**
 * Tracking pixels: checks each token (HMAC, expiry) and appends its event to the engagement log;
 * `track` resolves only once Redis has it, so a pixel answered is a pixel counted, whatever dies
 * after. Appends of one event-loop turn go to Redis as one pipeline. When Redis is unreachable
 * `track` throws `engagement_log_unavailable` (503): the player may retry, and nothing was promised.
 * Forged, altered, expired and late tokens are counted in `adloom_tracking_pixels_total` and never
 * become events.
 */
@Injectable()
export class PixelIntake {
  private readonly secrets: string[] | undefined;
  private readonly problem: string | undefined;
  private readonly pixels: Counter;

  constructor(
    @Inject(CONFIG) config: AdloomConfig,
    private readonly log: EngagementLog,
    private readonly window: DedupeWindow,
    private readonly clock: Clock,
    metrics: Metrics,
  ) {
    const secrets = trackingSecrets(config);
    if ('secrets' in secrets) this.secrets = secrets.secrets;
    else this.problem = secrets.problem;
    this.pixels = metrics.counter(
      'adloom_tracking_pixels_total',
      'Tracking pixel requests by result: counted, or rejected as malformed, bad_signature, expired or late',
      ['result'],
    );
  }

  /** Checks a token and appends its event; the verdict says whether it counts. */
  async track(token: string): Promise<PixelVerdict> {
    if (!this.secrets) throw new EngagementError('tracking_not_configured', this.problem!);
    const now = this.clock.nowMs();
    const verdict = verifyToken(token, this.secrets, Math.floor(now / 1000));
    if (!verdict.ok) {
      this.pixels.labels(verdict.reason).inc();
      return verdict;
    }
    // A token issued before the dedupe window may repeat an id already forgotten.
    if (this.window.isLate(verdict.payload.issuedAt * 1000, now)) {
      this.pixels.labels('late').inc();
      return { ok: false, reason: 'late' };
    }
    await this.log.append([
      { workspaceId: '', source: 'pixel', events: [eventFromToken(verdict.payload, now)] },
    ]);
    this.pixels.labels('counted').inc();
    return verdict;
  }
}
