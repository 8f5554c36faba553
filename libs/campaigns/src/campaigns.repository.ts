import { Injectable } from '@nestjs/common';
import { Db, Page, PageQuery, pageSql, Queryable, toPage } from '@adloom/db';
import type { CampaignStatus } from './state-machine';

export interface CampaignTemplateRef {
  templateId: string;
  templateVersionId: string;
  version: number;
  name: string;
}

export interface CampaignRow {
  id: string;
  workspace_id: string;
  name: string;
  status: CampaignStatus;
  objective: string;
  formats: string[];
  generator: string;
  model: string;
  fallbacks: string[];
  duration_ms: number;
  budget_max_variants: number;
  budget_max_generation_seconds: string;
  budget_max_cost: string | null;
  landing_url: string;
  brand_kit_id: string | null;
  ad_verifications: AdVerification[];
  version: number;
  created_at: Date;
  updated_at: Date;
  templates: CampaignTemplateRef[];
  segment_ids: string[];
  variant_counts: Record<string, number>;
}

/** The columns a create or a PATCH writes. */
export interface CampaignColumns {
  name: string;
  objective: string;
  formats: string[];
  generator: string;
  model: string;
  fallbacks: string[];
  durationMs: number;
  budget: { maxVariants: number; maxGenerationSeconds: number; maxCost?: number | null };
  landingUrl: string;
  brandKitId: string | null;
  adVerifications: AdVerification[];
}

export interface AdVerification {
  vendor: string;
  scriptUrl: string;
  parameters?: string;
}

const SELECT = `SELECT c.id, c.workspace_id, c.name, c.status, c.objective, c.formats, c.generator, c.model,
    c.fallbacks, c.duration_ms, c.budget_max_variants, c.budget_max_generation_seconds, c.budget_max_cost, c.landing_url, c.brand_kit_id,
    c.ad_verifications, c.version, c.created_at, c.updated_at,
    coalesce((SELECT json_agg(json_build_object('templateId', tv.template_id, 'templateVersionId', tv.id,
                'version', tv.version, 'name', t.name) ORDER BY ct.position)
              FROM campaign_template ct
              JOIN template_version tv ON tv.id = ct.template_version_id
              JOIN template t ON t.id = tv.template_id
              WHERE ct.campaign_id = c.id), '[]') AS templates,
    coalesce((SELECT json_agg(cs.segment_id ORDER BY cs.position) FROM campaign_segment cs
              WHERE cs.campaign_id = c.id), '[]') AS segment_ids,
    coalesce((SELECT json_object_agg(s.state, s.n) FROM
                (SELECT v.state, count(*)::int AS n FROM variant v WHERE v.campaign_id = c.id GROUP BY v.state) s),
             '{}') AS variant_counts
  FROM campaign c`;

@Injectable()
export class CampaignsRepository {
  constructor(private readonly db: Db) {}

  async insert(workspaceId: string, columns: CampaignColumns, via: Queryable): Promise<string> {
    const row = await this.db.one<{ id: string }>(
      `INSERT INTO campaign (workspace_id, name, objective, formats, generator, model, duration_ms,
         budget_max_variants, budget_max_generation_seconds, landing_url, brand_kit_id, fallbacks, budget_max_cost,
         ad_verifications)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb) RETURNING id`,
      [
        workspaceId,
        columns.name,
        columns.objective,
        columns.formats,
        columns.generator,
        columns.model,
        columns.durationMs,
        columns.budget.maxVariants,
        columns.budget.maxGenerationSeconds,
        columns.landingUrl,
        columns.brandKitId,
        columns.fallbacks,
        columns.budget.maxCost ?? null,
        JSON.stringify(columns.adVerifications),
      ],
      via,
    );
    return row!.id;
  }

  async update(
    workspaceId: string,
    id: string,
    changes: Partial<CampaignColumns>,
    via: Queryable,
  ): Promise<void> {
    await this.db.query(
      `UPDATE campaign SET
         name = coalesce($3, name),
         objective = coalesce($4, objective),
         formats = coalesce($5, formats),
         generator = coalesce($6, generator),
         model = coalesce($7, model),
         duration_ms = coalesce($8, duration_ms),
         budget_max_variants = coalesce($9, budget_max_variants),
         budget_max_generation_seconds = coalesce($10, budget_max_generation_seconds),
         landing_url = coalesce($11, landing_url),
         brand_kit_id = CASE WHEN $12 THEN $13::uuid ELSE brand_kit_id END,
         fallbacks = coalesce($14, fallbacks),
         budget_max_cost = CASE WHEN $15 THEN $16::numeric ELSE budget_max_cost END,
         ad_verifications = coalesce($17::jsonb, ad_verifications),
         version = version + 1,
         updated_at = now()
       WHERE workspace_id = $1 AND id = $2`,
      [
        workspaceId,
        id,
        changes.name ?? null,
        changes.objective ?? null,
        changes.formats ?? null,
        changes.generator ?? null,
        changes.model ?? null,
        changes.durationMs ?? null,
        changes.budget?.maxVariants ?? null,
        changes.budget?.maxGenerationSeconds ?? null,
        changes.landingUrl ?? null,
        changes.brandKitId !== undefined,
        changes.brandKitId ?? null,
        changes.fallbacks ?? null,
        changes.budget !== undefined,
        changes.budget?.maxCost ?? null,
        changes.adVerifications ? JSON.stringify(changes.adVerifications) : null,
      ],
      via,
    );
  }

  async replaceTemplates(campaignId: string, templateVersionIds: string[], via: Queryable): Promise<void> {
    await this.db.query('DELETE FROM campaign_template WHERE campaign_id = $1', [campaignId], via);
    await this.db.query(
      `INSERT INTO campaign_template (campaign_id, template_version_id, position)
       SELECT $1, id, ordinality::int FROM unnest($2::uuid[]) WITH ORDINALITY AS t(id, ordinality)`,
      [campaignId, templateVersionIds],
      via,
    );
  }

  async replaceSegments(campaignId: string, segmentIds: string[], via: Queryable): Promise<void> {
    await this.db.query('DELETE FROM campaign_segment WHERE campaign_id = $1', [campaignId], via);
    await this.db.query(
      `INSERT INTO campaign_segment (campaign_id, segment_id, position)
       SELECT $1, id, ordinality::int FROM unnest($2::uuid[]) WITH ORDINALITY AS s(id, ordinality)`,
      [campaignId, segmentIds],
      via,
    );
  }

  find(workspaceId: string, id: string, via?: Queryable): Promise<CampaignRow | undefined> {
    return this.db.one<CampaignRow>(
      `${SELECT} WHERE c.workspace_id = $1 AND c.id = $2`,
      [workspaceId, id],
      via,
    );
  }

  /** Locks the campaign row for the rest of the transaction; its status and version as they are now. */
  lock(
    workspaceId: string,
    id: string,
    via: Queryable,
  ): Promise<{ status: CampaignStatus; version: number } | undefined> {
    return this.db.one(
      'SELECT status, version FROM campaign WHERE workspace_id = $1 AND id = $2 FOR UPDATE',
      [workspaceId, id],
      via,
    );
  }

  async setStatus(workspaceId: string, id: string, status: CampaignStatus, via: Queryable): Promise<void> {
    await this.db.query(
      `UPDATE campaign SET status = $3, version = version + 1, updated_at = now() WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, id, status],
      via,
    );
  }

  async countVariants(campaignId: string, state: string, via?: Queryable): Promise<number> {
    const row = await this.db.one<{ n: number }>(
      'SELECT count(*)::int AS n FROM variant WHERE campaign_id = $1 AND state = $2',
      [campaignId, state],
      via,
    );
    return row!.n;
  }

  async list<T>(
    workspaceId: string,
    page: PageQuery & { status?: CampaignStatus },
    view: (row: CampaignRow) => T,
  ): Promise<Page<T>> {
    const q = pageSql(
      `${SELECT} WHERE c.workspace_id = $1 AND ($2::text IS NULL OR c.status = $2) AND $cursorClause
       ORDER BY created_at, id LIMIT $limit`,
      [workspaceId, page.status ?? null],
      page,
    );
    return toPage(await this.db.query<CampaignRow>(q.sql, q.params), page, view);
  }
}
