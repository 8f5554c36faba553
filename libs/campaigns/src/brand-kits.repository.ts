import { Injectable } from '@nestjs/common';
import { Db, Page, PageQuery, pageSql, Queryable, toPage } from '@adloom/db';
import { CampaignError } from './campaigns.errors';
import { json, uniqueViolation } from './sql';
import { CreateBrandKit, UpdateBrandKit } from './schemas';

export interface BrandKitRow {
  id: string;
  workspace_id: string;
  name: string;
  colors: Record<string, string>;
  font: string;
  logo_key: string | null;
  logo_content_type: string | null;
  music_key: string | null;
  disclaimer: string | null;
  ai_disclosure: Record<string, string>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, workspace_id, name, colors, font, logo_key, logo_content_type, music_key, disclaimer,
  ai_disclosure, version, created_at, updated_at`;

function nameTaken(error: unknown, name: string | undefined): never {
  if (uniqueViolation(error) !== undefined)
    throw new CampaignError('name_taken', `A brand kit named "${name}" already exists.`, { field: 'name' });
  throw error;
}

@Injectable()
export class BrandKitsRepository {
  constructor(private readonly db: Db) {}

  async insert(workspaceId: string, kit: CreateBrandKit): Promise<BrandKitRow> {
    try {
      const row = await this.db.one<BrandKitRow>(
        `INSERT INTO brand_kit (workspace_id, name, colors, font, disclaimer, ai_disclosure)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
        [workspaceId, kit.name, json(kit.colors), kit.font, kit.disclaimer, json(kit.aiDisclosure)],
      );
      return row!;
    } catch (error) {
      nameTaken(error, kit.name);
    }
  }

  find(workspaceId: string, id: string, via?: Queryable, lock = false): Promise<BrandKitRow | undefined> {
    return this.db.one<BrandKitRow>(
      `SELECT ${COLUMNS} FROM brand_kit WHERE workspace_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`,
      [workspaceId, id],
      via,
    );
  }

  /** The workspace's first brand kit: what previews use when no kit is named. */
  first(workspaceId: string): Promise<BrandKitRow | undefined> {
    return this.db.one<BrandKitRow>(
      `SELECT ${COLUMNS} FROM brand_kit WHERE workspace_id = $1 ORDER BY created_at, id LIMIT 1`,
      [workspaceId],
    );
  }

  async list<T>(workspaceId: string, page: PageQuery, view: (row: BrandKitRow) => T): Promise<Page<T>> {
    const q = pageSql(
      `SELECT ${COLUMNS} FROM brand_kit WHERE workspace_id = $1 AND $cursorClause ORDER BY created_at, id LIMIT $limit`,
      [workspaceId],
      page,
    );
    return toPage(await this.db.query<BrandKitRow>(q.sql, q.params), page, view);
  }

  async update(
    workspaceId: string,
    id: string,
    changes: UpdateBrandKit,
    via: Queryable,
  ): Promise<BrandKitRow> {
    try {
      const row = await this.db.one<BrandKitRow>(
        `UPDATE brand_kit SET
           name = coalesce($3, name),
           colors = coalesce($4, colors),
           font = coalesce($5, font),
           disclaimer = CASE WHEN $6 THEN $7 ELSE disclaimer END,
           ai_disclosure = coalesce($8, ai_disclosure),
           version = version + 1,
           updated_at = now()
         WHERE workspace_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [
          workspaceId,
          id,
          changes.name ?? null,
          json(changes.colors),
          changes.font ?? null,
          changes.disclaimer !== undefined,
          changes.disclaimer ?? null,
          json(changes.aiDisclosure),
        ],
        via,
      );
      return row!;
    } catch (error) {
      nameTaken(error, changes.name);
    }
  }

  async setMedia(
    workspaceId: string,
    id: string,
    media: { logoKey: string; logoContentType: string } | { musicKey: string },
  ): Promise<BrandKitRow | undefined> {
    const [sql, params] =
      'logoKey' in media
        ? ['logo_key = $3, logo_content_type = $4', [media.logoKey, media.logoContentType]]
        : ['music_key = $3', [media.musicKey]];
    return this.db.one<BrandKitRow>(
      `UPDATE brand_kit SET ${sql}, version = version + 1, updated_at = now()
       WHERE workspace_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [workspaceId, id, ...params],
    );
  }
}
