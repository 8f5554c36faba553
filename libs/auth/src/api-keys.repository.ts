import { Injectable } from '@nestjs/common';
import { Db, Page, PageQuery, pageSql, toPage } from '@adloom/db';
import { Role } from './keys';

export interface ApiKeyRow {
  id: string;
  workspace_id: string;
  name: string;
  prefix: string;
  role: Role;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export const toApiKeyView = (row: ApiKeyRow): ApiKeyView => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  role: row.role,
  createdAt: row.created_at.toISOString(),
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: Db) {}

  async ensureWorkspace(name: string): Promise<string> {
    const row = await this.db.one<{ id: string }>(
      `INSERT INTO workspace (name) VALUES ($1)
       ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [name],
    );
    return row!.id;
  }

  async insert(workspaceId: string, key: { name: string; prefix: string; hash: Buffer; role: Role }) {
    const row = await this.db.one<ApiKeyRow>(
      `INSERT INTO api_key (workspace_id, name, prefix, hash, role) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, workspace_id, name, prefix, role, created_at, last_used_at, revoked_at`,
      [workspaceId, key.name, key.prefix, key.hash, key.role],
    );
    return row!;
  }

  findActiveByHash(hash: Buffer) {
    return this.db.one<{ id: string; workspace_id: string; role: Role }>(
      `SELECT id, workspace_id, role FROM api_key WHERE hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
  }

  async countKeys(workspaceId: string): Promise<number> {
    const row = await this.db.one<{ n: number }>(
      'SELECT count(*)::int AS n FROM api_key WHERE workspace_id = $1',
      [workspaceId],
    );
    return row!.n;
  }

  async list(workspaceId: string, page: PageQuery): Promise<Page<ApiKeyView>> {
    const q = pageSql(
      `SELECT id, workspace_id, name, prefix, role, created_at, last_used_at, revoked_at FROM api_key
       WHERE workspace_id = $1 AND $cursorClause ORDER BY created_at, id LIMIT $limit`,
      [workspaceId],
      page,
    );
    return toPage(await this.db.query<ApiKeyRow>(q.sql, q.params), page, toApiKeyView);
  }

  async revoke(workspaceId: string, id: string): Promise<ApiKeyRow | undefined> {
    return this.db.one<ApiKeyRow>(
      `UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE workspace_id = $1 AND id = $2
       RETURNING id, workspace_id, name, prefix, role, created_at, last_used_at, revoked_at`,
      [workspaceId, id],
    );
  }

  async touch(ids: string[]): Promise<void> {
    if (ids.length)
      await this.db.query('UPDATE api_key SET last_used_at = now() WHERE id = ANY($1::uuid[])', [ids]);
  }
}
