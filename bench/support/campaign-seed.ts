import { Db } from '@adloom/db';

/** The benchmarks' large campaign: 1,000 variants over 20 segments with hourly rollups, made in SQL. */
export const SEGMENTS = 20;
export const VARIANTS_PER_SEGMENT = 50;
export const OTHER_CAMPAIGNS = 2;

export interface Workspace {
  id: string;
  templateId: string;
}

/**
 * 50 template versions and the 20 segments every campaign of the benchmark uses: as the planner makes
 * them, a campaign has one variant per template × segment, so each template is a family of 20 variants
 * whose prior is pooled across the segments.
 */
export async function seedWorkspace(db: Db, workspaceId: string): Promise<Workspace> {
  const [{ id: templateId }] = await db.query<{ id: string }>(
    `INSERT INTO template (workspace_id, name, latest_version) VALUES ($1, 'bench', 1) RETURNING id`,
    [workspaceId],
  );
  await db.query(
    `INSERT INTO template_version (workspace_id, template_id, version, prompt, headline, cta)
     SELECT $1, $2, n, 'Look ' || n || ' at {{segment.name}}', 'Hello', 'Shop now' FROM generate_series(1, $3::int) n`,
    [workspaceId, templateId, VARIANTS_PER_SEGMENT],
  );
  await db.query(
    `INSERT INTO segment (workspace_id, key, name, locales)
     SELECT $1, 'seg-' || lpad(n::text, 2, '0'), 'Segment ' || n, ARRAY['en-US'] FROM generate_series(1, $2::int) n`,
    [workspaceId, SEGMENTS],
  );
  return { id: workspaceId, templateId };
}

/** One campaign with its variants, clips, rollups and allocations, all generated in SQL. */
export async function seedCampaign(
  db: Db,
  workspace: Workspace,
  name: string,
  hours: number,
): Promise<{ campaignId: string; rows: number; events: number }> {
  return db.transaction(async (tx) => {
    const q = <T>(sql: string, params: unknown[] = []) => db.query<T>(sql, params, tx);
    await q(`SELECT setseed(0.2026)`);
    const [{ id: campaignId }] = await q<{ id: string }>(
      `INSERT INTO campaign (workspace_id, name, status, objective, formats, generator, duration_ms, budget_max_variants,
                             budget_max_generation_seconds, landing_url)
       VALUES ($1, $2, 'live', 'ctr', ARRAY['9x16'], 'procedural', 6000, 100000, 1000000, 'https://example.com')
       RETURNING id`,
      [workspace.id, name],
    );
    const [{ id: waveId }] = await q<{ id: string }>(
      `INSERT INTO wave (workspace_id, campaign_id, number, status) VALUES ($1, $2, 1, 'completed') RETURNING id`,
      [workspace.id, campaignId],
    );
    // 600 clips for 1,000 variants: some prompts are shared, so some clips are split.
    await q(
      `INSERT INTO clip (workspace_id, prompt_hash, generator, status, gpu_seconds, cost)
       SELECT $1, $2 || '-' || n, 'procedural', 'ready', 20 + random() * 10, 0.5 + random() * 0.2
       FROM generate_series(1, 600) n`,
      [workspace.id, name],
    );
    await q(
      `INSERT INTO variant (workspace_id, campaign_id, wave_id, template_version_id, segment_id, locale, state, prompt,
                            prompt_hash, copy, clip_id, is_control, created_at)
       SELECT $1, $2, $3, t.id, s.id, 'en-US', 'approved', 'prompt ' || n, c.prompt_hash, '{}', c.id, i = 1,
              now() + n * interval '1 millisecond'
       FROM generate_series(0, $5::int * $6::int - 1) n
       CROSS JOIN LATERAL (SELECT n / $6::int + 1 AS segment_number, n % $6::int + 1 AS i) position
       JOIN segment s ON s.workspace_id = $1 AND s.key = 'seg-' || lpad(position.segment_number::text, 2, '0')
       JOIN template_version t ON t.template_id = $4 AND t.version = position.i
       JOIN clip c ON c.workspace_id = $1 AND c.prompt_hash = $7 || '-' || (n % 600 + 1)`,
      [workspace.id, campaignId, waveId, workspace.templateId, SEGMENTS, VARIANTS_PER_SEGMENT, name],
    );
    // Per variant a true CTR of 1–3%; per hour 30–70 impressions and funnel counts around their rates.
    await q(
      `INSERT INTO metric_rollup (campaign_id, variant_id, segment_key, hour, impressions, starts, q25, q50, q75,
                                  completes, clicks, conversions, conversion_value)
       SELECT $1, r.variant_id, r.segment_key, date_trunc('hour', now()) - r.h * interval '1 hour',
              r.imp, f.starts, round(f.starts * 0.85), round(f.starts * 0.7), round(f.starts * 0.6),
              round(f.starts * 0.5), f.clicks, round(f.clicks * 0.2 * random()), round(f.clicks * random() * 5)
       FROM (
         SELECT v.id AS variant_id, s.key AS segment_key, h, (30 + random() * 40)::int AS imp,
                0.01 + 0.02 * (hashtext(v.id::text) & 1023) / 1023.0 AS ctr
         FROM variant v
         JOIN segment s ON s.id = v.segment_id
         CROSS JOIN generate_series(0, $2::int - 1) h
         WHERE v.campaign_id = $1
       ) r
       CROSS JOIN LATERAL (SELECT round(r.imp * (0.6 + random() * 0.2)) AS starts,
                                  round(r.imp * r.ctr * 2 * random()) AS clicks) f`,
      [campaignId, hours],
    );
    await q(
      `INSERT INTO allocation (campaign_id, segment_key, weights, p_best, reason)
       SELECT $1, s.key, jsonb_object_agg(v.id, 1.0 / $2::int), jsonb_object_agg(v.id, 1.0 / $2::int), 'thompson'
       FROM variant v JOIN segment s ON s.id = v.segment_id WHERE v.campaign_id = $1 GROUP BY s.key`,
      [campaignId, VARIANTS_PER_SEGMENT],
    );
    await q(
      `INSERT INTO allocation_history (campaign_id, segment_key, weights, p_best, srm_p, reason, computed_at)
       SELECT a.campaign_id, a.segment_key, a.weights, a.p_best, random(), 'thompson', now() - h * interval '1 hour'
       FROM allocation a CROSS JOIN generate_series(0, $2::int - 1) h WHERE a.campaign_id = $1`,
      [campaignId, hours],
    );
    const [size] = await q<{ rows: number; events: number }>(
      `SELECT count(*)::int AS rows,
              sum(impressions + starts + q25 + q50 + q75 + completes + clicks + conversions)::float8 AS events
       FROM metric_rollup WHERE campaign_id = $1`,
      [campaignId],
    );
    return { campaignId, ...size };
  });
}
