import { decodeCursor, encodeCursor, pageQuerySchema, pageSql } from './pagination';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ID = '3f1c2a9e-4b7d-4c1e-9a3f-2b6d8e0f1a2c';

describe('cursors', () => {
  it('decodes what it encodes', () => {
    const cursor = { createdAt: '2026-01-02T03:04:05.678Z', id: ID };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(pageQuerySchema.parse({ cursor: encodeCursor(cursor) }).cursor).toBe(encodeCursor(cursor));
  });

  it.each([
    ['a non-UUID id', b64(['2026-01-02T03:04:05.678Z', 'not-a-uuid'])],
    ['SQL in the id', b64(['2026-01-02T03:04:05.678Z', "x'; DROP TABLE t; --"])],
    ['a non-date', b64(['yesterday', ID])],
    ['a five-digit year', b64(['20260-01-02T03:04:05.678Z', ID])],
    ['an object', b64({ createdAt: '2026-01-02T03:04:05.678Z', id: ID })],
    ['three items', b64(['2026-01-02T03:04:05.678Z', ID, 1])],
    ['numbers', b64([1, 2])],
    ['not base64url', 'a+b/c=='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
  ])('refuses %s before any SQL', (_, raw) => {
    expect(decodeCursor(raw)).toBeUndefined();
    expect(pageQuerySchema.safeParse({ cursor: raw }).success).toBe(false);
    expect(() =>
      pageSql('SELECT 1 WHERE $cursorClause LIMIT $limit', [], { limit: 10, cursor: raw }),
    ).toThrow(expect.objectContaining({ extras: { field: 'query.cursor' } }));
  });
});
