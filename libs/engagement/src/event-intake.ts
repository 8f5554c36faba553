import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Clock } from '@adloom/common';
import { Db, Queryable } from '@adloom/db';
import { Metrics } from '@adloom/ops';
import { DedupeWindow } from './dedupe-window';
import { EngagementLog } from './engagement-log';
import {
  EngagementRepository,
  EventColumns,
  SeenDays,
  VariantDictionary,
  VariantRef,
} from './engagement.repository';
import { checkEvent } from './event-validation';
import { EngagementEvent, EVENT_TYPES, EventType, MAX_EVENTS_PER_BATCH } from './events';
import { EVENTS_PER_ENTRY, LogEntry } from './log-entry';
import { VariantDirectory } from './variant-directory';

export type EventSource = 'api' | 'pixel';

export interface RejectedEvent {
  /** Position in the batch as sent. */
  index: number;
  id?: string;
  /** The offending field, e.g. `events[3].type`. */
  field?: string;
  reason: string;
}

export interface IntakeResult {
  /** Events taken: new ids of known variants. */
  accepted: number;
  /** Events whose id was taken before (in this batch or, when counted, any earlier one); ignored. */
  duplicates: number;
  rejected: RejectedEvent[];
}

/** Events of one workspace, as the consumer hands them over. */
export interface EventGroup {
  workspaceId: string;
  source: EventSource;
  events: readonly EngagementEvent[];
}

/** Events may run ahead of this server's clock by this much (players' clocks drift). */
const MAX_CLOCK_AHEAD_MS = 3_600_000;
const MS_PER_HOUR = 3_600_000;
const DAY_MS = 86_400_000;
const TYPE_INDEX = new Map<EventType, number>(EVENT_TYPES.map((type, index) => [type, index]));

/**
 * The one way engagement gets in, for the batch API and the pixels alike. `ingest` (the batch API)
 * checks each event and appends the valid ones to the engagement log, answering once Redis has
 * them; the consumer then `commit`s them: each event id counts once per workspace within the dedupe
 * window, counted events are added to hourly rollups per campaign × variant × segment in the hour
 * of their own timestamp, so late events land in their own hour.
 */
@Injectable()
export class EventIntake {
  private readonly outcomes: Counter;

  constructor(
    private readonly repository: EngagementRepository,
    private readonly variants: VariantDirectory,
    private readonly log: EngagementLog,
    private readonly window: DedupeWindow,
    private readonly db: Db,
    private readonly clock: Clock,
    metrics: Metrics,
  ) {
    this.outcomes = metrics.counter(
      'adloom_engagement_events_total',
      'Engagement events by source and outcome: appended to the log, then counted, duplicate or rejected',
      ['source', 'outcome'],
    );
  }

  /**
   * Validates events as posted (`POST /v1/events`) and appends the valid ones to the log; resolves
   * when Redis has them. `accepted` are the events appended, `duplicates` the ids repeated within
   * this batch; ids counted before are found (and skipped) when the consumer counts them.
   */
  async ingest(workspaceId: string, raw: readonly unknown[]): Promise<IntakeResult> {
    const events: EngagementEvent[] = [];
    const positions: number[] = [];
    const rejected: RejectedEvent[] = [];
    raw.forEach((item, index) => {
      const check = checkEvent(item);
      if (check.ok) {
        events.push(check.event);
        positions.push(index);
      } else {
        const id = (item as { id?: unknown } | null)?.id;
        rejected.push({
          index,
          // Only an id that could be one is echoed: the answer stays small whatever was sent.
          id: typeof id === 'string' && id.length <= 128 ? id : undefined,
          field: `events[${index}]${check.field}`,
          reason: check.message,
        });
      }
    });
    const checked = await this.check(workspaceId, events, positions, true);
    const entries: LogEntry[] = [];
    for (let i = 0; i < checked.fresh.length; i += EVENTS_PER_ENTRY)
      entries.push({
        workspaceId,
        source: 'api',
        events: checked.fresh.slice(i, i + EVENTS_PER_ENTRY).map(({ event }) => event),
      });
    await this.log.append(entries);
    this.outcomes.labels('api', 'appended').inc(checked.fresh.length);
    this.outcomes.labels('api', 'rejected').inc(rejected.length + checked.rejected.length);
    return {
      accepted: checked.fresh.length,
      duplicates: checked.duplicates,
      rejected: [...rejected, ...checked.rejected].sort((a, b) => a.index - b.index),
    };
  }

  /**
   * Counts events already validated (ts in epoch milliseconds) straight into Postgres, bypassing the
   * log: for code that holds events itself (the demo, tests). Events of variants outside the
   * workspace, or reported under another segment than the variant's, are rejected; `index` in the
   * result is the position in `events`.
   */
  async record(workspaceId: string, events: readonly EngagementEvent[], source: EventSource = 'api') {
    const days = await this.window.ready();
    return this.db.transaction((tx) => this.count({ workspaceId, source, events }, days, tx));
  }

  /**
   * Counts groups of events from the log in one transaction: dedupe and rollups commit together or
   * not at all, so entries acknowledged after this are counted exactly once.
   */
  async commit(groups: readonly EventGroup[]): Promise<IntakeResult> {
    const days = await this.window.ready();
    const results = await this.db.transaction(async (tx) => {
      const out: IntakeResult[] = [];
      for (const group of groups) out.push(await this.count(group, days, tx));
      return out;
    });
    return {
      accepted: results.reduce((sum, r) => sum + r.accepted, 0),
      duplicates: results.reduce((sum, r) => sum + r.duplicates, 0),
      rejected: results.flatMap((r) => r.rejected),
    };
  }

  private async count(group: EventGroup, days: SeenDays, tx: Queryable): Promise<IntakeResult> {
    const { workspaceId, source, events } = group;
    const checked = await this.check(
      workspaceId,
      events,
      events.map((_, index) => index),
      false,
    );
    let accepted = 0;
    for (let i = 0; i < checked.fresh.length; i += MAX_EVENTS_PER_BATCH) {
      const batch = emptyBatch();
      for (const { event, variant } of checked.fresh.slice(i, i + MAX_EVENTS_PER_BATCH))
        addToBatch(batch, event, variant.campaignId, variant.segmentKey);
      accepted += await this.repository.recordEvents(workspaceId, batch.events, batch.dictionary, days, tx);
    }
    const duplicates = checked.duplicates + checked.fresh.length - accepted;
    this.outcomes.labels(source, 'counted').inc(accepted);
    this.outcomes.labels(source, 'duplicate').inc(duplicates);
    this.outcomes.labels(source, 'rejected').inc(checked.rejected.length);
    return { accepted, duplicates, rejected: checked.rejected };
  }

  /** Each event against its variant, the clock and the window; ids repeated in `events` count once. */
  private async check(
    workspaceId: string,
    events: readonly EngagementEvent[],
    positions: readonly number[],
    refuseLate: boolean,
  ) {
    const known = await this.variants.resolve(events.map((event) => event.variantId));
    const now = this.clock.nowMs();
    const latest = now + MAX_CLOCK_AHEAD_MS;
    const rejected: RejectedEvent[] = [];
    const fresh: { event: EngagementEvent; variant: VariantRef }[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      const index = positions[i];
      const variant = known.get(event.variantId);
      const reject = (name: string, reason: string) =>
        rejected.push({ index, id: event.id, field: `events[${index}].${name}`, reason });
      if (!variant || variant.workspaceId !== workspaceId) reject('variantId', 'unknown variant');
      else if (variant.segmentKey !== event.segment)
        reject('segment', `variant ${variant.id} belongs to segment "${variant.segmentKey}"`);
      else if (event.ts > latest) reject('ts', 'more than an hour ahead');
      else if (refuseLate && this.window.isLate(event.ts, now))
        reject(
          'ts',
          `late: older than the ${Math.round(this.window.windowMs / DAY_MS)}-day dedupe window, so it cannot be counted once`,
        );
      else if (seen.has(event.id)) duplicates++;
      else {
        seen.add(event.id);
        fresh.push({ event, variant });
      }
    }
    return { fresh, rejected, duplicates };
  }
}

interface Batch {
  events: EventColumns;
  dictionary: VariantDictionary;
  /** Variant id → its 1-based position in the dictionary. */
  positions: Map<string, number>;
}

function emptyBatch(): Batch {
  return {
    events: { ids: [], variants: [], types: [], hours: [], values: [] },
    dictionary: { variantIds: [], campaignIds: [], segmentKeys: [] },
    positions: new Map(),
  };
}

function addToBatch(batch: Batch, event: EngagementEvent, campaignId: string, segmentKey: string): void {
  let position = batch.positions.get(event.variantId);
  if (position === undefined) {
    batch.dictionary.variantIds.push(event.variantId);
    batch.dictionary.campaignIds.push(campaignId);
    batch.dictionary.segmentKeys.push(segmentKey);
    position = batch.dictionary.variantIds.length;
    batch.positions.set(event.variantId, position);
  }
  const { events } = batch;
  events.ids.push(event.id);
  events.variants.push(position);
  events.types.push(TYPE_INDEX.get(event.type)!);
  events.hours.push(Math.floor(event.ts / MS_PER_HOUR));
  events.values.push(event.type === 'conversion' && event.value !== undefined ? event.value : null);
}
