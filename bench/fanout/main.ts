/**
 * Plans and enqueues a 100,000-variant campaign (4 templates × 25,000 segments), against a bare
 * BullMQ addBulk of 100,000 jobs in the same run. Last line: JSON with seconds, bare_seconds, ratio.
 */
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { AdloomModule } from '@adloom/core';
import { Db } from '@adloom/db';
import { PlannerService } from '@adloom/planner';
import { Queues, redisConnection } from '@adloom/queue';
import { benchServices } from '../support/services';

const TEMPLATES = 4;
const SEGMENTS = Number(process.argv.find((a) => a.startsWith('--segments='))?.split('=')[1] ?? 25_000);
const BATCH = 5_000;

async function main() {
  const { config, services } = await benchServices();
  const app = await NestFactory.createApplicationContext(AdloomModule.forRoot(config), { logger: false });
  const db = app.get(Db);
  try {
    const ws = (await db.one<{ id: string }>(`INSERT INTO workspace (name) VALUES ('bench') RETURNING id`))!
      .id;
    const template = (await db.one<{ id: string }>(
      `INSERT INTO template (workspace_id, name, latest_version) VALUES ($1, 'bench', $2) RETURNING id`,
      [ws, TEMPLATES],
    ))!.id;
    const versions = await db.query<{ id: string }>(
      `INSERT INTO template_version (workspace_id, template_id, version, prompt, headline, cta, captions, variables)
       SELECT $1, $2, n, 'A ' || n || ' second look at {{segment.name}} in {{segment.attributes.city}}',
              'Hello {{segment.name}}', 'Shop now', '[]',
              '[]'
       FROM generate_series(1, $3) n RETURNING id`,
      [ws, template, TEMPLATES],
    );
    await db.query(
      `INSERT INTO segment (workspace_id, key, name, locales, attributes)
       SELECT $1, 'seg-' || n, 'Segment ' || n, ARRAY['en-US'], jsonb_build_object('city', 'City ' || (n % 100))
       FROM generate_series(1, $2) n`,
      [ws, SEGMENTS],
    );
    const campaign = (await db.one<{ id: string }>(
      `INSERT INTO campaign (workspace_id, name, objective, formats, generator, duration_ms, budget_max_variants,
                             budget_max_generation_seconds, landing_url)
       VALUES ($1, 'bench', 'ctr', ARRAY['9x16'], 'procedural', 6000, 1000000, 10000000, 'https://example.com')
       RETURNING id`,
      [ws],
    ))!.id;
    await db.query(
      `INSERT INTO campaign_template (campaign_id, template_version_id, position)
       SELECT $1, id, row_number() OVER () FROM unnest($2::uuid[]) id`,
      [campaign, versions.map((v) => v.id)],
    );
    await db.query(
      `INSERT INTO campaign_segment (campaign_id, segment_id, position)
       SELECT $1, id, row_number() OVER (ORDER BY key) FROM segment WHERE workspace_id = $2`,
      [campaign, ws],
    );
    const variants = TEMPLATES * SEGMENTS;

    // Bare baseline: the same number of jobs, same batch size, straight into a queue.
    const bare = new Queue('bare', {
      connection: redisConnection(config.REDIS_URL!),
      prefix: config.QUEUE_PREFIX,
    });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < variants; i += BATCH) {
      const n = Math.min(BATCH, variants - i);
      await bare.addBulk(
        Array.from({ length: n }, (_, k) => ({
          name: 'generate',
          data: { workspaceId: ws, variantId: `v${i + k}` },
          opts: { jobId: `generate-${i + k}`, attempts: 5 },
        })),
      );
    }
    const bareSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await bare.obliterate({ force: true });
    await bare.close();

    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    const t1 = process.hrtime.bigint();
    const plan = await app.get(PlannerService).generate(ws, campaign);
    const seconds = Number(process.hrtime.bigint() - t1) / 1e9;
    clearInterval(sampler);
    const waiting = await app
      .get(Queues)
      .queue('generate')
      .getJobCountByTypes('waiting', 'waiting-children', 'delayed');

    console.log(
      `planned ${plan.variants} variants (${plan.uniquePrompts} unique prompts), ${waiting} generate jobs enqueued`,
    );
    console.log(`plan + enqueue: ${seconds.toFixed(2)} s; bare addBulk: ${bareSeconds.toFixed(2)} s`);
    console.log(
      `  planning (render, policy, insert): ${plan.timings!.planMs} ms; enqueue: ${plan.timings!.enqueueMs} ms`,
    );
    console.log(`memory: rss grew ${((peakRss - rssBefore) / 1e6).toFixed(0)} MB while planning`);
    console.log(
      JSON.stringify({
        bench: 'fanout',
        variants: plan.variants,
        jobs: waiting,
        seconds: +seconds.toFixed(3),
        bare_seconds: +bareSeconds.toFixed(3),
        ratio: +(seconds / bareSeconds).toFixed(3),
        rss_growth_mb: Math.round((peakRss - rssBefore) / 1e6),
        plan_ms: plan.timings!.planMs,
        enqueue_ms: plan.timings!.enqueueMs,
      }),
    );
  } finally {
    await app
      .get(Queues)
      .queue('generate')
      .obliterate({ force: true })
      .catch(() => undefined);
    await app.close();
    await services.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
