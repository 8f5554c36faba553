import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '@adloom/db';

export interface ComposeContext {
  variant_id: string;
  workspace_id: string;
  campaign_id: string;
  state: string;
  campaign_status: string;
  formats: string[];
  duration_ms: number;
  generator: string;
  model: string;
  prompt_hash: string;
  template_version_id: string;
  segment_key: string;
  locale: string;
  copy: { headline: string; cta: string; captions: { startMs: number; endMs: number; text: string }[] };
  clip_key: string | null;
  clip_sha256: string | null;
  clip_model: string | null;
  brand_colors: Record<string, string> | null;
  brand_font: string | null;
  brand_logo_key: string | null;
  brand_music_key: string | null;
  brand_ai_disclosure: Record<string, string> | null;
}

export interface NewRender {
  id: string;
  format: string;
  s3Key: string;
  width: number;
  height: number;
  durationMs: number;
  bytes: number;
  bitrateKbps: number;
  sha256: string;
  posterKey: string;
  captionsVttKey: string | null;
  captionsSrtKey: string | null;
  manifestKey: string;
  manifest: unknown;
}

@Injectable()
export class ComposeRepository {
  constructor(private readonly db: Db) {}

  context(workspaceId: string, variantId: string) {
    return this.db.one<ComposeContext>(
      `SELECT v.id AS variant_id, v.workspace_id, v.campaign_id, v.state, c.status AS campaign_status, c.formats,
              c.duration_ms, coalesce(cl.generator, c.generator) AS generator, c.model, v.prompt_hash, v.template_version_id, s.key AS segment_key, v.locale,
              v.copy, cl.s3_key AS clip_key, cl.sha256 AS clip_sha256, cl.model AS clip_model,
              b.colors AS brand_colors, b.font AS brand_font, b.logo_key AS brand_logo_key,
              b.music_key AS brand_music_key, b.ai_disclosure AS brand_ai_disclosure
       FROM variant v
       JOIN campaign c ON c.id = v.campaign_id
       JOIN segment s ON s.id = v.segment_id
       LEFT JOIN clip cl ON cl.id = v.clip_id AND cl.status = 'ready'
       LEFT JOIN brand_kit b ON b.id = c.brand_kit_id
       WHERE v.workspace_id = $1 AND v.id = $2`,
      [workspaceId, variantId],
    );
  }

  async saveRenders(ctx: ComposeContext, renders: NewRender[], tx: Queryable): Promise<void> {
    for (const r of renders) {
      await this.db.query(
        `INSERT INTO render (id, workspace_id, campaign_id, variant_id, format, s3_key, width, height, duration_ms, bytes,
                             bitrate_kbps, sha256, poster_key, captions_vtt_key, captions_srt_key, manifest_key, manifest)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (variant_id, format) DO UPDATE SET
           s3_key = EXCLUDED.s3_key, width = EXCLUDED.width, height = EXCLUDED.height,
           duration_ms = EXCLUDED.duration_ms, bytes = EXCLUDED.bytes, bitrate_kbps = EXCLUDED.bitrate_kbps,
           sha256 = EXCLUDED.sha256, poster_key = EXCLUDED.poster_key, captions_vtt_key = EXCLUDED.captions_vtt_key,
           captions_srt_key = EXCLUDED.captions_srt_key, manifest_key = EXCLUDED.manifest_key,
           manifest = EXCLUDED.manifest, created_at = now()`,
        [
          r.id,
          ctx.workspace_id,
          ctx.campaign_id,
          ctx.variant_id,
          r.format,
          r.s3Key,
          r.width,
          r.height,
          r.durationMs,
          r.bytes,
          r.bitrateKbps,
          r.sha256,
          r.posterKey,
          r.captionsVttKey,
          r.captionsSrtKey,
          r.manifestKey,
          JSON.stringify(r.manifest),
        ],
        tx,
      );
    }
  }
}
