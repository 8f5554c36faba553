import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@adloom/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { EngagementRepository, SeenDays } from './engagement.repository';

const DAY_MS = 86_400_000;
/** Partitions are made this many days ahead, so midnight never waits for DDL. */
const DAYS_AHEAD = 2;

export function dayOf(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

export interface HousekeepingResult {
  created: string[];
  dropped: string[];
}

/**
 * The dedupe window (ENGAGEMENT_DEDUPE_WINDOW, 7 days by default): an event id is remembered in the
 * `event_seen` partition of the UTC day it was first counted, and a day's partition is dropped once
 * the whole day is older than the window. An event whose own timestamp is older than the window is
 * refused as late, so an id that could have been forgotten is never counted again.
 */
@Injectable()
export class DedupeWindow {
  private readonly logger = new Logger('dedupe-window');
  private readonly made = new Set<string>();

  constructor(
    @Inject(CONFIG) private readonly config: AdloomConfig,
    private readonly repository: EngagementRepository,
    private readonly clock: Clock,
  ) {}

  get windowMs(): number {
    return this.config.ENGAGEMENT_DEDUPE_WINDOW;
  }

  /** True when an event of this timestamp is too old to dedupe reliably. */
  isLate(tsMs: number, nowMs = this.clock.nowMs()): boolean {
    return tsMs < nowMs - this.windowMs;
  }

  days(nowMs = this.clock.nowMs()): SeenDays {
    return { today: dayOf(nowMs), windowStart: dayOf(nowMs - this.windowMs) };
  }

  /** The days for a batch counted now, with today's partition made if this process has not seen it. */
  async ready(nowMs = this.clock.nowMs()): Promise<SeenDays> {
    const days = this.days(nowMs);
    if (!this.made.has(days.today)) await this.housekeep(nowMs);
    return days;
  }

  /** Makes the partitions of today and the next days, drops the ones past the window. */
  async housekeep(nowMs = this.clock.nowMs()): Promise<HousekeepingResult> {
    const { windowStart } = this.days(nowMs);
    const existing = await this.repository.seenPartitionDays();
    const wanted = Array.from({ length: DAYS_AHEAD + 1 }, (_, d) => dayOf(nowMs + d * DAY_MS));
    const created = wanted.filter((day) => !existing.includes(day));
    const dropped = existing.filter((day) => day < windowStart);
    await this.repository.createSeenPartitions(created);
    await this.repository.dropSeenPartitions(dropped);
    this.made.clear();
    for (const day of wanted) this.made.add(day);
    if (dropped.length) this.logger.log(`forgot the event ids of ${dropped.join(', ')}`);
    return { created, dropped };
  }
}
