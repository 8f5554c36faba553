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
import {
  OTHER_CAMPAIGNS,
  SEGMENTS,
  VARIANTS_PER_SEGMENT,
  seedCampaign,
  seedWorkspace,
} from '../support/campaign-seed';
import { benchServices, median } from '../support/services';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
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
