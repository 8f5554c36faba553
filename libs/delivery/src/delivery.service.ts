import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '@adloom/common';
import { AdloomConfig, CONFIG, publicBaseUrl } from '@adloom/config';
import { TokenTemplate, TRACKING_EVENTS, trackingSecrets, TrackingEvent } from '@adloom/engagement';
import { etagOf } from '@adloom/http';
import { renderCodecs } from './codec';
import { DeliveryCache } from './delivery-cache';
import { DeliveryError } from './delivery.errors';
import { ObjectUrl, RenderUrls } from './render-urls';
import { CampaignSnapshot, RenderRow, SegmentOffer, ServableVariant } from './snapshot';
import { buildEmptyVast, buildVast } from './vast';

export interface AdQuery {
  segment: string;
  /** The campaign's first format that the segment has when absent. */
  format?: string;
  /** Any stable id of the viewer: the same viewer gets the same variant while the weights stand. */
  viewer?: string;
}

export interface AdView {
  campaignId: string;
  variantId: string;
  renderId: string;
  segment: string;
  format: string;
  /** Unique per response; the VAST AdServingId, carried by every tracking URL. */
  adServingId: string;
  url: string;
  /** ISO 8601; null when renders are served from a CDN and the URL does not expire. */
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
  /** The campaign's landing page. */
  clickThrough: string;
  /** A single click URL: counts the click, then redirects to `clickThrough`. */
  clickUrl: string;
  /** Pixel URLs to request when each event happens (1×1 GIF). */
  tracking: Record<TrackingEvent, string>;
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

interface AdFrame {
  video: ObjectUrl;
  poster: ObjectUrl;
  captions: ObjectUrl | undefined;
  /** The answer's JSON around the slots: one more piece than slots. */
  pieces: string[];
  /** The slots in order: an event's index in TRACKING_EVENTS, −1 for the AdServingId. */
  slots: number[];
}

/**
 * Marks a slot in a frame: NUL, which JSON writes as the escape `\u0000`. Text `\u0000` inside a value
 * is written with its backslash escaped, so only an escape after an even run of backslashes is a slot.
 */
const SLOT_MARK = '\u0000';
const SLOT_PATTERN = /(?<=(?:^|[^\\])(?:\\\\)*)\\u0000(\w+)\\u0000/;
const SERVING_SLOT = 'adServingId';

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
  /** Each render's `AdView` JSON around its serving's values, for the URLs it was built with. */
  private readonly frames = new WeakMap<RenderRow, AdFrame>();

  constructor(
    @Inject(CONFIG) config: AdloomConfig,
    private readonly cache: DeliveryCache,
    private readonly urls: RenderUrls,
    private readonly clock: Clock,
  ) {
    const secrets = trackingSecrets(config);
    if ('secrets' in secrets) this.secrets = secrets.secrets;
    else this.secretProblem = secrets.problem;
    this.pixelBase = `${publicBaseUrl(config)}/t/`;
    this.tokenTtlSeconds = Math.max(1, Math.round(config.TRACKING_TOKEN_TTL / 1000));
  }

  /**
   * The ad for one request, as the JSON body of the answer (an `AdView`). Synchronous when the
   * campaign and the render's URLs are in memory (every request but the first few), so the hot path
   * awaits nothing.
   */
  adJson(workspaceId: string, campaignId: string, query: AdQuery): string | Promise<string> {
    const held = this.cache.peek(campaignId);
    if (held === undefined) {
      return this.cache
        .get(campaignId)
        .then((loaded) => this.serveAd(loaded, workspaceId, campaignId, query));
    }
    return this.serveAd(held, workspaceId, campaignId, query);
  }

  private serveAd(
    held: CampaignSnapshot | null,
    workspaceId: string,
    campaignId: string,
    query: AdQuery,
  ): string | Promise<string> {
    const snapshot = this.check(held, workspaceId, campaignId);
    const choice = this.choose(snapshot, query);
    const { render } = choice;
    const video = this.urls.urlFor(render.s3Key);
    const poster = this.urls.urlFor(render.posterKey);
    const captions = render.captionsKey ? this.urls.urlFor(render.captionsKey) : undefined;
    if (video instanceof Promise || poster instanceof Promise || captions instanceof Promise) {
      return Promise.all([video, poster, captions]).then(([v, p, c]) =>
        this.adBody(snapshot, choice, v, p, c),
      );
    }
    return this.adBody(snapshot, choice, video, poster, captions);
  }

  /** The answer from the render's frame (built once per render and set of URLs) and a new serving. */
  private adBody(
    snapshot: CampaignSnapshot,
    choice: Choice,
    video: ObjectUrl,
    poster: ObjectUrl,
    captions: ObjectUrl | undefined,
  ): string {
    const { render, segment } = choice;
    const template = this.tokenTemplate(snapshot.campaign.id, render, segment.key);
    let frame = this.frames.get(render);
    if (!frame || frame.video !== video || frame.poster !== poster || frame.captions !== captions) {
      frame = this.adFrame(snapshot, choice, video, poster, captions);
      this.frames.set(render, frame);
    }
    const adServingId = randomUUID();
    const tokens = template.signAll(adServingId, this.issuedAt(), this.secrets!);
    // Joined as a string, not copied into a Buffer: the socket writes it as it is, and a Buffer per
    // answer costs more than the joining (bench/delivery).
    const { pieces, slots } = frame;
    let body = pieces[0];
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      body += (slot < 0 ? adServingId : tokens[slot]) + pieces[i + 1];
    }
    return body;
  }

  /**
   * The JSON of an `AdView` for one render and set of URLs, in pieces around the serving's own values:
   * the AdServingId and each event's token (ASCII, nothing to escape). Placeholders stand in for them
   * while it is serialised, so the frame has exactly the members, order and escaping of the view.
   */
  private adFrame(
    snapshot: CampaignSnapshot,
    { segment, variant, render }: Choice,
    video: ObjectUrl,
    poster: ObjectUrl,
    captions: ObjectUrl | undefined,
  ): AdFrame {
    const { campaign } = snapshot;
    const slot = (name: string) => `${SLOT_MARK}${name}${SLOT_MARK}`;
    const tracking = {} as Record<TrackingEvent, string>;
    for (const event of TRACKING_EVENTS) tracking[event] = this.pixelBase + slot(event);
    const view: AdView = {
      campaignId: campaign.id,
      variantId: variant.id,
      renderId: render.id,
      segment: segment.key,
      format: render.format,
      adServingId: slot(SERVING_SLOT),
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
    const parts = JSON.stringify(view).split(SLOT_PATTERN);
    if (parts.length !== 2 * (TRACKING_EVENTS.length + 2) + 1) throw new Error('an ad frame lost a slot');
    const pieces = [parts[0]];
    const slots: number[] = [];
    for (let i = 1; i < parts.length; i += 2) {
      slots.push(TRACKING_EVENTS.indexOf(parts[i] as TrackingEvent));
      pieces.push(parts[i + 1]);
    }
    return { video, poster, captions, pieces, slots };
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
    const [video, captions] = await Promise.all([
      this.urls.urlFor(render.s3Key),
      render.captionsKey ? this.urls.urlFor(render.captionsKey) : undefined,
    ]);
    const { adServingId, tracking } = this.tracking(campaignId, render, segment.key);
    const { campaign } = snapshot;
    return buildVast({
      adId: variant.id,
      adServingId,
      adSystem: AD_SYSTEM,
      adTitle: variant.headline ? `${campaign.name}: ${variant.headline}` : campaign.name,
      advertiser: campaign.advertiser ?? undefined,
      impressionUrls: [tracking.impression],
      creative: {
        id: render.id,
        universalAdId: { idRegistry: UNIVERSAL_AD_ID_REGISTRY, value: variant.id },
        durationMs: render.durationMs,
        mediaFiles: [
          {
            id: render.id,
            url: video.url,
            width: render.width,
            height: render.height,
            bitrateKbps: Math.max(1, render.bitrateKbps),
            codec: renderCodecs(render.width, render.height),
            type: 'video/mp4',
            delivery: 'progressive',
          },
        ],
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
