import { Injectable } from '@nestjs/common';
import { Db } from '@adloom/db';

export interface TagRow {
  id: string;
  workspaceId: string;
  campaignId: string;
  segmentKey: string;
  format: string | null;
  name: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

const COLUMNS = `id, workspace_id AS "workspaceId", campaign_id AS "campaignId", segment_key AS "segmentKey",
  format, name, created_at AS "createdAt", revoked_at AS "revokedAt"`;

/** The `tag` table: VAST tags per campaign × segment (× format), revoked by `revoked_at`. */
@Injectable()
export class TagsRepository {
  constructor(private readonly db: Db) {}

  /** Undefined when the workspace has no such campaign. */
  async insert(
    workspaceId: string,
    campaignId: string,
    tag: { segmentKey: string; format: string | null; name: string | null },
  ): Promise<TagRow | undefined> {
    return this.db.one<TagRow>(
      `INSERT INTO tag (workspace_id, campaign_id, segment_key, format, name)
       SELECT c.workspace_id, c.id, $3, $4, $5 FROM campaign c WHERE c.workspace_id = $1 AND c.id = $2
       RETURNING ${COLUMNS}`,
      [workspaceId, campaignId, tag.segmentKey, tag.format, tag.name],
    );
  }

  list(workspaceId: string, campaignId: string): Promise<TagRow[]> {
    return this.db.query<TagRow>(
      `SELECT ${COLUMNS} FROM tag WHERE workspace_id = $1 AND campaign_id = $2 ORDER BY created_at, id`,
      [workspaceId, campaignId],
    );
  }

  /** Sets `revoked_at` once (a second revoke keeps the first time); undefined when there is no such tag. */
  revoke(workspaceId: string, campaignId: string, tagId: string): Promise<TagRow | undefined> {
    return this.db.one<TagRow>(
      `UPDATE tag SET revoked_at = coalesce(revoked_at, now())
       WHERE workspace_id = $1 AND campaign_id = $2 AND id = $3 RETURNING ${COLUMNS}`,
      [workspaceId, campaignId, tagId],
    );
  }

  /** The tags among `ids` that exist, revoked or not (the edge's refresh: one query for all it holds). */
  byIds(ids: readonly string[]): Promise<TagRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.query<TagRow>(`SELECT ${COLUMNS} FROM tag WHERE id = ANY($1::uuid[])`, [ids]);
  }
}
