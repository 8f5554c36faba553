import { checkEvent } from './event-validation';
import { engagementEventSchema } from './events';

const VARIANT = '0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b';
const TS = Date.UTC(2026, 4, 1, 12, 30);

const valid = {
  id: 'evt-1',
  type: 'impression',
  variantId: VARIANT,
  segment: 'young-urban',
  ts: TS,
};

/** What the schema says, in the shape checkEvent answers. */
function bySchema(raw: unknown) {
  const result = engagementEventSchema.safeParse(raw);
  if (result.success) return { ok: true, event: result.data };
  const [issue] = result.error.issues;
  return { ok: false, field: issue.path.map((p) => `.${String(p)}`).join(''), message: issue.message };
}

describe('checkEvent', () => {
  it.each([
    ['a plain impression', valid],
    ['a conversion with a value', { ...valid, type: 'conversion', value: 19.99 }],
    ['an upper-case variant id', { ...valid, variantId: VARIANT.toUpperCase() }],
    ['an ISO timestamp', { ...valid, ts: '2026-05-01T12:30:00.000Z' }],
    ['an ISO timestamp with an offset', { ...valid, ts: '2026-05-01T14:30:00+02:00' }],
    ['the longest id', { ...valid, id: 'x'.repeat(128) }],
    ['the earliest timestamp', { ...valid, ts: Date.UTC(2000, 0, 1) }],
  ])('accepts %s with the same fields as the schema', (_, raw) => {
    const check = checkEvent(raw);
    const schema = bySchema(raw);
    expect(check.ok).toBe(true);
    if (!check.ok || !schema.ok) throw new Error('unreachable');
    expect({ ...check.event }).toEqual(schema.event);
  });

  it.each([
    ['an unknown type', '.type', { ...valid, type: 'view' }],
    ['a variant id that is not a UUID', '.variantId', { ...valid, variantId: 'v-1' }],
    ['a segment with spaces', '.segment', { ...valid, segment: 'young urban' }],
    ['seconds instead of milliseconds', '.ts', { ...valid, ts: 1_700_000_000 }],
    ['a fractional timestamp', '.ts', { ...valid, ts: TS + 0.5 }],
    ['a date without a zone', '.ts', { ...valid, ts: '2026-05-01T12:30:00' }],
    ['an empty id', '.id', { ...valid, id: '' }],
    ['an id over 128 characters', '.id', { ...valid, id: 'x'.repeat(129) }],
    ['a value that is a string', '.value', { ...valid, value: '19.99' }],
    ['a missing segment', '.segment', { ...valid, segment: undefined }],
  ])('rejects %s, naming %s', (_, field, raw) => {
    const check = checkEvent(raw);
    expect(check).toEqual(bySchema(raw));
    expect(check).toMatchObject({ ok: false, field });
  });

  it.each([null, 'impression', 42, [valid]])('rejects %p, which is not an object', (raw) => {
    expect(checkEvent(raw)).toMatchObject({ ok: false, field: '' });
  });
});
