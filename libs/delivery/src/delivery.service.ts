import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '@adloom/common';
import { AdloomConfig, CONFIG, publicEdgeUrl } from '@adloom/config';
import { TokenTemplate, TRACKING_EVENTS, trackingSecrets, TrackingEvent } from '@adloom/engagement';
import { etagOf } from '@adloom/http';
import { renderCodecs } from './codec';
import { DeliveryCache } from './delivery-cache';
import { DeliveryError } from './delivery.errors';
import { AdView } from './delivery.schemas';
import { RenderUrls } from './render-urls';
import { CampaignSnapshot, RenderRow, SegmentOffer, ServableVariant } from './snapshot';
import { buildEmptyVast, buildVast, VastMediaFile } from './vast';

export interface AdQuery {
  segment: string;
  /** The campaign's first format that the segment has when absent. */
  format?: string;
  /** Any stable id of the viewer: the same viewer gets the same variant while the weights stand. */
  viewer?: string;
}

export interface CatalogRender {
  variantId: string;
  renderId: string;
  /** Share of this segment × format's traffic the variant gets now. */
  weight: number;
  url: string;
  expiresAt: string | null;
  mimeType: 'video/mp4';
  codecs: string;
  width: number;
  height: number;
  bytes: number;
  durationMs: number;
  bitrateKbps: number;
  sha256: string;
  posterUrl: string;
  captionsUrl: string | null;
}

export interface Catalog {
  campaignId: string;
  segments: { segment: string; formats: { format: string; renders: CatalogRender[] }[] }[];
}

interface Choice {
  segment: SegmentOffer;
  variant: ServableVariant;
  render: RenderRow;
}

const QUARTILE_EVENTS = ['start', 'firstQuartile', 'midpoint', 'thirdQuartile', 'complete'] as const;
const AD_SYSTEM = { name: 'Adloom' };
const UNIVERSAL_AD_ID_REGISTRY = 'adloom.dev';

/**
 * Serves live campaigns to ad platforms from the in-memory `DeliveryCache`: a weighted choice per
 * segment and format (sticky per viewer), the render's URL and one signed tracking URL per event.
 */
@Injectable()
export class DeliveryService {
  private readonly secrets: string[] | undefined;
  private readonly secretProblem: string | undefined;
  private readonly pixelBase: string;
  private readonly tokenTtlSeconds: number;
  /** The constant part of each render's tracking tokens, built on its first serving. */
  private readonly templates = new WeakMap<RenderRow, TokenTemplate>();

  constructor(
    @Inject(CONFIG) config: AdloomConfig,
    private readonly cache: DeliveryCache,
    private readonly urls: RenderUrls,
    private readonly clock: Clock,
  ) {
    const secrets = trackingSecrets(config);
    if ('secrets' in secrets) this.secrets = secrets.secrets;
    else this.secretProblem = secrets.problem;
    this.pixelBase = `${publicEdgeUrl(config)}/t/`;
    this.tokenTtlSeconds = Math.max(1, Math.round(config.TRACKING_TOKEN_TTL / 1000));
  }

  /** The ad for one request: a variant chosen by the weights, its render's URLs and signed tracking URLs. */
  async ad(workspaceId: string, campaignId: string, query: AdQuery): Promise<AdView> {
    const snapshot = await this.servable(workspaceId, campaignId);
    const { segment, variant, render } = this.choose(snapshot, query);
    const [video, poster, captions] = await Promise.all([
      this.urls.urlFor(render.s3Key),
      this.urls.urlFor(render.posterKey),
      render.captionsKey ? this.urls.urlFor(render.captionsKey) : undefined,
    ]);
    const { adServingId, tracking } = this.tracking(campaignId, render, segment.key);
    const { campaign } = snapshot;
    return {
      campaignId: campaign.id,
      variantId: variant.id,
      renderId: render.id,
      segment: segment.key,
      format: render.format,
      adServingId,
      url: video.url,
      expiresAt: video.expiresAtIso,
      mimeType: 'video/mp4',
      codecs: renderCodecs(render.width, render.height),
      width: render.width,
      height: render.height,
      bytes: render.bytes,
      durationMs: render.durationMs,
      bitrateKbps: render.bitrateKbps,
      sha256: render.sha256,
      posterUrl: poster.url,
      captionsUrl: captions?.url ?? null,
      clickThrough: campaign.landingUrl,
      clickUrl: `${tracking.click}?redirect=1`,
      tracking,
    };
  }

  /**
   * A VAST 4.2 InLine ad for the same choice as `ad`. When the segment has nothing to serve in the
   * format, the answer is an empty VAST (no Ad), as players expect, not an error.
   */
  async vast(workspaceId: string, campaignId: string, query: AdQuery): Promise<string> {
    const snapshot = await this.servable(workspaceId, campaignId);
    let choice: Choice;
    try {
      choice = this.choose(snapshot, query);
    } catch (error) {
      if (error instanceof DeliveryError && error.code === 'no_ad') return buildEmptyVast();
      throw error;
    }
    const { segment, variant, render } = choice;
    // The chosen format first, then the variant's other ready formats in the campaign's order.
    const formats = snapshot.campaign.formats;
    const renders = [
      render,
      ...[...variant.renders.values()]
        .filter((other) => other !== render)
        .sort((a, b) => rank(formats, a.format) - rank(formats, b.format)),
    ];
    const [videos, captions] = await Promise.all([
      Promise.all(renders.map((each) => this.urls.urlFor(each.s3Key))),
      render.captionsKey ? this.urls.urlFor(render.captionsKey) : undefined,
    ]);
    const mediaFiles = renders.map((each, index): VastMediaFile => ({
      id: each.id,
      url: videos[index].url,
      width: each.width,
      height: each.height,
      bitrateKbps: Math.max(1, each.bitrateKbps),
      codec: renderCodecs(each.width, each.height),
      type: 'video/mp4',
      delivery: 'progressive',
    }));
    const { adServingId, tracking } = this.tracking(campaignId, render, segment.key);
    const { campaign } = snapshot;
    return buildVast({
      adId: variant.id,
      adServingId,
      adSystem: AD_SYSTEM,
      adTitle: variant.headline ? `${campaign.name}: ${variant.headline}` : campaign.name,
      advertiser: campaign.advertiser ?? undefined,
      impressionUrls: [tracking.impression],
      // The pixel route counts `error` pings per variant; players fill in [ERRORCODE].
      errorUrl: `${tracking.impression}?error=[ERRORCODE]`,
      verifications: campaign.adVerifications,
      creative: {
        id: render.id,
        universalAdId: { idRegistry: UNIVERSAL_AD_ID_REGISTRY, value: variant.id },
        durationMs: render.durationMs,
        mediaFiles,
        tracking: Object.fromEntries(QUARTILE_EVENTS.map((event) => [event, [tracking[event]]])),
        clickTracking: [tracking.click],
        clickThrough: campaign.landingUrl,
        closedCaptions: captions ? [{ url: captions.url, type: 'text/vtt', language: variant.locale }] : [],
      },
    });
  }

  /**
   * Every approved render of a live campaign by segment and format, with its current weight and URL.
   * The ETag covers the renders, the weights and the URLs' expiries: it changes when any of them does.
   */
  async catalog(
    workspaceId: string,
    campaignId: string,
    segmentKey?: string,
  ): Promise<{ etag: string; catalog: Catalog }> {
    const snapshot = await this.servable(workspaceId, campaignId);
    const formatOrder = snapshot.campaign.formats;
    const segments = [...snapshot.segments.values()]
      .filter((segment) => segmentKey === undefined || segment.key === segmentKey)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const expiries: (number | null)[] = [];
    const catalog: Catalog = { campaignId, segments: [] };
    for (const segment of segments) {
      const formats = [...segment.formats.values()].sort(
        (a, b) => rank(formatOrder, a.format) - rank(formatOrder, b.format),
      );
      const entry: Catalog['segments'][number] = { segment: segment.key, formats: [] };
      for (const offer of formats) {
        const renders: CatalogRender[] = [];
        for (const variant of segment.variants.values()) {
          const render = variant.renders.get(offer.format);
          if (!render) continue;
          const [video, poster, captions] = await Promise.all([
            this.urls.urlFor(render.s3Key),
            this.urls.urlFor(render.posterKey),
            render.captionsKey ? this.urls.urlFor(render.captionsKey) : undefined,
          ]);
          expiries.push(video.expiresAt, poster.expiresAt, captions?.expiresAt ?? null);
          renders.push({
            variantId: variant.id,
            renderId: render.id,
            weight: offer.shares.get(variant.id) ?? 0,
            url: video.url,
            expiresAt: video.expiresAtIso,
            mimeType: 'video/mp4',
            codecs: renderCodecs(render.width, render.height),
            width: render.width,
            height: render.height,
            bytes: render.bytes,
            durationMs: render.durationMs,
            bitrateKbps: render.bitrateKbps,
            sha256: render.sha256,
            posterUrl: poster.url,
            captionsUrl: captions?.url ?? null,
          });
        }
        entry.formats.push({ format: offer.format, renders });
      }
      catalog.segments.push(entry);
    }
    const etag = etagOf(snapshot.fingerprint, segmentKey ?? '*', expiries.map((at) => at ?? '-').join(','));
    return { etag, catalog };
  }

  private async servable(workspaceId: string, campaignId: string): Promise<CampaignSnapshot> {
    const snapshot = this.cache.peek(campaignId);
    return this.check(
      snapshot === undefined ? await this.cache.get(campaignId) : snapshot,
      workspaceId,
      campaignId,
    );
  }

  /** The snapshot when the campaign is the workspace's and live; the problem to answer otherwise. */
  private check(
    snapshot: CampaignSnapshot | null,
    workspaceId: string,
    campaignId: string,
  ): CampaignSnapshot {
    if (!snapshot || snapshot.campaign.workspaceId !== workspaceId) {
      throw new DeliveryError('campaign_not_found', `No campaign ${campaignId} in this workspace.`, {
        field: 'path.campaignId',
      });
    }
    const { status } = snapshot.campaign;
    if (status === 'paused') {
      throw new DeliveryError(
        'campaign_paused',
        `Campaign ${campaignId} is paused: it serves no ads until it is launched again.`,
        { field: 'path.campaignId', campaignStatus: status },
      );
    }
    if (status !== 'live') {
      throw new DeliveryError(
        'campaign_not_live',
        `Campaign ${campaignId} is ${status}, not live: it serves ads once it is launched.`,
        { field: 'path.campaignId', campaignStatus: status },
      );
    }
    if (!this.secrets) throw new DeliveryError('tracking_not_configured', this.secretProblem!);
    return snapshot;
  }

  private choose(snapshot: CampaignSnapshot, query: AdQuery): Choice {
    const campaignId = snapshot.campaign.id;
    const segment = snapshot.segments.get(query.segment);
    if (!segment) {
      throw new DeliveryError(
        'no_ad',
        `Campaign ${campaignId} has no approved variant for segment "${query.segment}".`,
        { field: 'query.segment' },
      );
    }
    const format =
      query.format ?? snapshot.campaign.formats.find((candidate) => segment.formats.has(candidate));
    const offer = format === undefined ? undefined : segment.formats.get(format);
    if (!offer) {
      throw new DeliveryError(
        'no_ad',
        `Segment "${segment.key}" has no approved render in format ${format ?? '(none)'}; it has ${
          [...segment.formats.keys()].join(', ') || 'none'
        }.`,
        { field: 'query.format' },
      );
    }
    const variantId =
      query.viewer !== undefined
        ? offer.table.pickForViewer(campaignId, segment.key, query.viewer)
        : offer.table.pick(Math.random());
    const variant = segment.variants.get(variantId!)!;
    return { segment, variant, render: variant.renders.get(offer.format)! };
  }

  /** The constant part of the render's tracking tokens, built on its first serving. */
  private tokenTemplate(campaignId: string, render: RenderRow, segment: string): TokenTemplate {
    let template = this.templates.get(render);
    if (!template) {
      template = new TokenTemplate(
        { campaignId, variantId: render.variantId, segment, format: render.format },
        this.tokenTtlSeconds,
      );
      this.templates.set(render, template);
    }
    return template;
  }

  private issuedAt(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }

  /** Each event's pixel URL for a new serving. */
  private tracking(campaignId: string, render: RenderRow, segment: string) {
    const adServingId = randomUUID();
    const tokens = this.tokenTemplate(campaignId, render, segment).sign(
      adServingId,
      this.issuedAt(),
      TRACKING_EVENTS,
      this.secrets!,
    );
    const tracking = {} as Record<TrackingEvent, string>;
    for (const event of TRACKING_EVENTS) tracking[event] = this.pixelBase + tokens[event];
    return { adServingId, tracking };
  }
}

function rank(order: readonly string[], format: string): number {
  const index = order.indexOf(format);
  return index < 0 ? order.length : index;
}
