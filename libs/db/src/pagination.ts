import { z } from 'zod';

/** Cursor pagination: the cursor is the last row's (created_at, id), opaque to clients. */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
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

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (!raw) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof createdAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(createdAt)))
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
