import { Inject, Injectable } from '@nestjs/common';
import { AdloomConfig, CONFIG, publicEdgeUrl } from '@adloom/config';
import { trackingSecrets } from '@adloom/engagement';
import { CampaignEvents } from '@adloom/queue';
import { DeliveryError } from './delivery.errors';
import { TagView } from './delivery.schemas';
import { signTag } from './tag-token';
import { TagRow, TagsRepository } from './tags.repository';

/**
 * VAST tags for players and DSPs that cannot send a header: a signed token in the URL stands for a
 * campaign × segment (× format). Made and revoked on the API; a revocation publishes
 * `campaign.changed`, so edges drop the tag at once (and on their next refresh if the event is lost).
 */
@Injectable()
export class TagsService {
  private readonly edgeUrl: string;

  constructor(
    @Inject(CONFIG) private readonly config: AdloomConfig,
    private readonly tags: TagsRepository,
    private readonly events: CampaignEvents,
  ) {
    this.edgeUrl = publicEdgeUrl(config);
  }

  async create(
    workspaceId: string,
    campaignId: string,
    input: { segment: string; format?: string; name?: string },
  ): Promise<TagView> {
    const secrets = this.secrets();
    const row = await this.tags.insert(workspaceId, campaignId, {
      segmentKey: input.segment,
      format: input.format ?? null,
      name: input.name ?? null,
    });
    if (!row) throw notFound(campaignId);
    return this.view(row, secrets);
  }

  async list(workspaceId: string, campaignId: string): Promise<TagView[]> {
    const secrets = this.secrets();
    return (await this.tags.list(workspaceId, campaignId)).map((row) => this.view(row, secrets));
  }

  async revoke(workspaceId: string, campaignId: string, tagId: string): Promise<TagView> {
    const secrets = this.secrets();
    const row = await this.tags.revoke(workspaceId, campaignId, tagId);
    if (!row) {
      throw new DeliveryError('tag_not_found', `Campaign ${campaignId} has no tag ${tagId}.`, {
        field: 'path.tagId',
      });
    }
    await this.events.changed(campaignId);
    return this.view(row, secrets);
  }

  private view(row: TagRow, secrets: string[]): TagView {
    const token = signTag(row.id, secrets);
    const base = `${this.edgeUrl}/v1/tags/${token}`;
    return {
      id: row.id,
      campaignId: row.campaignId,
      segment: row.segmentKey,
      format: row.format,
      name: row.name,
      createdAt: row.createdAt.toISOString(),
      revokedAt: row.revokedAt?.toISOString() ?? null,
      vastUrl: `${base}/vast?cb=[CACHEBUSTING]&ts=[TIMESTAMP]`,
      adUrl: `${base}/ad`,
    };
  }

  private secrets(): string[] {
    const secrets = trackingSecrets(this.config);
    if ('problem' in secrets) throw new DeliveryError('tracking_not_configured', secrets.problem);
    return secrets.secrets;
  }
}

function notFound(campaignId: string) {
  return new DeliveryError('campaign_not_found', `No campaign ${campaignId} in this workspace.`, {
    field: 'path.id',
  });
}
