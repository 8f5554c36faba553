import { Inject, Injectable } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Db, Page, Queryable } from '@adloom/db';
import { CampaignEvents } from '@adloom/queue';
import { ObjectStore } from '@adloom/storage';
import { CampaignError } from './campaigns.errors';
import { CampaignsRepository } from './campaigns.repository';
import { campaignNotFound } from './campaigns.service';
import { VariantListQuery } from './schemas';
import { ReviewAction, reviewTransition, VariantState } from './state-machine';
import { VariantRow, VariantsRepository } from './variants.repository';

export interface VariantRenderView {
  id: string;
  format: string;
  width: number;
  height: number;
  durationMs: number;
  bytes: number;
  /** Presigned, for reviewing the render. */
  url: string;
  posterUrl: string;
}

export interface VariantView {
  id: string;
  campaignId: string;
  waveId: string;
  templateVersionId: string;
  segmentId: string;
  locale: string;
  state: VariantState;
  prompt: string;
  promptHash: string;
  copy: Record<string, unknown>;
  slots: Record<string, unknown>;
  generation: number;
  parentVariantId: string | null;
  isControl: boolean;
  reviewReason: string | null;
  failureReason: string | null;
  renders: VariantRenderView[];
  createdAt: string;
  updatedAt: string;
}

function variantNotFound(id: string, field = 'id') {
  return new CampaignError('variant_not_found', `No variant ${id} in this workspace.`, { field });
}

/** Review of generated variants: approve, reject with a reason, approve in bulk. */
@Injectable()
export class VariantsService {
  constructor(
    private readonly db: Db,
    private readonly variants: VariantsRepository,
    private readonly campaigns: CampaignsRepository,
    private readonly store: ObjectStore,
    @Inject(CONFIG) private readonly config: AdloomConfig,
    private readonly events: CampaignEvents,
  ) {}

  async list(workspaceId: string, campaignId: string, query: VariantListQuery): Promise<Page<VariantView>> {
    if (!(await this.campaigns.find(workspaceId, campaignId))) throw campaignNotFound(campaignId);
    const page = await this.variants.list(workspaceId, campaignId, query);
    return { items: await Promise.all(page.items.map((row) => this.view(row))), nextCursor: page.nextCursor };
  }

  async get(workspaceId: string, id: string): Promise<VariantView> {
    const row = await this.variants.find(workspaceId, id);
    if (!row) throw variantNotFound(id);
    return this.view(row);
  }

  approve(workspaceId: string, id: string): Promise<VariantView> {
    return this.review(workspaceId, id, 'approve', null);
  }

  reject(workspaceId: string, id: string, reason: string): Promise<VariantView> {
    return this.review(workspaceId, id, 'reject', reason);
  }

  /**
   * Approves the listed variants of a campaign, or every ready one when none are listed. All or
   * nothing: an unknown id is 404 and a variant that cannot be approved is 409, each naming its index.
   */
  async approveMany(
    workspaceId: string,
    campaignId: string,
    variantIds: string[] | undefined,
  ): Promise<{ approved: number; variantIds: string[] }> {
    const ids = await this.db.transaction(async (tx) => {
      await this.reviewableCampaign(workspaceId, campaignId, tx);
      if (!variantIds) {
        const ready = (await this.variants.readyIds(campaignId, tx)).map((row) => row.id);
        await this.variants.setState(ready, 'approved', null, tx);
        return ready;
      }
      const locked = new Map(
        (await this.variants.lock(workspaceId, variantIds, tx)).map((row) => [row.id, row]),
      );
      variantIds.forEach((variantId, index) => {
        const variant = locked.get(variantId);
        if (!variant || variant.campaign_id !== campaignId)
          throw variantNotFound(variantId, `variantIds[${index}]`);
        try {
          reviewTransition(variant.state, 'approve');
        } catch (error) {
          if (error instanceof CampaignError)
            throw new CampaignError(error.code, `variantIds[${index}]: ${error.detail}`, {
              ...error.extras,
              field: `variantIds[${index}]`,
            });
          throw error;
        }
      });
      await this.variants.setState(variantIds, 'approved', null, tx);
      return variantIds;
    });
    await this.events.changed(campaignId);
    return { approved: ids.length, variantIds: ids };
  }

  private async review(
    workspaceId: string,
    id: string,
    action: ReviewAction,
    reason: string | null,
  ): Promise<VariantView> {
    const campaignId = await this.db.transaction(async (tx) => {
      const [variant] = await this.variants.lock(workspaceId, [id], tx);
      if (!variant) throw variantNotFound(id);
      await this.reviewableCampaign(workspaceId, variant.campaign_id, tx);
      const next = reviewTransition(variant.state, action);
      await this.variants.setState([id], next, reason, tx);
      return variant.campaign_id;
    });
    await this.events.changed(campaignId);
    return this.get(workspaceId, id);
  }

  private async reviewableCampaign(workspaceId: string, campaignId: string, tx: Queryable): Promise<void> {
    const campaign = await this.campaigns.lock(workspaceId, campaignId, tx);
    if (!campaign) throw campaignNotFound(campaignId);
    if (campaign.status === 'archived' || campaign.status === 'draft') {
      throw new CampaignError(
        'campaign_locked',
        `The variants of a ${campaign.status} campaign cannot be reviewed.`,
        {
          field: 'campaign',
          campaignStatus: campaign.status,
        },
      );
    }
  }

  private async view(row: VariantRow): Promise<VariantView> {
    const ttl = this.config.PRESIGN_TTL;
    return {
      id: row.id,
      campaignId: row.campaign_id,
      waveId: row.wave_id,
      templateVersionId: row.template_version_id,
      segmentId: row.segment_id,
      locale: row.locale,
      state: row.state,
      prompt: row.prompt,
      promptHash: row.prompt_hash,
      copy: row.copy,
      slots: row.slots,
      generation: row.generation,
      parentVariantId: row.parent_variant_id,
      isControl: row.is_control,
      reviewReason: row.review_reason,
      failureReason: row.failure_reason,
      renders: await Promise.all(
        row.renders.map(async (render) => ({
          id: render.id,
          format: render.format,
          width: render.width,
          height: render.height,
          durationMs: render.durationMs,
          bytes: Number(render.bytes),
          url: await this.store.presign(render.s3Key, ttl, { contentType: 'video/mp4' }),
          posterUrl: await this.store.presign(render.posterKey, ttl),
        })),
      ),
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  }
}
