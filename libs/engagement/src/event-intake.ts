import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Clock } from '@adloom/common';
import { Metrics } from '@adloom/ops';
import { EngagementRepository, EventColumns, VariantDictionary } from './engagement.repository';
import { checkEvent } from './event-validation';
import { EngagementEvent, EVENT_TYPES, EventType, MAX_EVENTS_PER_BATCH } from './events';
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
  /** Events counted now: new ids of known variants. */
  accepted: number;
  /** Events whose id was counted before (in this batch or any earlier one); ignored. */
  duplicates: number;
  rejected: RejectedEvent[];
}

/** Events may run ahead of this server's clock by this much (players' clocks drift). */
const MAX_CLOCK_AHEAD_MS = 3_600_000;
const MS_PER_HOUR = 3_600_000;
const TYPE_INDEX = new Map<EventType, number>(EVENT_TYPES.map((type, index) => [type, index]));

/**
 * The one way engagement gets in, for the batch API and the pixels alike: each event id counts once
 * per workspace, ever; counted events are added to hourly rollups per campaign × variant × segment in
 * the hour of their own timestamp, so late events land in their own hour.
 */
@Injectable()
export class EventIntake {
  private readonly outcomes: Counter;

  constructor(
    private readonly repository: EngagementRepository,
    private readonly variants: VariantDirectory,
    private readonly clock: Clock,
    metrics: Metrics,
  ) {
    this.outcomes = metrics.counter(
      'adloom_engagement_events_total',
      'Engagement events received, by source and outcome (accepted, duplicate, rejected)',
      ['source', 'outcome'],
    );
  }

  /** Validates events as posted (`POST /v1/events`) and records the valid ones. */
  async ingest(
    workspaceId: string,
    raw: readonly unknown[],
    source: EventSource = 'api',
  ): Promise<IntakeResult> {
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
    const result = await this.write(workspaceId, events, positions, source);
    this.outcomes.labels(source, 'rejected').inc(rejected.length);
    return { ...result, rejected: [...rejected, ...result.rejected].sort((a, b) => a.index - b.index) };
  }

  /**
   * Records events already validated (ts in epoch milliseconds), in statements of at most 10,000.
   * Events of variants outside the workspace, or reported under another segment than the variant's,
   * are rejected; `index` in the result is the position in `events`.
   */
  record(workspaceId: string, events: readonly EngagementEvent[], source: EventSource = 'api') {
    return this.write(
      workspaceId,
      events,
      events.map((_, index) => index),
      source,
    );
  }

  private async write(
    workspaceId: string,
    events: readonly EngagementEvent[],
    positions: readonly number[],
    source: EventSource,
  ): Promise<IntakeResult> {
    const known = await this.variants.resolve(events.map((event) => event.variantId));
    const latest = this.clock.nowMs() + MAX_CLOCK_AHEAD_MS;
    const rejected: RejectedEvent[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    let accepted = 0;

    let batch = emptyBatch();
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      const index = positions[i];
      const variant = known.get(event.variantId);
      if (!variant || variant.workspaceId !== workspaceId) {
        rejected.push({ index, id: event.id, field: fieldOf(index, 'variantId'), reason: 'unknown variant' });
        continue;
      }
      if (variant.segmentKey !== event.segment) {
        rejected.push({
          index,
          id: event.id,
          field: fieldOf(index, 'segment'),
          reason: `variant ${variant.id} belongs to segment "${variant.segmentKey}"`,
        });
        continue;
      }
      if (event.ts > latest) {
        rejected.push({
          index,
          id: event.id,
          field: fieldOf(index, 'ts'),
          reason: 'more than an hour ahead',
        });
        continue;
      }
      if (seen.has(event.id)) {
        duplicates++;
        continue;
      }
      seen.add(event.id);
      addToBatch(batch, event, variant.campaignId, variant.segmentKey);
      if (batch.events.ids.length === MAX_EVENTS_PER_BATCH) {
        accepted += await this.repository.recordEvents(workspaceId, batch.events, batch.dictionary);
        batch = emptyBatch();
      }
    }
    accepted += await this.repository.recordEvents(workspaceId, batch.events, batch.dictionary);
    duplicates += seen.size - accepted;

    this.outcomes.labels(source, 'accepted').inc(accepted);
    this.outcomes.labels(source, 'duplicate').inc(duplicates);
    this.outcomes.labels(source, 'rejected').inc(rejected.length);
    return { accepted, duplicates, rejected };
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

function fieldOf(index: number, name: string): string {
  return `events[${index}].${name}`;
}
