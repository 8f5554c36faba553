import { Injectable } from '@nestjs/common';
import { Db, Page, PageQuery, pageSql, Queryable, toPage } from '@adloom/db';
import { CampaignError } from './campaigns.errors';
import { json, uniqueViolation } from './sql';

export interface SegmentRow {
  id: string;
  workspace_id: string;
  key: string;
  name: string;
  locales: string[];
  attributes: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export interface SegmentFields {
  key: string;
  name: string;
  locales: string[];
  attributes: Record<string, unknown>;
}

const COLUMNS = 'id, workspace_id, key, name, locales, attributes, created_at, updated_at';

function keyTaken(error: unknown, key: string | undefined, field = 'key'): never {
  if (uniqueViolation(error) !== undefined)
    throw new CampaignError('key_taken', `A segment with key "${key}" already exists.`, { field, key });
  throw error;
}

@Injectable()
export class SegmentsRepository {
  constructor(private readonly db: Db) {}

  async insert(workspaceId: string, segment: SegmentFields): Promise<SegmentRow> {
    try {
      const row = await this.db.one<SegmentRow>(
        `INSERT INTO segment (workspace_id, key, name, locales, attributes) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${COLUMNS}`,
        [workspaceId, segment.key, segment.name, segment.locales, json(segment.attributes)],
      );
      return row!;
    } catch (error) {
      keyTaken(error, segment.key);
    }
  }

  /** Inserts every segment or none; a key already taken names its row (`rows[3].key`). */
  async insertMany(workspaceId: string, segments: SegmentFields[], via: Queryable): Promise<SegmentRow[]> {
    const taken = await this.db.query<{ key: string }>(
      'SELECT key FROM segment WHERE workspace_id = $1 AND key = ANY($2::text[])',
      [workspaceId, segments.map((segment) => segment.key)],
      via,
    );
    if (taken.length > 0) {
      const index = segments.findIndex((segment) => segment.key === taken[0].key);
      keyTaken({ code: '23505' }, taken[0].key, `rows[${index}].key`);
    }
    try {
      return await this.db.query<SegmentRow>(
        `INSERT INTO segment (workspace_id, key, name, locales, attributes)
         SELECT $1, s.key, s.name, ARRAY(SELECT jsonb_array_elements_text(s.locales)), s.attributes
         FROM jsonb_to_recordset($2::jsonb) AS s(key text, name text, locales jsonb, attributes jsonb)
         RETURNING ${COLUMNS}`,
        [workspaceId, json(segments)],
        via,
      );
    } catch (error) {
      keyTaken(error, undefined, 'rows');
    }
  }

  find(workspaceId: string, id: string, via?: Queryable, lock = false): Promise<SegmentRow | undefined> {
    return this.db.one<SegmentRow>(
      `SELECT ${COLUMNS} FROM segment WHERE workspace_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`,
      [workspaceId, id],
      via,
    );
  }

  findMany(workspaceId: string, ids: string[], via?: Queryable): Promise<SegmentRow[]> {
    return this.db.query<SegmentRow>(
      `SELECT ${COLUMNS} FROM segment WHERE workspace_id = $1 AND id = ANY($2::uuid[])`,
      [workspaceId, ids],
      via,
    );
  }

  async list<T>(
    workspaceId: string,
    page: PageQuery & { key?: string },
    view: (row: SegmentRow) => T,
  ): Promise<Page<T>> {
    const q = pageSql(
      `SELECT ${COLUMNS} FROM segment WHERE workspace_id = $1 AND ($2::text IS NULL OR key = $2)
       AND $cursorClause ORDER BY created_at, id LIMIT $limit`,
      [workspaceId, page.key ?? null],
      page,
    );
    return toPage(await this.db.query<SegmentRow>(q.sql, q.params), page, view);
  }

  async update(
    workspaceId: string,
    id: string,
    changes: Partial<SegmentFields>,
    via: Queryable,
  ): Promise<SegmentRow> {
    try {
      const row = await this.db.one<SegmentRow>(
        `UPDATE segment SET
           key = coalesce($3, key),
           name = coalesce($4, name),
           locales = coalesce($5, locales),
           attributes = coalesce($6, attributes),
           updated_at = now()
         WHERE workspace_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [
          workspaceId,
          id,
          changes.key ?? null,
          changes.name ?? null,
          changes.locales ?? null,
          json(changes.attributes),
        ],
        via,
      );
      return row!;
    } catch (error) {
      keyTaken(error, changes.key);
    }
  }
}
