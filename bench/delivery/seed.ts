import { createHash } from 'node:crypto';
import { Db } from '@adloom/db';

export interface SeedCampaignOptions {
  workspaceId: string;
  /** Segment keys; each gets `variantsPerSegment` approved variants. */
  segments: string[];
  variantsPerSegment: number;
  formats?: string[];
  status?: 'draft' | 'review' | 'live' | 'paused';
  landingUrl?: string;
  name?: string;
}

export interface SeededRender {
  id: string;
  format: string;
  s3Key: string;
  captionsKey: string;
  posterKey: string;
  width: number;
  height: number;
}

export interface SeededVariant {
  id: string;
  segmentKey: string;
  renders: SeededRender[];
}

export interface SeededCampaign {
  campaignId: string;
  variants: SeededVariant[];
}

const SIZES: Record<string, { width: number; height: number }> = {
  '9x16': { width: 1080, height: 1920 },
  '16x9': { width: 1920, height: 1080 },
  '1x1': { width: 1080, height: 1080 },
  '4x5': { width: 1080, height: 1350 },
};

/**
 * A campaign with approved variants and their renders, written straight to Postgres, as the
 * planner, the compose worker and a marketer's approvals would leave it. The S3 objects are not
 * written: the caller puts bytes at `s3Key` when it needs them.
 */
export async function seedCampaign(db: Db, options: SeedCampaignOptions): Promise<SeededCampaign> {
  const formats = options.formats ?? ['9x16'];
  const { workspaceId } = options;
  const template = await db.one<{ id: string }>(
    `INSERT INTO template (workspace_id, name, latest_version) VALUES ($1, 'seed-' || gen_random_uuid(), 1) RETURNING id`,
    [workspaceId],
  );
  const version = await db.one<{ id: string }>(
    `INSERT INTO template_version (workspace_id, template_id, version, prompt, headline, cta)
     VALUES ($1, $2, 1, 'A runner at dawn in {{segment.name}}', 'Run your city', 'Shop now') RETURNING id`,
    [workspaceId, template!.id],
  );
  const campaign = await db.one<{ id: string }>(
    `INSERT INTO campaign (workspace_id, name, status, objective, formats, generator, duration_ms,
                           budget_max_variants, budget_max_generation_seconds, landing_url)
     VALUES ($1, $2, $3, 'ctr', $4, 'procedural', 6000, 1000, 100000, $5) RETURNING id`,
    [
      workspaceId,
      options.name ?? 'Spring running shoes',
      options.status ?? 'live',
      formats,
      options.landingUrl ?? 'https://shop.example/spring?utm_source=adloom',
    ],
  );
  const campaignId = campaign!.id;
  const wave = await db.one<{ id: string }>(
    `INSERT INTO wave (workspace_id, campaign_id, number, status) VALUES ($1, $2, 1, 'completed') RETURNING id`,
    [workspaceId, campaignId],
  );

  const variants: SeededVariant[] = [];
  for (const segmentKey of options.segments) {
    const segment = await db.one<{ id: string }>(
      `INSERT INTO segment (workspace_id, key, name, locales) VALUES ($1, $2, $2, ARRAY['en-US'])
       ON CONFLICT (workspace_id, key) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [workspaceId, segmentKey],
    );
    await db.query(`INSERT INTO campaign_segment (campaign_id, segment_id, position) VALUES ($1, $2, $3)`, [
      campaignId,
      segment!.id,
      options.segments.indexOf(segmentKey),
    ]);
    for (let n = 0; n < options.variantsPerSegment; n++) {
      const prompt = `A runner at dawn in ${segmentKey} #${n}`;
      const variant = await db.one<{ id: string }>(
        `INSERT INTO variant (workspace_id, campaign_id, wave_id, template_version_id, segment_id, locale, state,
                              prompt, prompt_hash, copy)
         VALUES ($1, $2, $3, $4, $5, 'en-US', 'approved', $6, $7, $8) RETURNING id`,
        [
          workspaceId,
          campaignId,
          wave!.id,
          version!.id,
          segment!.id,
          prompt,
          createHash('sha256').update(prompt).digest('hex'),
          JSON.stringify({ headline: `Run ${segmentKey} #${n}`, cta: 'Shop now', captions: [] }),
        ],
      );
      const variantId = variant!.id;
      const base = `renders/${workspaceId}/${campaignId}/${variantId}`;
      const renders: SeededRender[] = [];
      for (const format of formats) {
        const size = SIZES[format] ?? SIZES['9x16'];
        const render: Omit<SeededRender, 'id'> = {
          format,
          s3Key: `${base}/${format}.mp4`,
          captionsKey: `${base}/captions.vtt`,
          posterKey: `${base}/${format}.jpg`,
          ...size,
        };
        const row = await db.one<{ id: string }>(
          `INSERT INTO render (workspace_id, campaign_id, variant_id, format, s3_key, width, height, duration_ms,
                               bytes, bitrate_kbps, sha256, poster_key, captions_vtt_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 6000, 1500000, 2000, $8, $9, $10) RETURNING id`,
          [
            workspaceId,
            campaignId,
            variantId,
            format,
            render.s3Key,
            render.width,
            render.height,
            createHash('sha256').update(render.s3Key).digest('hex'),
            render.posterKey,
            render.captionsKey,
          ],
        );
        renders.push({ id: row!.id, ...render });
      }
      variants.push({ id: variantId, segmentKey, renders });
    }
  }
  return { campaignId, variants };
}

export async function workspaceIdOf(db: Db, name: string): Promise<string> {
  const row = await db.one<{ id: string }>('SELECT id FROM workspace WHERE name = $1', [name]);
  if (!row) throw new Error(`no workspace ${name}`);
  return row.id;
}
