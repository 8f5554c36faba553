import { Injectable } from '@nestjs/common';
import { Db } from '@adloom/db';
import { RenderRecord, StoredManifest } from './verification';

interface RenderRow {
  id: string;
  workspace_id: string;
  campaign_id: string;
  variant_id: string;
  format: string;
  s3_key: string;
  width: number;
  height: number;
  duration_ms: number;
  bytes: string;
  sha256: string;
  manifest: StoredManifest | null;
  created_at: Date;
}

export interface StoredRender extends RenderRecord {
  s3Key: string;
  durationMs: number;
  bytes: number;
}

const COLUMNS = `id, workspace_id, campaign_id, variant_id, format, s3_key, width, height, duration_ms, bytes, sha256,
  manifest, created_at`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toRender = (row: RenderRow): StoredRender => ({
  id: row.id,
  workspaceId: row.workspace_id,
  campaignId: row.campaign_id,
  variantId: row.variant_id,
  format: row.format,
  s3Key: row.s3_key,
  width: row.width,
  height: row.height,
  durationMs: row.duration_ms,
  bytes: Number(row.bytes),
  sha256: row.sha256,
  manifest: row.manifest,
  createdAt: row.created_at,
});

/**
 * Renders by id within a workspace, and across workspaces by hash or by the reference a file carries:
 * verification is about content anyone may hold, so its lookups are global (see verifyAnswer for what
 * is said to whom).
 */
@Injectable()
export class RendersRepository {
  constructor(private readonly db: Db) {}

  async findById(workspaceId: string, id: string): Promise<StoredRender | undefined> {
    const row = await this.db.one<RenderRow>(
      `SELECT ${COLUMNS} FROM render WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, id],
    );
    return row && toRender(row);
  }

  /** The render with these bytes; the caller's own first should two workspaces hold identical bytes. */
  async findBySha256(sha256: string, preferWorkspaceId: string): Promise<StoredRender | undefined> {
    const row = await this.db.one<RenderRow>(
      `SELECT ${COLUMNS} FROM render WHERE sha256 = $1
       ORDER BY (workspace_id = $2) DESC, created_at DESC LIMIT 1`,
      [sha256, preferWorkspaceId],
    );
    return row && toRender(row);
  }

  /** The render with id `reference`, or every render of the variant with that id. */
  async findByReference(reference: string): Promise<StoredRender[]> {
    if (!UUID.test(reference)) return [];
    const rows = await this.db.query<RenderRow>(
      `SELECT ${COLUMNS} FROM render WHERE id = $1 OR variant_id = $1 ORDER BY format`,
      [reference],
    );
    return rows.map(toRender);
  }
}
