/**
 * Report benchmark: a campaign of 1,000 variants over 20 segments (50 per segment, each variant in its
 * own segment as the planner makes them) with three days of hourly rollups holding over 10 million
 * events, then `GET /v1/campaigns/:id/report` through the real API (auth, validation, JSON) for
 * by=variant,segment (P(best) among each segment's 50 variants) and by=variant (among all 1,000),
 * medians of several runs after a warm-up. The aggregate SQL alone is timed beside it.
 *
 *   node dist/bench/report/main.js [--runs 7] [--hours 72]
 *
 * Last line: JSON with ms (by=variant,segment), ms_by_variant, rows (rollup rows) and events.
 */
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiKeysService } from '@adloom/auth';
import { Db } from '@adloom/db';
import { ReportsRepository } from '@adloom/reports';
import { createApi } from '../../apps/api/src/app';
import { benchServices, median } from '../support/services';

const SEGMENTS = 20;
const VARIANTS_PER_SEGMENT = 50;
const OTHER_CAMPAIGNS = 2;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

interface Workspace {
  id: string;
  templateId: string;
}

/**
 * 50 template versions and the 20 segments every campaign of the benchmark uses: as the planner makes
 * them, a campaign has one variant per template × segment, so each template is a family of 20 variants
 * whose prior is pooled across the segments.
 */
async function seedWorkspace(db: Db, workspaceId: string): Promise<Workspace> {
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
async function seedCampaign(
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

async function time(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function main() {
  const runs = option('runs', 7);
  const hours = option('hours', 72);
  const { config, services } = await benchServices();
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApi(config, { logs: false });
    const api = app;
    const { key, workspaceId } = await api.get(ApiKeysService).createForWorkspaceName('bench', 'analyst');
    const db = api.get(Db);
    const seeding = Date.now();
    const workspace = await seedWorkspace(db, workspaceId);
    // Other campaigns' rollups share the table, as in production: the report must find its own by index.
    for (let other = 1; other <= OTHER_CAMPAIGNS; other++)
      await seedCampaign(db, workspace, `other-${other}`, hours);
    const { campaignId, rows, events } = await seedCampaign(db, workspace, 'bench', hours);
    await db.query('VACUUM ANALYZE metric_rollup');
    await db.query('VACUUM ANALYZE allocation_history');
    console.log(
      `seeded ${SEGMENTS * VARIANTS_PER_SEGMENT} variants × ${hours} h: ${rows.toLocaleString('en')} rollup rows, ` +
        `${Math.round(events).toLocaleString('en')} events, beside ${OTHER_CAMPAIGNS} other campaigns as large ` +
        `(${((Date.now() - seeding) / 1000).toFixed(1)} s)`,
    );

    const report = async (by: string, accept = 'application/json') => {
      const res = await api.inject({
        method: 'GET',
        url: `/v1/campaigns/${campaignId}/report?by=${by}`,
        headers: { authorization: `Bearer ${key}`, accept },
      });
      if (res.statusCode !== 200) throw new Error(`report answered ${res.statusCode}: ${res.body}`);
      return res;
    };
    const plan = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS)
       SELECT variant_id, segment_key, sum(impressions)::float8, sum(starts)::float8, sum(q25)::float8,
              sum(q50)::float8, sum(q75)::float8, sum(completes)::float8, sum(clicks)::float8,
              sum(conversions)::float8, sum(conversion_value)::float8
       FROM metric_rollup
       WHERE campaign_id = $1 AND hour >= '-infinity'::timestamptz AND hour < 'infinity'::timestamptz
       GROUP BY variant_id, segment_key`,
      [campaignId],
    );
    console.log(`\nplan of the aggregate:\n${plan.map((row) => `  ${row['QUERY PLAN']}`).join('\n')}`);
    const repository = api.get(ReportsRepository);
    const cases: { label: string; work: () => Promise<unknown> }[] = [
      { label: 'aggregate SQL only', work: () => repository.cells(campaignId, { from: null, to: null }) },
      { label: 'report by=variant,segment', work: () => report('variant,segment') },
      { label: 'report by=variant', work: () => report('variant') },
      { label: 'report by=segment', work: () => report('segment') },
      { label: 'report by=variant,segment (CSV)', work: () => report('variant,segment', 'text/csv') },
    ];
    const reportRows = (JSON.parse((await report('variant,segment')).body) as { rows: unknown[] }).rows
      .length;
    for (const { work } of cases) await work(); // warm-up: JIT, connection pool, buffer cache
    const medians = new Map<string, number>();
    for (const { label, work } of cases) {
      const samples: number[] = [];
      for (let run = 0; run < runs; run++) samples.push(await time(work));
      medians.set(label, median(samples));
    }

    console.log(`\n${'case'.padEnd(36)}${'median ms'.padStart(10)}   (${runs} runs)`);
    for (const [label, ms] of medians) console.log(`${label.padEnd(36)}${ms.toFixed(1).padStart(10)}`);
    console.log(`report rows by=variant,segment: ${reportRows}`);
    console.log(
      JSON.stringify({
        bench: 'report',
        ms: Number(medians.get('report by=variant,segment')!.toFixed(1)),
        ms_by_variant: Number(medians.get('report by=variant')!.toFixed(1)),
        ms_by_segment: Number(medians.get('report by=segment')!.toFixed(1)),
        ms_sql: Number(medians.get('aggregate SQL only')!.toFixed(1)),
        rows,
        report_rows: reportRows,
        events: Math.round(events),
        variants: SEGMENTS * VARIANTS_PER_SEGMENT,
        segments: SEGMENTS,
      }),
    );
  } finally {
    await app?.close();
    await services.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
