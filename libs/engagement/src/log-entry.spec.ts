import { decodeEntry, encodeEntry, LogEntry } from './log-entry';

describe('engagement log entries', () => {
  it('reads back what it wrote: every event type, values, ids with any characters', () => {
    const entry: LogEntry = {
      workspaceId: '6f1c2a52-3c7e-4d1e-9f5e-0a8b2c4d6e8f',
      source: 'api',
      events: [
        {
          id: 'a"b\\c,{x}',
          type: 'impression',
          variantId: 'v1',
          segment: 'young-urban',
          ts: 1_764_000_000_000,
        },
        {
          id: 'conv-1',
          type: 'conversion',
          variantId: 'v2',
          segment: 'retirees',
          ts: 1_764_000_000_001,
          value: 19.99,
        },
        { id: 'click', type: 'click', variantId: 'v2', segment: 'retirees', ts: 1_764_000_000_002 },
      ],
    };
    expect(decodeEntry(encodeEntry(entry))).toEqual(entry);
    const pixel: LogEntry = { workspaceId: '', source: 'pixel', events: [entry.events[2]] };
    expect(decodeEntry(encodeEntry(pixel))).toEqual(pixel);
  });

  it('refuses entries in no shape it knows, rather than guessing', () => {
    expect(decodeEntry(['s', 'api', 'w', 'x'])).toBeUndefined();
    expect(decodeEntry(['s', 'other', 'e', '[]'])).toBeUndefined();
    expect(decodeEntry(['s', 'api', 'e', '{not json'])).toBeUndefined();
    expect(decodeEntry(['s', 'api', 'e', '[["id", 99, "v", "s", 1]]'])).toBeUndefined();
  });
});
