import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import IORedis from 'ioredis';
import { once } from 'node:events';
import { Gauge } from 'prom-client';
import { Clock } from '@adloom/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Metrics } from '@adloom/ops';
import { EngagementError } from './engagement.errors';
import { decodeEntry, encodeEntry, LogEntry } from './log-entry';

/** The consumer group that turns the stream into rollups. */
export const ROLLUP_GROUP = 'rollups';
/** An answer from Redis slower than this counts as Redis being down: the caller gets a 503. */
const APPEND_TIMEOUT_MS = 2_000;

export interface StreamEntry {
  /** The stream id, `<ms>-<seq>`. */
  id: string;
  /** Undefined for an entry in no shape this version reads. */
  entry: LogEntry | undefined;
}

type RawEntries = [id: string, fields: string[]][];

/**
 * The engagement event log: a Redis Stream (on a Redis with AOF, DESIGN.md §4). Producers `append`
 * and resolve only once Redis has the entry; XADDs issued in one event-loop turn go as one pipeline.
 * When Redis is unreachable, `append` fails at once with `engagement_log_unavailable` (503) instead
 * of waiting in a queue the process could lose. Consumers read through the `rollups` group, each on
 * its own connection (reads block), and `commit` (XACK + XDEL) what Postgres has: the stream holds
 * exactly the entries not yet counted, and its length and oldest entry's age are gauges in /metrics.
 */
@Injectable()
export class EngagementLog implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('engagement-log');
  readonly key: string;
  private producer: IORedis | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: AdloomConfig,
    private readonly clock: Clock,
    metrics: Metrics,
  ) {
    this.key = `${config.QUEUE_PREFIX}:engagement`;
    const backlog = () => this.backlogOrUndefined();
    const gauges: [
      name: string,
      help: string,
      value: (b: { length: number; oldestAgeMs: number }) => number,
    ][] = [
      [
        'adloom_engagement_stream_length',
        'Engagement stream entries not yet counted in the rollups (each one pixel or up to 100 posted events)',
        (b) => b.length,
      ],
      [
        'adloom_engagement_stream_oldest_age_seconds',
        'Age of the oldest engagement stream entry not yet counted in the rollups (0 when none waits)',
        (b) => b.oldestAgeMs / 1000,
      ],
    ];
    for (const [name, help, value] of gauges) {
      if (metrics.registry.getSingleMetric(name)) continue;
      new Gauge({
        name,
        help,
        registers: [metrics.registry],
        async collect() {
          const figures = await backlog();
          if (figures) this.set(value(figures));
        },
      });
    }
  }

  /** Connects before the process serves (for up to APPEND_TIMEOUT_MS): the first pixels need no 503. */
  async onModuleInit(): Promise<void> {
    if (!this.config.REDIS_URL) return;
    const producer = new IORedis(this.config.REDIS_URL, {
      enableAutoPipelining: true,
      // Fail, never wait: an event is acknowledged only once Redis has it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: APPEND_TIMEOUT_MS,
    });
    producer.on('error', (error: Error) => this.logger.debug(`redis: ${error.message}`));
    this.producer = producer;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      // `once` rejects on an 'error' event: Redis not there yet is not a reason to stop booting.
      once(producer, 'ready').catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, APPEND_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
  }

  onApplicationShutdown(): void {
    this.producer?.disconnect();
  }

  /** Appends entries; resolves when Redis has every one (in the AOF within a second). */
  async append(entries: readonly LogEntry[]): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new EngagementError('engagement_log_unavailable', 'REDIS_URL is not set.');
    try {
      await Promise.all(entries.map((entry) => producer.xadd(this.key, '*', ...encodeEntry(entry))));
    } catch (error) {
      throw new EngagementError(
        'engagement_log_unavailable',
        'The engagement log (Redis) cannot take events now; nothing was recorded. Send them again shortly.',
        { reason: (error as Error).message },
      );
    }
  }

  /** Stream entries not yet counted, and how old the oldest is. */
  async backlog(): Promise<{ length: number; oldestAgeMs: number }> {
    const producer = this.producer!;
    const [length, first] = await Promise.all([
      producer.xlen(this.key),
      producer.xrange(this.key, '-', '+', 'COUNT', 1),
    ]);
    const oldest = first[0] ? Number(first[0][0].split('-')[0]) : undefined;
    return { length, oldestAgeMs: oldest === undefined ? 0 : Math.max(0, this.clock.nowMs() - oldest) };
  }

  private backlogOrUndefined() {
    return this.producer ? this.backlog().catch(() => undefined) : Promise.resolve(undefined);
  }

  /** A connection of its own for one consumer: reads block it, and it retries until Redis is back. */
  consumerConnection(): IORedis {
    const client = new IORedis(this.config.REDIS_URL!, { maxRetriesPerRequest: null });
    client.on('error', (error: Error) => this.logger.debug(`redis: ${error.message}`));
    return client;
  }

  async ensureGroup(client: IORedis): Promise<void> {
    try {
      await client.xgroup('CREATE', this.key, ROLLUP_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
  }

  /**
   * Entries for `consumer`: new ones (`>`, waiting up to `blockMs`), or with `pending` the ones it
   * was given before and has not committed.
   */
  async read(
    client: IORedis,
    consumer: string,
    count: number,
    options: { pending?: boolean; blockMs?: number } = {},
  ): Promise<StreamEntry[]> {
    const args: (string | number)[] = ['GROUP', ROLLUP_GROUP, consumer, 'COUNT', count];
    if (options.blockMs !== undefined && !options.pending) args.push('BLOCK', options.blockMs);
    args.push('STREAMS', this.key, options.pending ? '0' : '>');
    let reply: [string, RawEntries][] | null;
    try {
      reply = (await client.call('XREADGROUP', ...args)) as [string, RawEntries][] | null;
    } catch (error) {
      // The stream or its group went away (a flushed Redis): make them again.
      if (!/NOGROUP/.test((error as Error).message)) throw error;
      await this.ensureGroup(client);
      return [];
    }
    return reply ? toEntries(reply[0][1]) : [];
  }

  /** Takes over entries another consumer (one that died) has held for at least `minIdleMs`. */
  async claim(client: IORedis, consumer: string, minIdleMs: number, count: number): Promise<StreamEntry[]> {
    const reply = (await client.call(
      'XAUTOCLAIM',
      this.key,
      ROLLUP_GROUP,
      consumer,
      minIdleMs,
      '0-0',
      'COUNT',
      count,
    )) as [string, RawEntries];
    return toEntries(reply[1]);
  }

  /** Acknowledges and removes entries whose events Postgres has committed. */
  async commit(client: IORedis, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const results = await client
      .multi()
      .xack(this.key, ROLLUP_GROUP, ...ids)
      .xdel(this.key, ...ids)
      .exec();
    const failed = results?.find(([error]) => error)?.[0];
    if (failed) throw failed;
  }
}

function toEntries(raw: RawEntries): StreamEntry[] {
  // XAUTOCLAIM answers a deleted entry as [id, null].
  return raw.map(([id, fields]) => ({ id, entry: fields ? decodeEntry(fields) : undefined }));
}
