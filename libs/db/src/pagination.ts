import { z } from 'zod';
import { CommonError } from '@adloom/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What `toPage` writes: `Date#toISOString`, four-digit years only. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Cursor pagination: the cursor is the last row's (created_at, id), opaque to clients. */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .max(200)
    .refine((raw) => decodeCursor(raw) !== undefined, { message: 'not a cursor this list gave out' })
    .optional(),
});
export type PageQuery = z.output<typeof pageQuerySchema>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Cursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

/** The cursor `encodeCursor` made, or undefined for anything else (checked before it reaches SQL). */
export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (!raw || raw.length > 200 || !BASE64URL.test(raw)) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 2) return undefined;
    const [createdAt, id] = decoded as unknown[];
    if (
      typeof createdAt === 'string' &&
      typeof id === 'string' &&
      TIMESTAMP.test(createdAt) &&
      !Number.isNaN(Date.parse(createdAt)) &&
      UUID.test(id)
    )
      return { createdAt, id };
  } catch {
    /* fall through */
  }
  return undefined;
}

/**
 * Runs a keyset-paginated query. `sql` must select `created_at` and `id`, filter with `$cursorClause`
 * and end with `ORDER BY created_at, id LIMIT $limit` (both placeholders are filled in here).
 */
export function pageSql(sql: string, params: unknown[], page: PageQuery): { sql: string; params: unknown[] } {
  const cursor = decodeCursor(page.cursor);
  if (page.cursor && !cursor) {
    throw new CommonError('validation_failed', 'query.cursor: not a cursor this list gave out', {
      field: 'query.cursor',
    });
  }
  const all = [...params];
  let cursorClause = 'TRUE';
  if (cursor) {
    all.push(cursor.createdAt, cursor.id);
    cursorClause = `(created_at, id) > ($${all.length - 1}::timestamptz, $${all.length}::uuid)`;
  }
  all.push(page.limit + 1);
  return { sql: sql.replace('$cursorClause', cursorClause).replace('$limit', `$${all.length}`), params: all };
}

export function toPage<Row extends { created_at: Date | string; id: string }, T>(
  rows: Row[],
  page: PageQuery,
  map: (row: Row) => T,
): Page<T> {
  const more = rows.length > page.limit;
  const items = more ? rows.slice(0, page.limit) : rows;
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor:
      more && last ? encodeCursor({ createdAt: new Date(last.created_at).toISOString(), id: last.id }) : null,
  };
}
