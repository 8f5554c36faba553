import { Queue, QueueEvents } from 'bullmq';
import { redisConnection } from '@adloom/queue';
import { ObjectStore } from '@adloom/storage';
import { eventually, seedCampaign, sql } from './support/fixtures';
import { call, Fleet, FleetProcess, newAdminKey } from './scale-fleet';

/** 2 templates × 20 segments × 1 locale = 40 variants, every prompt different (so 40 model runs). */
const CAMPAIGN = {
  prompts: [
    'A {{segment.attributes.sport}} shoe on a wet street at dawn',
    'Close-up of {{segment.attributes.sport}} gear under studio light',
  ],
  segments: Array.from({ length: 20 }, (_, i) => ({
    key: `fleet-${i}`,
    name: `Fleet ${i}`,
    locales: ['en-US'],
    attributes: { sport: `sport number ${i}` },
  })),
  durationMs: 1000,
  formats: ['1x1'],
};

/** GPU nodes run `generate`; CPU nodes run everything else a campaign needs (as infra/k8s does). */
const GPU_QUEUES = 'generate';
const CPU_QUEUES = 'compose,wave,housekeeping,webhooks';

describe('a fleet of API and worker processes on one machine', () => {
  let fleet: Fleet;
  let apiA: FleetProcess;
  let apiB: FleetProcess;
  let events: QueueEvents;
  let compose: Queue;
  let admin: string;
  /** Compose jobs that ended with the variant ready, per variant: "composed once" is one entry each. */
  const composedReady = new Map<string, number>();
  const stalled: string[] = [];

  beforeAll(async () => {
    fleet = await Fleet.start();
    admin = newAdminKey();
    // The first API bootstraps the admin key; the second starts once the key exists.
    apiA = await fleet.api('api-a', { ADLOOM_BOOTSTRAP_ADMIN_KEY: admin });
    apiB = await fleet.api('api-b');
    await Promise.all([
      fleet.worker('gpu-1', GPU_QUEUES, { GENERATE_CONCURRENCY: '2' }),
      fleet.worker('cpu-1', CPU_QUEUES, { RECONCILE_INTERVAL: '5s' }),
      fleet.worker('cpu-2', CPU_QUEUES, { RECONCILE_INTERVAL: '5s' }),
    ]);
    events = await fleet.queueEvents('compose');
    events.on('completed', ({ jobId, returnvalue }) => {
      const result = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as {
        outcome?: string;
      };
      if (result?.outcome !== 'ready') return;
      const variantId = jobId.replace(/^compose-/, '');
      composedReady.set(variantId, (composedReady.get(variantId) ?? 0) + 1);
    });
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    compose = new Queue('compose', {
      connection: redisConnection(fleet.config.REDIS_URL!),
      prefix: fleet.config.QUEUE_PREFIX,
    });
  }, 120_000);

  afterAll(async () => {
    await events?.close();
    await compose?.close();
    await fleet?.stop();
  });

  it('generates and composes a 40-variant campaign exactly once while a worker dies and another joins', async () => {
    const created = await call(apiA.url, 'POST', '/v1/api-keys', {
      key: admin,
      body: { role: 'marketer', name: 'fleet' },
    });
    expect(created.status).toBe(201);
    const marketer = created.body.key as string;

    const seeded = await seedCampaign(fleet.databaseUrl, CAMPAIGN);
    const generate = await call(apiB.url, 'POST', `/v1/campaigns/${seeded.campaignId}/generate`, {
      key: marketer,
    });
    expect(generate.status).toBe(202);
    expect(generate.body).toMatchObject({ variants: 40, uniquePrompts: 40 });

    // Mid-wave: some variants are done and both CPU workers are each composing one (concurrency 1).
    await eventually(
      async () => {
        const progress = await call(apiA.url, 'GET', `/v1/campaigns/${seeded.campaignId}/progress`, {
          key: marketer,
        });
        return (progress.body.states?.ready ?? 0) >= 5 && (await compose.getActiveCount()) >= 2;
      },
      120_000,
      'both CPU workers to be composing mid-wave',
    );
    const victim = fleet.processes.find((p) => p.name === 'cpu-1')!;
    victim.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    await fleet.worker('cpu-3', CPU_QUEUES, { RECONCILE_INTERVAL: '5s' });

    const done = await eventually(
      async () => {
        const progress = await call(apiB.url, 'GET', `/v1/campaigns/${seeded.campaignId}/progress`, {
          key: marketer,
        });
        return progress.body.status === 'review' ? progress.body : undefined;
      },
      180_000,
      'the wave to complete',
    );
    expect(done).toMatchObject({ status: 'review', total: 40, done: 40, uniqueClips: 40 });
    expect(done.states).toEqual({ ready: 40 });

    // Generated once: one model run per clip, and one clip per prompt.
    const clips = await sql<{ generations: number }>(
      fleet.databaseUrl,
      `SELECT c.generations FROM clip c WHERE c.id IN (SELECT clip_id FROM variant WHERE campaign_id = $1)`,
      [seeded.campaignId],
    );
    expect(clips).toHaveLength(40);
    expect(clips.filter((c) => c.generations !== 1)).toEqual([]);

    // Composed once: one render row per variant, and exactly one compose run that made it ready.
    const variants = await sql<{ id: string; state: string; renders: number }>(
      fleet.databaseUrl,
      `SELECT v.id, v.state, (SELECT count(*)::int FROM render r WHERE r.variant_id = v.id) AS renders
       FROM variant v WHERE v.campaign_id = $1`,
      [seeded.campaignId],
    );
    expect(variants).toHaveLength(40);
    expect(variants.filter((v) => v.state !== 'ready' || v.renders !== 1)).toEqual([]);
    await eventually(async () => composedReady.size === 40, 10_000, 'every compose completion event');
    expect([...composedReady.keys()].sort()).toEqual(variants.map((v) => v.id).sort());
    expect([...composedReady.values()].every((n) => n === 1)).toBe(true);
    // The killed worker was holding a compose job; another worker took it over.
    expect(stalled.length).toBeGreaterThanOrEqual(1);

    // Every object in S3 belongs to a finished render: video, poster, manifest and both caption files.
    const store = new ObjectStore(fleet.config);
    try {
      const keys = await store.list(`renders/${seeded.workspaceId}/${seeded.campaignId}/`);
      expect(keys).toHaveLength(40 * 5);
    } finally {
      store.client.destroy();
    }
  }, 300_000);

  it('stops every process cleanly on SIGTERM', async () => {
    const running = fleet.processes.filter((p) => p.running);
    expect(running.map((p) => p.name).sort()).toEqual(['api-a', 'api-b', 'cpu-2', 'cpu-3', 'gpu-1']);
    const exits = await Promise.all(running.map((p) => p.terminate()));
    for (const [i, exit] of exits.entries()) {
      expect({
        name: running[i].name,
        code: exit.code,
        output: exit.code === 0 ? '' : running[i].output,
      }).toEqual({ name: running[i].name, code: 0, output: '' });
      expect(exit.ms).toBeLessThan(15_000);
    }
  }, 60_000);
});
