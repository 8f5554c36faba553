import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '@adloom/db';
import type { BrandKitData } from '@adloom/campaigns';

export interface CampaignForPlan {
  id: string;
  workspace_id: string;
  status: string;
  generator: string;
  model: string;
  fallbacks: string[];
  formats: string[];
  duration_ms: number;
  budget_max_variants: number;
  budget_max_generation_seconds: string;
  budget_max_cost: string | null;
  brand_kit_id: string | null;
}

export interface TemplateVersionForPlan {
  id: string;
  template_id: string;
  version: number;
  prompt: string;
  headline: string;
  cta: string;
  captions: { startMs: number; endMs: number; text: string }[];
  variables: unknown[];
  locales: Record<string, Record<string, string>>;
  alternatives: Record<string, unknown>;
}

export interface SegmentForPlan {
  id: string;
  key: string;
  name: string;
  locales: string[];
  attributes: Record<string, unknown>;
  position: number;
}

export interface NewVariant {
  id: string;
  templateVersionId: string;
  segmentId: string;
  locale: string;
  prompt: string;
  promptHash: string;
  copy: unknown;
  slots: unknown;
  parentVariantId: string | null;
  generation: number;
}

/** Identifies one combination of template version, segment, locale and slot choices. */
export function slotKey(
  templateVersionId: string,
  segmentId: string,
  locale: string,
  slots: Record<string, number>,
) {
  const sorted = Object.keys(slots)
    .sort()
    .map((k) => `${k}=${slots[k]}`)
    .join(',');
  return `${templateVersionId}|${segmentId}|${locale}|${sorted}`;
}

export const IN_FLIGHT = ['queued', 'generating', 'composing'] as const;

@Injectable()
export class PlannerRepository {
  constructor(private readonly db: Db) {}

  lockCampaign(workspaceId: string, campaignId: string, tx: Queryable) {
    return this.db.one<CampaignForPlan>(
      `SELECT id, workspace_id, status, generator, model, fallbacks, formats, duration_ms, budget_max_variants,
              budget_max_generation_seconds, budget_max_cost, brand_kit_id
       FROM campaign WHERE workspace_id = $1 AND id = $2 FOR UPDATE`,
      [workspaceId, campaignId],
      tx,
    );
  }

  templateVersions(campaignId: string, tx: Queryable) {
    return this.db.query<TemplateVersionForPlan>(
      `SELECT tv.id, tv.template_id, tv.version, tv.prompt, tv.headline, tv.cta, tv.captions, tv.variables,
              tv.locales, tv.alternatives
       FROM campaign_template ct JOIN template_version tv ON tv.id = ct.template_version_id
       WHERE ct.campaign_id = $1 ORDER BY ct.position`,
      [campaignId],
      tx,
    );
  }

  async segmentLocaleCount(campaignId: string, tx: Queryable): Promise<number> {
    const row = await this.db.one<{ n: number }>(
      `SELECT coalesce(sum(cardinality(s.locales)), 0)::int AS n
       FROM campaign_segment cs JOIN segment s ON s.id = cs.segment_id WHERE cs.campaign_id = $1`,
      [campaignId],
      tx,
    );
    return row!.n;
  }

  /** Segments in campaign order, a page at a time, so a large plan never holds them all. */
  segmentsAfter(campaignId: string, afterPosition: number, limit: number, tx: Queryable) {
    return this.db.query<SegmentForPlan>(
      `SELECT s.id, s.key, s.name, s.locales, s.attributes, cs.position
       FROM campaign_segment cs JOIN segment s ON s.id = cs.segment_id
       WHERE cs.campaign_id = $1 AND cs.position > $2 ORDER BY cs.position LIMIT $3`,
      [campaignId, afterPosition, limit],
      tx,
    );
  }

  async brandKit(
    workspaceId: string,
    brandKitId: string | null,
    tx: Queryable,
  ): Promise<BrandKitData | null> {
    if (!brandKitId) return null;
    const row = await this.db.one<{
      name: string;
      colors: Record<string, string>;
      font: string;
      disclaimer: string | null;
      ai_disclosure: Record<string, string>;
    }>(
      `SELECT name, colors, font, disclaimer, ai_disclosure FROM brand_kit WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, brandKitId],
      tx,
    );
    return row
      ? {
          name: row.name,
          colors: row.colors,
          font: row.font,
          disclaimer: row.disclaimer,
          aiDisclosure: row.ai_disclosure,
        }
      : null;
  }

  async createWave(
    workspaceId: string,
    campaignId: string,
    tx: Queryable,
  ): Promise<{ id: string; number: number }> {
    const row = await this.db.one<{ id: string; number: number }>(
      `INSERT INTO wave (workspace_id, campaign_id, number, status)
       SELECT $1, $2, coalesce(max(number), 0) + 1, 'planning' FROM wave WHERE campaign_id = $2
       RETURNING id, number`,
      [workspaceId, campaignId],
      tx,
    );
    return row!;
  }

  async insertVariants(
    workspaceId: string,
    campaignId: string,
    waveId: string,
    variants: NewVariant[],
    tx: Queryable,
  ): Promise<void> {
    if (!variants.length) return;
    await this.db.query(
      `INSERT INTO variant (id, workspace_id, campaign_id, wave_id, template_version_id, segment_id, locale, state,
                            prompt, prompt_hash, copy, slots, parent_variant_id, generation)
       SELECT v.id, $1, $2, $3, v.tv, v.seg, v.locale, 'queued', v.prompt, v.hash, v.copy, v.slots, v.parent, v.gen
       FROM unnest($4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::jsonb[],
                   $12::uuid[], $13::int[])
            AS v(id, tv, seg, locale, prompt, hash, copy, slots, parent, gen)`,
      [
        workspaceId,
        campaignId,
        waveId,
        variants.map((v) => v.id),
        variants.map((v) => v.templateVersionId),
        variants.map((v) => v.segmentId),
        variants.map((v) => v.locale),
        variants.map((v) => v.prompt),
        variants.map((v) => v.promptHash),
        variants.map((v) => JSON.stringify(v.copy)),
        variants.map((v) => JSON.stringify(v.slots)),
        variants.map((v) => v.parentVariantId),
        variants.map((v) => v.generation),
      ],
      tx,
    );
  }

  async promptCounts(workspaceId: string, waveId: string, tx: Queryable) {
    const row = await this.db.one<{ unique_prompts: number; cached_prompts: number }>(
      `SELECT count(*)::int AS unique_prompts, count(c.id)::int AS cached_prompts
       FROM (SELECT DISTINCT prompt_hash FROM variant WHERE wave_id = $2) v
       LEFT JOIN clip c ON c.workspace_id = $1 AND c.prompt_hash = v.prompt_hash AND c.status = 'ready'`,
      [workspaceId, waveId],
      tx,
    );
    return row!;
  }

  /** Starts the wave; a first wave also moves the campaign to `generating` (an evolution wave leaves it live). */
  async startWave(
    workspaceId: string,
    campaignId: string,
    waveId: string,
    tx: Queryable,
    moveCampaign = true,
  ): Promise<number> {
    const row = await this.db.one<{ variant_count: number }>(
      `UPDATE wave SET status = 'running',
              variant_count = (SELECT count(*) FROM variant WHERE wave_id = $1)
       WHERE id = $1 RETURNING variant_count`,
      [waveId],
      tx,
    );
    if (!moveCampaign) return row!.variant_count;
    await this.db.query(
      `UPDATE campaign SET status = 'generating', version = version + 1, updated_at = now()
       WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, campaignId],
      tx,
    );
    return row!.variant_count;
  }

  /** The variants to evolve from, with what they were made of. */
  evolutionParents(campaignId: string, variantIds: string[], tx: Queryable) {
    return this.db.query<EvolutionParent>(
      `SELECT id, template_version_id, segment_id, locale, slots, generation FROM variant
       WHERE campaign_id = $1 AND id = ANY($2::uuid[])`,
      [campaignId, variantIds],
      tx,
    );
  }

  /** The slot choices already tried for each template version × segment × locale of the campaign. */
  async triedSlots(campaignId: string, tx: Queryable): Promise<Set<string>> {
    const rows = await this.db.query<{ t: string; s: string; l: string; slots: Record<string, number> }>(
      `SELECT template_version_id AS t, segment_id AS s, locale AS l, slots FROM variant WHERE campaign_id = $1`,
      [campaignId],
      tx,
    );
    return new Set(rows.map((r) => slotKey(r.t, r.s, r.l, r.slots)));
  }

  async variantCount(campaignId: string, tx: Queryable): Promise<number> {
    return (await this.db.one<{ n: number }>(
      'SELECT count(*)::int AS n FROM variant WHERE campaign_id = $1',
      [campaignId],
      tx,
    ))!.n;
  }

  segmentsByIds(ids: string[], tx: Queryable) {
    return this.db.query<SegmentForPlan>(
      `SELECT s.id, s.key, s.name, s.locales, s.attributes, 0 AS position FROM segment s WHERE s.id = ANY($1::uuid[])`,
      [ids],
      tx,
    );
  }

  /** Variant ids of a wave still waiting for generation, in id order, a page at a time. */
  queuedVariantIds(waveId: string, afterId: string, limit: number) {
    return this.db.query<{ id: string }>(
      `SELECT id FROM variant WHERE wave_id = $1 AND state = 'queued' AND id > $2::uuid ORDER BY id LIMIT $3`,
      [waveId, afterId, limit],
    );
  }
}

export interface EvolutionParent {
  id: string;
  template_version_id: string;
  segment_id: string;
  locale: string;
  slots: Record<string, number>;
  generation: number;
}
