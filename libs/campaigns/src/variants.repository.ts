import { Injectable } from '@nestjs/common';
import { Db, Page, pageSql, Queryable, toPage } from '@adloom/db';
import { VariantListQuery } from './schemas';
import type { VariantState } from './state-machine';

export interface RenderRef {
  id: string;
  format: string;
  width: number;
  height: number;
  durationMs: number;
  bytes: number;
  s3Key: string;
  posterKey: string;
}

export interface VariantRow {
  id: string;
  workspace_id: string;
  campaign_id: string;
  wave_id: string;
  template_version_id: string;
  segment_id: string;
  locale: string;
  state: VariantState;
  failure_reason: string | null;
  review_reason: string | null;
  prompt: string;
  prompt_hash: string;
  copy: Record<string, unknown>;
  slots: Record<string, unknown>;
  parent_variant_id: string | null;
  generation: number;
  is_control: boolean;
  created_at: Date;
  updated_at: Date;
  renders: RenderRef[];
}

const SELECT = `SELECT v.id, v.workspace_id, v.campaign_id, v.wave_id, v.template_version_id, v.segment_id, v.locale,
    v.state, v.failure_reason, v.review_reason, v.prompt, v.prompt_hash, v.copy, v.slots, v.parent_variant_id,
    v.generation, v.is_control, v.created_at, v.updated_at,
    coalesce((SELECT json_agg(json_build_object('id', r.id, 'format', r.format, 'width', r.width,
                'height', r.height, 'durationMs', r.duration_ms, 'bytes', r.bytes, 's3Key', r.s3_key,
                'posterKey', r.poster_key) ORDER BY r.format)
              FROM render r WHERE r.variant_id = v.id), '[]') AS renders
  FROM variant v`;

@Injectable()
export class VariantsRepository {
  constructor(private readonly db: Db) {}

  async list(workspaceId: string, campaignId: string, query: VariantListQuery): Promise<Page<VariantRow>> {
    const q = pageSql(
      `${SELECT} WHERE v.workspace_id = $1 AND v.campaign_id = $2
         AND ($3::text IS NULL OR v.state = $3) AND ($4::uuid IS NULL OR v.segment_id = $4)
         AND ($5::text IS NULL OR v.locale = $5) AND $cursorClause
       ORDER BY created_at, id LIMIT $limit`,
      [workspaceId, campaignId, query.state ?? null, query.segmentId ?? null, query.locale ?? null],
      query,
    );
    return toPage(await this.db.query<VariantRow>(q.sql, q.params), query, (row) => row);
  }

  find(workspaceId: string, id: string, via?: Queryable): Promise<VariantRow | undefined> {
    return this.db.one<VariantRow>(
      `${SELECT} WHERE v.workspace_id = $1 AND v.id = $2`,
      [workspaceId, id],
      via,
    );
  }

  /** Locks the variants (and so serialises reviews of them); their campaign and state as they are now. */
  lock(
    workspaceId: string,
    ids: string[],
    via: Queryable,
  ): Promise<{ id: string; campaign_id: string; state: VariantState }[]> {
    return this.db.query(
      'SELECT id, campaign_id, state FROM variant WHERE workspace_id = $1 AND id = ANY($2::uuid[]) FOR UPDATE',
      [workspaceId, ids],
      via,
    );
  }

  readyIds(campaignId: string, via: Queryable): Promise<{ id: string }[]> {
    return this.db.query(
      `SELECT id FROM variant WHERE campaign_id = $1 AND state = 'ready' ORDER BY created_at, id FOR UPDATE`,
      [campaignId],
      via,
    );
  }

  async setState(
    ids: string[],
    state: VariantState,
    reviewReason: string | null,
    via: Queryable,
  ): Promise<void> {
    await this.db.query(
      'UPDATE variant SET state = $2, review_reason = $3, updated_at = now() WHERE id = ANY($1::uuid[])',
      [ids, state, reviewReason],
      via,
    );
  }
}
