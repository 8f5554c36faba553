import { INestApplicationContext } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import IORedis from 'ioredis';
import { Registry } from 'prom-client';
import { ObjectStore } from '@adloom/storage';
import { Metrics } from '@adloom/ops';
import { Reconciler } from '@adloom/pipeline';
import { Queues } from '@adloom/queue';
import { freePort, redisAnswers, waitFor } from '@adloom/services';
import { createWorker } from '../apps/worker/src/worker';
import { TestApi } from './support/harness';
import { eventually, seedCampaign, sql } from './support/fixtures';

const BIN = path.resolve(__dirname, '../bin/adloom.js');

/** 3 templates × 4 segments × 2 locales; runners and joggers share every attribute the prompts use. */
const EXAMPLE = {
  prompts: [
    'A {{segment.attributes.sport}} shoe on a wet street at dawn, slow motion',
    'Close-up of {{segment.attributes.sport}} gear, studio light, {{segment.attributes.mood}} mood',
    'Aerial shot of a {{segment.attributes.sport}} track at sunset',
  ],
  segments: [
    {
      key: 'runners',
      name: 'Runners',
      locales: ['en-US', 'de-DE'],
      attributes: { sport: 'running', mood: 'calm' },
    },
    {
      key: 'joggers',
      name: 'Joggers',
      locales: ['en-US', 'de-DE'],
      attributes: { sport: 'running', mood: 'calm' },
    },
    {
      key: 'cyclists',
      name: 'Cyclists',
      locales: ['en-US', 'de-DE'],
      attributes: { sport: 'cycling', mood: 'bold' },
    },
    {
      key: 'climbers',
      name: 'Climbers',
      locales: ['en-US', 'de-DE'],
      attributes: { sport: 'climbing', mood: 'bold' },
    },
  ],
};

async function generationRuns(app: INestApplicationContext): Promise<number> {
  const registry: Registry = app.get(Metrics).registry;
  const metric = await registry.getSingleMetric('adloom_generations_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.outcome === 'ok').reduce((sum, v) => sum + v.value, 0);
}

async function waveDone(api: TestApi, campaignId: string, timeoutMs: number) {
  return eventually(
    async () => {
      const [row] = await sql<{ status: string }>(
        api.config.DATABASE_URL!,
        'SELECT status FROM campaign WHERE id = $1',
        [campaignId],
      );
      return row.status === 'review' ? row : undefined;
    },
    timeoutMs,
    'the wave to complete',
  );
}

describe('generation fan-out', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let marketer: string;

  beforeAll(async () => {
    api = await TestApi.start({ COMPOSE_CONCURRENCY: '2' });
    worker = await createWorker(api.config, ['generate', 'compose', 'wave', 'housekeeping', 'webhooks'], {
      logs: false,
    });
    marketer = await api.key('marketer');
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  it('makes 24 variants and generates each unique prompt exactly once', async () => {
    const seeded = await seedCampaign(api.config.DATABASE_URL!, EXAMPLE);
    const res = await api.request('POST', `/v1/campaigns/${seeded.campaignId}/generate`, { key: marketer });
    expect(res.status).toBe(202);
    expect(res.body.variants).toBe(24);
    // runners and joggers render identical prompts: 3 templates × 3 distinct prompt sets × 2 locales would
    // differ only if prompts used the locale; they do not, so 3 × 3 = 9 unique prompts.
    expect(res.body.uniquePrompts).toBe(9);

    await waveDone(api, seeded.campaignId, 240_000);
    const states = await sql<{ state: string; n: number }>(
      api.config.DATABASE_URL!,
      'SELECT state, count(*)::int AS n FROM variant WHERE campaign_id = $1 GROUP BY state',
      [seeded.campaignId],
    );
    expect(states).toEqual([{ state: 'ready', n: 24 }]);
    expect(await generationRuns(worker)).toBe(9);
    const clips = await sql<{ generations: number }>(
      api.config.DATABASE_URL!,
      'SELECT generations FROM clip',
    );
    expect(clips).toHaveLength(9);
    expect(clips.every((c) => c.generations === 1)).toBe(true);

    const renders = await sql<{ s3_key: string; bytes: string }>(
      api.config.DATABASE_URL!,
      'SELECT s3_key, bytes FROM render WHERE campaign_id = $1',
      [seeded.campaignId],
    );
    expect(renders).toHaveLength(24);
    const head = await api.app.get(ObjectStore).head(renders[0].s3_key);
    expect(head?.bytes).toBe(Number(renders[0].bytes));

    const progress = await api.request('GET', `/v1/campaigns/${seeded.campaignId}/progress`, {
      key: marketer,
    });
    expect(progress.body).toMatchObject({
      status: 'review',
      total: 24,
      done: 24,
      fraction: 1,
      uniqueClips: 9,
    });
    expect(progress.body.states).toEqual({ ready: 24 });
  }, 300_000);

  it('refuses a plan over budget with the numbers and changes nothing', async () => {
    const seeded = await seedCampaign(api.config.DATABASE_URL!, {
      ...EXAMPLE,
      segments: EXAMPLE.segments.map((s) => ({ ...s, key: `${s.key}-b` })),
      maxVariants: 20,
    });
    const res = await api.request('POST', `/v1/campaigns/${seeded.campaignId}/generate`, { key: marketer });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'over_budget', field: 'budget', variants: 24, maxVariants: 20 });
    const [{ n }] = await sql<{ n: number }>(
      api.config.DATABASE_URL!,
      'SELECT count(*)::int AS n FROM variant WHERE campaign_id = $1',
      [seeded.campaignId],
    );
    expect(n).toBe(0);
    const again = await api.request('GET', `/v1/campaigns/${seeded.campaignId}/progress`, { key: marketer });
    expect(again.body.status).toBe('draft');
  });

  it('streams progress as server-sent events', async () => {
    const seeded = await seedCampaign(api.config.DATABASE_URL!, {
      prompts: [EXAMPLE.prompts[0]],
      segments: [{ ...EXAMPLE.segments[2], key: 'sse', locales: ['en-US'] }],
    });
    await api.request('POST', `/v1/campaigns/${seeded.campaignId}/generate`, { key: marketer });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `${await api.app.getUrl()}/v1/campaigns/${seeded.campaignId}/progress/stream`;
    const response = await fetch(url.replace('[::1]', '127.0.0.1'), {
      headers: { authorization: `Bearer ${marketer}` },
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)));
    expect(events.length).toBeGreaterThan(0);
    expect(events[events.length - 1]).toMatchObject({ status: 'review', done: 1, total: 1 });
  }, 120_000);
});

describe('resilience', () => {
  let redis: ChildProcess;
  let redisUrl: string;
  let api: TestApi;
  const workers: ChildProcess[] = [];

  const startWorker = (queues: string) => {
    const child = spawn(process.execPath, [BIN, 'worker', '--queues', queues], {
      env: {
        ...process.env,
        DATABASE_URL: api.config.DATABASE_URL,
        REDIS_URL: redisUrl,
        S3_ENDPOINT: api.config.S3_ENDPOINT,
        S3_BUCKET: api.config.S3_BUCKET,
        S3_ACCESS_KEY_ID: api.config.S3_ACCESS_KEY_ID,
        S3_SECRET_ACCESS_KEY: api.config.S3_SECRET_ACCESS_KEY,
        QUEUE_PREFIX: api.config.QUEUE_PREFIX,
        LOG_LEVEL: 'error',
        JOB_LOCK: '3s',
        RECONCILE_INTERVAL: '2s',
        GENERATE_CONCURRENCY: '2',
      },
      stdio: 'ignore',
    });
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(() => redisAnswers('127.0.0.1', port), 10_000, 'redis');
    redisUrl = `redis://127.0.0.1:${port}`;
    api = await TestApi.start({ REDIS_URL: redisUrl, JOB_LOCK: '3s' });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await api?.close();
    redis?.kill('SIGKILL');
  });

  const slowSegments = (tag: string) =>
    ['a', 'b', 'c', 'd'].map((k, i) => ({
      key: `${tag}-${k}`,
      name: `${tag} ${k}`,
      locales: ['en-US'],
      attributes: { sport: `${tag} sport ${i}`, mood: 'calm' },
    }));

  it('loses nothing when a worker is killed mid-generation', async () => {
    const marketer = await api.key('marketer');
    const seeded = await seedCampaign(api.config.DATABASE_URL!, {
      prompts: EXAMPLE.prompts.slice(0, 2),
      segments: slowSegments('kill'),
      durationMs: 3000,
    });
    const first = startWorker('generate,compose,wave,housekeeping');
    await api.request('POST', `/v1/campaigns/${seeded.campaignId}/generate`, { key: marketer });
    await eventually(
      async () =>
        (
          await sql<{ n: number }>(
            api.config.DATABASE_URL!,
            `SELECT count(*)::int AS n FROM variant WHERE campaign_id = $1 AND state = 'generating'`,
            [seeded.campaignId],
          )
        )[0].n > 0,
      60_000,
      'generation to start',
    );
    first.kill('SIGKILL');
    startWorker('generate,compose,wave,housekeeping');
    await waveDone(api, seeded.campaignId, 240_000);
    const variants = await sql<{ state: string; renders: number }>(
      api.config.DATABASE_URL!,
      `SELECT v.state, (SELECT count(*)::int FROM render r WHERE r.variant_id = v.id) AS renders
       FROM variant v WHERE v.campaign_id = $1`,
      [seeded.campaignId],
    );
    expect(variants).toHaveLength(8);
    expect(variants.every((v) => v.state === 'ready' && v.renders === 1)).toBe(true);
    const clips = await sql<{ generations: number }>(
      api.config.DATABASE_URL!,
      `SELECT generations FROM clip WHERE id IN (SELECT clip_id FROM variant WHERE campaign_id = $1)`,
      [seeded.campaignId],
    );
    expect(clips).toHaveLength(8);
    expect(clips.every((c) => c.generations === 1)).toBe(true);
  }, 300_000);

  it('restores every in-flight variant after FLUSHALL and completes the wave', async () => {
    const marketer = await api.key('marketer');
    const seeded = await seedCampaign(api.config.DATABASE_URL!, {
      prompts: EXAMPLE.prompts.slice(0, 2),
      segments: slowSegments('flush'),
      durationMs: 2000,
    });
    const worker = await createWorker(api.config, ['generate', 'compose', 'wave', 'webhooks'], {
      logs: false,
    });
    try {
      await api.request('POST', `/v1/campaigns/${seeded.campaignId}/generate`, { key: marketer });
      await eventually(
        async () =>
          (
            await sql<{ n: number }>(
              api.config.DATABASE_URL!,
              `SELECT count(*)::int AS n FROM variant WHERE campaign_id = $1 AND state IN ('composing', 'ready')`,
              [seeded.campaignId],
            )
          )[0].n > 0,
        60_000,
        'the wave to get going',
      );
      const client = new IORedis(redisUrl);
      await client.flushall();
      await client.quit();
      // Every job is gone; only the reconciler (this call, or a worker's scheduled run) can bring them back.
      const lost = await api.app.get(Queues).queue('generate').getJobCounts('waiting', 'active', 'delayed');
      expect(Object.values(lost).reduce((a, b) => a + b, 0)).toBe(0);
      await api.app.get(Reconciler).reconcile();
      await waveDone(api, seeded.campaignId, 240_000);
      const states = await sql<{ state: string; n: number }>(
        api.config.DATABASE_URL!,
        'SELECT state, count(*)::int AS n FROM variant WHERE campaign_id = $1 GROUP BY state',
        [seeded.campaignId],
      );
      expect(states).toEqual([{ state: 'ready', n: 8 }]);
    } finally {
      await worker.close();
    }
  }, 300_000);
});
