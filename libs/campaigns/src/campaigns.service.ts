import { Injectable } from '@nestjs/common';
import { Db, Page, PageQuery, Queryable } from '@adloom/db';
import { CampaignEvents } from '@adloom/queue';
import { assertIfMatch, etagOf } from '@adloom/http';
import type { ContentPolicy } from '@adloom/prompts';
import { BrandKitRecord, BrandKitsService } from './brand-kits.service';
import { CampaignError } from './campaigns.errors';
import {
  AdVerification,
  CampaignColumns,
  CampaignRow,
  CampaignsRepository,
  CampaignTemplateRef,
} from './campaigns.repository';
import { ContentPolicyService } from './content-policy.service';
import { CreateCampaign, routeColumns, UpdateCampaign } from './schemas';
import { SegmentsRepository } from './segments.repository';
import { segmentNotFound, SegmentRecord, toSegmentRecord } from './segments.service';
import { assertEditable, campaignTransition, CampaignEvent, CampaignStatus } from './state-machine';
import { TemplatesRepository } from './templates.repository';
import { TemplatesService, TemplateVersionRecord, toTemplateVersionRecord } from './templates.service';

export interface CampaignView {
  id: string;
  name: string;
  status: CampaignStatus;
  objective: string;
  templates: CampaignTemplateRef[];
  segmentIds: string[];
  formats: string[];
  /** The first generator. */
  generator: string;
  /** The first generator's model; its configured default when empty. */
  model: string;
  /** Every generator in the order they are tried: `provider` or `provider:model`. */
  route: string[];
  durationMs: number;
  /** `maxCost` is there when the campaign caps its spend. */
  budget: { maxVariants: number; maxGenerationSeconds: number; maxCost?: number };
  landingUrl: string;
  /** Measurement vendors' OMID scripts, passed through in the VAST. */
  adVerifications: AdVerification[];
  brandKitId: string | null;
  /** How many of the campaign's variants are in each state (states with none are left out). */
  variantCounts: Record<string, number>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Everything the planner needs to expand a campaign into variants, read in one go. */
export interface CampaignPlan {
  campaign: CampaignView;
  /** In the campaign's order. */
  templateVersions: TemplateVersionRecord[];
  /** In the campaign's order. */
  segments: SegmentRecord[];
  brandKit: BrandKitRecord | null;
  contentPolicy: ContentPolicy;
}

export const toCampaignView = (row: CampaignRow): CampaignView => ({
  id: row.id,
  name: row.name,
  status: row.status,
  objective: row.objective,
  templates: row.templates,
  segmentIds: row.segment_ids,
  formats: row.formats,
  generator: row.generator,
  model: row.model,
  route: [row.model ? `${row.generator}:${row.model}` : row.generator, ...row.fallbacks],
  durationMs: row.duration_ms,
  budget: {
    maxVariants: row.budget_max_variants,
    maxGenerationSeconds: Number(row.budget_max_generation_seconds),
    ...(row.budget_max_cost !== null ? { maxCost: Number(row.budget_max_cost) } : {}),
  },
  landingUrl: row.landing_url,
  adVerifications: row.ad_verifications,
  brandKitId: row.brand_kit_id,
  variantCounts: row.variant_counts,
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export const campaignEtag = (campaign: { id: string; version: number }) =>
  etagOf(campaign.id, campaign.version);

export function campaignNotFound(id: string, field = 'id') {
  return new CampaignError('campaign_not_found', `No campaign ${id} in this workspace.`, { field });
}

@Injectable()
export class CampaignsService {
  constructor(
    private readonly db: Db,
    private readonly campaigns: CampaignsRepository,
    private readonly templates: TemplatesService,
    private readonly templateRows: TemplatesRepository,
    private readonly segments: SegmentsRepository,
    private readonly brandKits: BrandKitsService,
    private readonly contentPolicy: ContentPolicyService,
    private readonly events: CampaignEvents,
  ) {}

  async create(workspaceId: string, input: CreateCampaign) {
    const templateVersionIds = await this.resolveTemplates(workspaceId, input.templates);
    await this.checkSegments(workspaceId, input.segmentIds);
    await this.checkBrandKit(workspaceId, input.brandKitId);
    const id = await this.db.transaction(async (tx) => {
      const campaignId = await this.campaigns.insert(
        workspaceId,
        { ...input, ...routeColumns(input.generator, input.model) },
        tx,
      );
      await this.campaigns.replaceTemplates(campaignId, templateVersionIds, tx);
      await this.campaigns.replaceSegments(campaignId, input.segmentIds, tx);
      return campaignId;
    });
    return this.get(workspaceId, id);
  }

  async get(workspaceId: string, id: string, via?: Queryable) {
    const row = await this.campaigns.find(workspaceId, id, via);
    if (!row) throw campaignNotFound(id);
    const view = toCampaignView(row);
    return { view, etag: campaignEtag(view) };
  }

  list(workspaceId: string, page: PageQuery & { status?: CampaignStatus }): Promise<Page<CampaignView>> {
    return this.campaigns.list(workspaceId, page, toCampaignView);
  }

  /** PATCH: only the fields the campaign's status allows (see CAMPAIGN_EDITABLE_FIELDS), with If-Match. */
  async update(workspaceId: string, id: string, changes: UpdateCampaign, ifMatch: string | undefined) {
    const fields = Object.keys(changes).filter((key) => changes[key as keyof UpdateCampaign] !== undefined);
    return this.db.transaction(async (tx) => {
      const current = await this.campaigns.lock(workspaceId, id, tx);
      if (!current) throw campaignNotFound(id);
      assertIfMatch(ifMatch, campaignEtag({ id, version: current.version }));
      assertEditable(current.status, fields);
      const templateVersionIds =
        changes.templates && (await this.resolveTemplates(workspaceId, changes.templates));
      if (changes.segmentIds) await this.checkSegments(workspaceId, changes.segmentIds);
      if (changes.brandKitId) await this.checkBrandKit(workspaceId, changes.brandKitId);
      const { templates: _templates, segmentIds, ...columns } = changes;
      const route = changes.generator !== undefined ? routeColumns(changes.generator, changes.model) : {};
      await this.campaigns.update(workspaceId, id, { ...columns, ...route } as Partial<CampaignColumns>, tx);
      if (templateVersionIds) await this.campaigns.replaceTemplates(id, templateVersionIds, tx);
      if (segmentIds) await this.campaigns.replaceSegments(id, segmentIds, tx);
      return this.get(workspaceId, id, tx);
    });
  }

  /**
   * Moves a campaign through its state machine, or refuses with 409 `illegal_transition` (naming from
   * and to). Launching also needs at least one approved variant (409 `nothing_approved`). Pass `tx` to
   * make the move part of a larger transaction (the planner creates its wave in the same one).
   */
  async transition(workspaceId: string, id: string, event: CampaignEvent, tx?: Queryable) {
    const run = async (via: Queryable) => {
      const current = await this.campaigns.lock(workspaceId, id, via);
      if (!current) throw campaignNotFound(id);
      const next = campaignTransition(current.status, event);
      if (event === 'launch' && (await this.campaigns.countVariants(id, 'approved', via)) === 0) {
        throw new CampaignError('nothing_approved', 'Approve at least one variant before launching.', {
          field: 'variants',
          from: current.status,
          to: next,
        });
      }
      await this.campaigns.setStatus(workspaceId, id, next, via);
      return this.get(workspaceId, id, via);
    };
    return tx ? run(tx) : this.db.transaction(run);
  }

  launch(workspaceId: string, id: string) {
    return this.transitionServed(workspaceId, id, 'launch');
  }

  pause(workspaceId: string, id: string) {
    return this.transitionServed(workspaceId, id, 'pause');
  }

  archive(workspaceId: string, id: string) {
    return this.transitionServed(workspaceId, id, 'archive');
  }

  /** A transition that changes what delivery serves: the edge hears of it at once (`campaign.changed`). */
  private async transitionServed(workspaceId: string, id: string, event: CampaignEvent) {
    const result = await this.transition(workspaceId, id, event);
    await this.events.changed(id);
    return result;
  }

  /** draft, review or paused → generating; for the planner when a wave starts. */
  async startGeneration(workspaceId: string, id: string, tx?: Queryable): Promise<CampaignView> {
    return (await this.transition(workspaceId, id, 'generate', tx)).view;
  }

  /** generating → review; for the planner when a wave ends. */
  async finishGeneration(workspaceId: string, id: string, tx?: Queryable): Promise<CampaignView> {
    return (await this.transition(workspaceId, id, 'generated', tx)).view;
  }

  /** The campaign with its pinned template versions, segments, brand kit and the content policy. */
  async plan(workspaceId: string, id: string, via?: Queryable): Promise<CampaignPlan> {
    const { view } = await this.get(workspaceId, id, via);
    const versions = await this.templateRows.versionsByIds(
      workspaceId,
      view.templates.map((template) => template.templateVersionId),
      via,
    );
    const segments = await this.segments.findMany(workspaceId, view.segmentIds, via);
    const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((row) => [row.id, row]));
    const versionsById = byId(versions);
    const segmentsById = byId(segments);
    return {
      campaign: view,
      templateVersions: view.templates.map((template) =>
        toTemplateVersionRecord(versionsById.get(template.templateVersionId)!),
      ),
      segments: view.segmentIds.map((segmentId) => toSegmentRecord(segmentsById.get(segmentId)!)),
      brandKit: view.brandKitId
        ? ((await this.brandKits.findRecord(workspaceId, view.brandKitId)) ?? null)
        : null,
      contentPolicy: await this.contentPolicy.policy(workspaceId),
    };
  }

  private async resolveTemplates(
    workspaceId: string,
    templates: { templateId: string; version?: number }[],
  ): Promise<string[]> {
    const ids: string[] = [];
    for (const [index, template] of templates.entries()) {
      const version = await this.templates.version(workspaceId, template.templateId, template.version, {
        template: `templates[${index}].templateId`,
        version: `templates[${index}].version`,
      });
      ids.push(version.id);
    }
    return ids;
  }

  private async checkSegments(workspaceId: string, segmentIds: string[]): Promise<void> {
    const found = new Set(
      (await this.segments.findMany(workspaceId, segmentIds)).map((segment) => segment.id),
    );
    const missing = segmentIds.findIndex((segmentId) => !found.has(segmentId));
    if (missing >= 0) throw segmentNotFound(segmentIds[missing], `segmentIds[${missing}]`);
  }

  private async checkBrandKit(workspaceId: string, brandKitId: string | null): Promise<void> {
    if (brandKitId && !(await this.brandKits.findRecord(workspaceId, brandKitId))) {
      throw new CampaignError('brand_kit_not_found', `No brand kit ${brandKitId} in this workspace.`, {
        field: 'brandKitId',
      });
    }
  }
}
