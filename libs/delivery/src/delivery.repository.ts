import { Injectable } from '@nestjs/common';
import { Db } from '@adloom/db';
import { AllocationRow, CampaignRow, RenderRow } from './snapshot';

/**
 * A campaign's fingerprint: its status and version, and for a live campaign a digest of its approved
 * renders and of its allocations. Anything that changes what delivery serves changes it, so the cache
 * can ask for all fingerprints in one cheap query and reload only the campaigns that moved.
 */
const FINGERPRINT = `
  concat_ws('|', c.status, c.version, c.updated_at, c.name, c.landing_url, c.formats::text,
    (SELECT b.name FROM brand_kit b WHERE b.id = c.brand_kit_id),
    CASE WHEN c.status = 'live' THEN (
      SELECT md5(coalesce(string_agg(concat_ws(':', r.id, r.sha256, r.s3_key, r.captions_vtt_key, s.key, v.locale),
                                     ',' ORDER BY r.id), ''))
      FROM variant v JOIN segment s ON s.id = v.segment_id JOIN render r ON r.variant_id = v.id
      WHERE v.campaign_id = c.id AND v.state = 'approved') END,
    CASE WHEN c.status = 'live' THEN (
      SELECT md5(coalesce(string_agg(a.segment_key || ':' || a.weights::text, ',' ORDER BY a.segment_key), ''))
      FROM allocation a WHERE a.campaign_id = c.id) END)`;

@Injectable()
export class DeliveryRepository {
  constructor(private readonly db: Db) {}

  async fingerprints(campaignIds: readonly string[]): Promise<Map<string, string>> {
    if (campaignIds.length === 0) return new Map();
    const rows = await this.db.query<{ id: string; fingerprint: string }>(
      `SELECT c.id, ${FINGERPRINT} AS fingerprint FROM campaign c WHERE c.id = ANY($1::uuid[])`,
      [campaignIds],
    );
    return new Map(rows.map((row) => [row.id, row.fingerprint]));
  }

  /** The campaign with its fingerprint, taken before the rows it covers so a change in between shows. */
  campaign(campaignId: string) {
    return this.db.one<CampaignRow & { fingerprint: string }>(
      `SELECT c.id, c.workspace_id AS "workspaceId", c.status, c.name, c.landing_url AS "landingUrl", c.version,
              c.formats, b.name AS advertiser, c.ad_verifications AS "adVerifications", ${FINGERPRINT} AS fingerprint
       FROM campaign c LEFT JOIN brand_kit b ON b.id = c.brand_kit_id
       WHERE c.id = $1`,
      [campaignId],
    );
  }

  /** Every render of the campaign's approved variants. */
  renders(campaignId: string): Promise<RenderRow[]> {
    return this.db.query<RenderRow>(
      `SELECT r.id, r.variant_id AS "variantId", s.key AS "segmentKey", v.locale, v.copy->>'headline' AS headline,
              r.format, r.s3_key AS "s3Key", r.width, r.height, r.duration_ms AS "durationMs",
              r.bytes::float8 AS bytes, r.bitrate_kbps AS "bitrateKbps", r.sha256, r.poster_key AS "posterKey",
              r.captions_vtt_key AS "captionsKey"
       FROM variant v JOIN segment s ON s.id = v.segment_id JOIN render r ON r.variant_id = v.id
       WHERE v.campaign_id = $1 AND v.state = 'approved'`,
      [campaignId],
    );
  }

  allocations(campaignId: string): Promise<AllocationRow[]> {
    return this.db.query<AllocationRow>(
      `SELECT segment_key AS "segmentKey", weights FROM allocation WHERE campaign_id = $1`,
      [campaignId],
    );
  }
}
