import { EngagementEvent, EVENT_TYPES, EventType } from './events';

/**
 * One entry of the engagement stream: events of one workspace (a posted batch, up to
 * `EVENTS_PER_ENTRY`), or one pixel's event, whose workspace the consumer finds from its variant.
 */
export interface LogEntry {
  /** Empty for pixel events: the signed token names the variant, not the workspace. */
  workspaceId: string;
  source: 'api' | 'pixel';
  events: EngagementEvent[];
}

/** Posted batches are cut into entries of at most this many events. */
export const EVENTS_PER_ENTRY = 100;

type Tuple = [id: string, type: number, variantId: string, segment: string, ts: number, value?: number];
const TYPE_INDEX = new Map<EventType, number>(EVENT_TYPES.map((type, index) => [type, index]));

/** The stream fields of an entry: `s` source, `w` workspace, `e` the events as JSON tuples. */
export function encodeEntry(entry: LogEntry): string[] {
  const tuples = entry.events.map((event): Tuple => {
    const tuple: Tuple = [event.id, TYPE_INDEX.get(event.type)!, event.variantId, event.segment, event.ts];
    if (event.value !== undefined) tuple.push(event.value);
    return tuple;
  });
  return ['s', entry.source, 'w', entry.workspaceId, 'e', JSON.stringify(tuples)];
}

/** Reads the fields `encodeEntry` wrote; undefined for an entry in no shape it knows. */
export function decodeEntry(fields: readonly string[]): LogEntry | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  const source = map.get('s');
  const raw = map.get('e');
  if ((source !== 'api' && source !== 'pixel') || raw === undefined) return undefined;
  let tuples: unknown;
  try {
    tuples = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(tuples)) return undefined;
  const events: EngagementEvent[] = [];
  for (const tuple of tuples as Tuple[]) {
    const type = EVENT_TYPES[tuple[1]];
    if (!type) return undefined;
    const event: EngagementEvent = {
      id: tuple[0],
      type,
      variantId: tuple[2],
      segment: tuple[3],
      ts: tuple[4],
    };
    if (tuple.length > 5) event.value = tuple[5];
    events.push(event);
  }
  return { workspaceId: map.get('w') ?? '', source, events };
}
