import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import IORedis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Metrics } from '@adloom/ops';
import { DedupeWindow } from './dedupe-window';
import { EngagementLog, StreamEntry } from './engagement-log';
import { EventGroup, EventIntake } from './event-intake';
import { EngagementEvent } from './events';
import { VariantDirectory } from './variant-directory';

/** Events committed in one transaction at most; a read holding more is committed in several. */
const EVENTS_PER_COMMIT = 20_000;
const BLOCK_MS = 1_000;
const HOUSEKEEPING_INTERVAL_MS = 3_600_000;
const MAX_BACKOFF_MS = 5_000;
/** The workspace no variant belongs to: events of a variant that no longer exists are rejected under it. */
const NO_WORKSPACE = '00000000-0000-0000-0000-000000000000';

/**
 * The engagement stream's consumers (`adloom worker --queues engagement`): each reads a batch of
 * entries through the `rollups` group, counts them (dedupe + rollups in one Postgres transaction),
 * then acknowledges them. An entry is acknowledged only after its transaction committed, so a
 * consumer killed mid-batch leaves its entries pending; another consumer claims them (XAUTOCLAIM)
 * once they have been idle ENGAGEMENT_CLAIM_IDLE, and ids that were already counted count nothing
 * again. While Postgres is down the entries stay in the stream and the consumers retry with a
 * backoff; the backlog drains when it is back. Housekeeping of the dedupe window runs here hourly.
 */
@Injectable()
export class EngagementConsumer implements OnApplicationShutdown {
  private readonly logger = new Logger('engagement');
  private readonly name = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly loops: Promise<void>[] = [];
  private readonly connections: IORedis[] = [];
  private readonly malformed: Counter;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: AdloomConfig,
    private readonly log: EngagementLog,
    private readonly intake: EventIntake,
    private readonly variants: VariantDirectory,
    private readonly window: DedupeWindow,
    metrics: Metrics,
  ) {
    this.malformed = metrics.counter(
      'adloom_engagement_entries_malformed_total',
      'Engagement stream entries in no shape this version reads (acknowledged and skipped)',
    );
  }

  /** Starts ENGAGEMENT_CONSUMERS loops and the hourly housekeeping of the dedupe window. */
  async start(): Promise<void> {
    await this.window.housekeep();
    this.timer = setInterval(
      () => void this.window.housekeep().catch((error: Error) => this.logger.warn(error.message)),
      HOUSEKEEPING_INTERVAL_MS,
    ).unref();
    for (let i = 0; i < this.config.ENGAGEMENT_CONSUMERS; i++) {
      const connection = this.log.consumerConnection();
      this.connections.push(connection);
      await this.log.ensureGroup(connection);
      this.loops.push(this.run(connection, `${this.name}-${i}`));
    }
    this.logger.log(`consuming the engagement stream (${this.loops.length} consumers)`);
  }

  /** True from start until stop begins. */
  get running(): boolean {
    return this.loops.length > 0 && !this.stopping;
  }

  /** Stops reading; the batches in flight are committed and acknowledged first. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.wake?.();
    await Promise.all(this.loops);
    this.loops.length = 0;
    for (const connection of this.connections.splice(0)) connection.disconnect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /**
   * Counts everything in the stream now, in this process, and resolves when the stream is empty
   * (for tests and benchmarks that have no worker running).
   */
  async drain(): Promise<void> {
    const connection = this.log.consumerConnection();
    const consumer = `${this.name}-drain`;
    try {
      await this.log.ensureGroup(connection);
      for (;;) {
        let entries = await this.log.read(connection, consumer, this.config.ENGAGEMENT_READ_COUNT, {
          pending: true,
        });
        if (entries.length === 0)
          entries = await this.log.read(connection, consumer, this.config.ENGAGEMENT_READ_COUNT);
        if (entries.length === 0) return;
        await this.process(connection, entries);
      }
    } finally {
      connection.disconnect();
    }
  }

  private async run(connection: IORedis, consumer: string): Promise<void> {
    const count = this.config.ENGAGEMENT_READ_COUNT;
    let pending = true;
    let lastClaim = 0;
    let failures = 0;
    while (!this.stopping) {
      try {
        let entries: StreamEntry[] = [];
        if (Date.now() - lastClaim >= this.config.ENGAGEMENT_CLAIM_IDLE / 2) {
          lastClaim = Date.now();
          entries = await this.log.claim(connection, consumer, this.config.ENGAGEMENT_CLAIM_IDLE, count);
          // A full claim: a dead consumer may have left more; take them next.
          if (entries.length === count) lastClaim = 0;
        }
        if (entries.length === 0 && pending) {
          entries = await this.log.read(connection, consumer, count, { pending: true });
          if (entries.length === 0) pending = false;
        }
        if (entries.length === 0 && !pending)
          entries = await this.log.read(connection, consumer, count, { blockMs: BLOCK_MS });
        await this.process(connection, entries);
        failures = 0;
      } catch (error) {
        // The entries stay pending with this consumer: read them again after a pause.
        pending = true;
        failures++;
        this.logger.warn(`engagement batch not counted (retrying): ${(error as Error).message}`);
        await this.pause(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** Counts entries, EVENTS_PER_COMMIT events per transaction, acknowledging each part after its commit. */
  private async process(connection: IORedis, entries: readonly StreamEntry[]): Promise<void> {
    let part: StreamEntry[] = [];
    let events = 0;
    for (const item of entries) {
      part.push(item);
      events += item.entry?.events.length ?? 0;
      if (events >= EVENTS_PER_COMMIT) {
        await this.commit(connection, part);
        part = [];
        events = 0;
      }
    }
    await this.commit(connection, part);
  }

  private async commit(connection: IORedis, part: readonly StreamEntry[]): Promise<void> {
    if (part.length === 0) return;
    const groups = new Map<string, EventGroup & { events: EngagementEvent[] }>();
    const add = (workspaceId: string, source: EventGroup['source'], events: readonly EngagementEvent[]) => {
      const key = `${workspaceId}|${source}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { workspaceId, source, events: [] }));
      for (const event of events) group.events.push(event);
    };
    const pixels: EngagementEvent[] = [];
    for (const { entry } of part) {
      if (!entry) this.malformed.inc();
      else if (entry.workspaceId) add(entry.workspaceId, entry.source, entry.events);
      else for (const event of entry.events) pixels.push(event);
    }
    if (pixels.length > 0) {
      // A pixel's token names its variant; the variant names the workspace.
      const known = await this.variants.resolve(pixels.map((event) => event.variantId));
      for (const event of pixels)
        add(known.get(event.variantId)?.workspaceId ?? NO_WORKSPACE, 'pixel', [event]);
    }
    if (groups.size > 0) await this.intake.commit([...groups.values()]);
    await this.log.commit(
      connection,
      part.map((item) => item.id),
    );
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
