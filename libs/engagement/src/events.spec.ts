import { CommonError } from '@adloom/common';
import { parseOrThrow } from '@adloom/http';
import {
  aggregateEvents,
  EngagementEvent,
  eventBatchSchema,
  hourOf,
  MAX_EVENTS_PER_BATCH,
  rollupKey,
  toRollupArrays,
} from './events';

const VARIANT_A = '0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b';
const VARIANT_B = '6f1c2a9e-5b7d-4c1e-9f3a-2d4b6c8e0a11';
const HOUR = Date.UTC(2027, 2, 14, 9);

function item(overrides: Record<string, unknown> = {}) {
  return {
    id: 'e1',
    type: 'impression',
    variantId: VARIANT_A,
    segment: 'young-urban',
    ts: HOUR + 1,
    ...overrides,
  };
}

function problemOf(body: unknown): {
  field?: string;
  detail: string;
  errors: { field: string; message: string }[];
} {
  try {
    parseOrThrow(eventBatchSchema, body);
  } catch (error) {
    if (!(error instanceof CommonError)) throw error;
    const { field, errors } = error.extras as {
      field?: string;
      errors: { field: string; message: string }[];
    };
    return { field, detail: error.detail, errors };
  }
  throw new Error('expected the batch to be refused');
}

describe('eventBatchSchema', () => {
  it('accepts ISO and epoch-millisecond timestamps and normalises them to milliseconds', () => {
    const { events } = eventBatchSchema.parse({
      events: [
        item({ id: 'a', ts: '2027-03-14T09:30:00Z' }),
        item({ id: 'b', ts: '2027-03-14T11:30:00.250+02:00' }),
        item({ id: 'c', ts: HOUR + 5, type: 'conversion', value: 19.99 }),
      ],
    });
    expect(events.map((event) => event.ts)).toEqual([HOUR + 30 * 60_000, HOUR + 30 * 60_000 + 250, HOUR + 5]);
    expect(events[2].value).toBe(19.99);
  });

  it('lower-cases variant ids so one variant has one rollup row', () => {
    const { events } = eventBatchSchema.parse({ events: [item({ variantId: VARIANT_A.toUpperCase() })] });
    expect(events[0].variantId).toBe(VARIANT_A);
  });

  it('names the offending field of the offending item', () => {
    const problem = problemOf({ events: [item(), item(), item(), item({ type: 'view' })] });
    expect(problem.field).toBe('events[3].type');
    expect(problem.errors).toHaveLength(1);
  });

  it.each([
    ['variantId', { variantId: 'not-a-uuid' }, /UUID/],
    ['segment', { segment: 'young urban!' }, /segment key/],
    ['id', { id: '' }, /.+/],
    ['id', { id: 'x'.repeat(129) }, /.+/],
    ['ts', { ts: 1_805_000_000 }, /looks like seconds/],
    ['ts', { ts: '2027-03-14 09:30' }, /time zone/],
    ['ts', { ts: true }, /ISO 8601 date-time or epoch milliseconds/],
    ['ts', { ts: HOUR + 0.5 }, /whole/],
    ['value', { value: '12' }, /number/],
  ])('refuses a bad %s', (field, change, message) => {
    const problem = problemOf({ events: [item(), item(change)] });
    expect(problem.field).toBe(`events[1].${field}`);
    expect(problem.errors[0].message).toMatch(message);
  });

  it(`takes at most ${MAX_EVENTS_PER_BATCH} events and at least one`, () => {
    const full = Array.from({ length: MAX_EVENTS_PER_BATCH }, (_, i) => item({ id: `e${i}` }));
    expect(eventBatchSchema.parse({ events: full }).events).toHaveLength(MAX_EVENTS_PER_BATCH);
    expect(problemOf({ events: [...full, item()] }).field).toBe('events');
    expect(problemOf({ events: [] }).field).toBe('events');
    expect(problemOf({}).field).toBe('events');
  });
});

describe('hourOf', () => {
  it.each([
    [HOUR, HOUR],
    [HOUR + 3_599_999, HOUR],
    [HOUR + 3_600_000, HOUR + 3_600_000],
    ['2027-03-14T09:59:59.999Z', HOUR],
    ['2027-03-14T11:15:00+02:00', HOUR],
    [new Date(HOUR + 42), HOUR],
  ])('%p → start of its UTC hour', (ts, expected) => {
    expect(hourOf(ts)).toBe(expected);
  });

  it('refuses what is not a time', () => {
    expect(() => hourOf('yesterday')).toThrow(RangeError);
  });
});

describe('aggregateEvents', () => {
  const event = (
    id: string,
    type: EngagementEvent['type'],
    extra: Partial<EngagementEvent> = {},
  ): EngagementEvent => ({
    id,
    type,
    variantId: VARIANT_A,
    segment: 'young-urban',
    ts: HOUR + 10,
    ...extra,
  });

  it('counts each event type in its column per variant × segment × hour', () => {
    const rollups = aggregateEvents([
      event('1', 'impression'),
      event('2', 'impression'),
      event('3', 'start'),
      event('4', 'firstQuartile'),
      event('5', 'midpoint'),
      event('6', 'thirdQuartile'),
      event('7', 'complete'),
      event('8', 'click'),
      event('9', 'conversion', { value: 20 }),
      event('10', 'conversion', { value: 5.5 }),
      event('11', 'conversion'),
      event('12', 'impression', { ts: HOUR + 3_600_000 }),
      event('13', 'impression', { segment: 'retirees' }),
      event('14', 'impression', { variantId: VARIANT_B }),
    ]);
    expect(rollups.size).toBe(4);
    expect(rollups.get(rollupKey(VARIANT_A, 'young-urban', HOUR))).toEqual({
      variantId: VARIANT_A,
      segment: 'young-urban',
      hour: HOUR,
      impressions: 2,
      starts: 1,
      q25: 1,
      q50: 1,
      q75: 1,
      completes: 1,
      clicks: 1,
      conversions: 3,
      conversionValue: 25.5,
    });
    expect(rollups.get(rollupKey(VARIANT_A, 'young-urban', HOUR + 3_600_000))?.impressions).toBe(1);
    expect(rollups.get(rollupKey(VARIANT_A, 'retirees', HOUR))?.impressions).toBe(1);
    expect(rollups.get(rollupKey(VARIANT_B, 'young-urban', HOUR))?.impressions).toBe(1);
  });

  it('counts an id once, and a value only on conversions', () => {
    const rollups = aggregateEvents([
      event('same', 'click'),
      event('same', 'click'),
      event('other', 'click', { value: 100 }),
    ]);
    const row = rollups.get(rollupKey(VARIANT_A, 'young-urban', HOUR));
    expect(row?.clicks).toBe(2);
    expect(row?.conversionValue).toBe(0);
  });
});

describe('toRollupArrays', () => {
  it('gives aligned column arrays sorted by variant, segment and hour', () => {
    const rollups = aggregateEvents([
      { id: '1', type: 'click', variantId: VARIANT_B, segment: 'a', ts: HOUR },
      { id: '2', type: 'impression', variantId: VARIANT_A, segment: 'b', ts: HOUR + 3_600_000 },
      { id: '3', type: 'impression', variantId: VARIANT_A, segment: 'b', ts: HOUR },
      { id: '4', type: 'conversion', variantId: VARIANT_A, segment: 'a', ts: HOUR, value: 3 },
    ]);
    expect(toRollupArrays(rollups.values())).toEqual({
      variantIds: [VARIANT_A, VARIANT_A, VARIANT_A, VARIANT_B],
      segments: ['a', 'b', 'b', 'a'],
      hours: [
        '2027-03-14T09:00:00.000Z',
        '2027-03-14T09:00:00.000Z',
        '2027-03-14T10:00:00.000Z',
        '2027-03-14T09:00:00.000Z',
      ],
      impressions: [0, 1, 1, 0],
      starts: [0, 0, 0, 0],
      q25: [0, 0, 0, 0],
      q50: [0, 0, 0, 0],
      q75: [0, 0, 0, 0],
      completes: [0, 0, 0, 0],
      clicks: [0, 0, 0, 1],
      conversions: [1, 0, 0, 0],
      conversionValues: [3, 0, 0, 0],
    });
  });

  it('gives empty arrays for no rows', () => {
    expect(toRollupArrays([]).variantIds).toEqual([]);
  });
});
