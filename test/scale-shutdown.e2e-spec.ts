import { request as httpRequest } from 'node:http';
import { Job, Queue } from 'bullmq';
import { redisConnection } from '@adloom/queue';
import { ObjectStore } from '@adloom/storage';
import { eventually, seedCampaign, Seeded, sql } from './support/fixtures';
import { call, Fleet, FleetProcess, newAdminKey } from './scale-fleet';

const ALL_FORMATS = ['9x16', '1x1', '16x9', '4x5'];

/** A campaign of 6 s clips (finished into all four formats unless told): a compose long enough to catch mid-way. */
const slowCompose = (tag: string, segments = 1, formats = ALL_FORMATS) => ({
  prompts: ['A {{segment.attributes.sport}} shoe on a wet street at dawn'],
  segments: Array.from({ length: segments }, (_, i) => ({
    key: `${tag}-${i}`,
    name: `${tag} ${i}`,
    locales: ['en-US'],
    attributes: { sport: `${tag} sport ${i}` },
  })),
  durationMs: 6000,
  formats,
});

describe('graceful shutdown', () => {
  let fleet: Fleet;
  let api: FleetProcess;
  let admin: string;
  let marketer: string;
  let compose: Queue;
  let store: ObjectStore;

  const variantsOf = (campaignId: string) =>
    sql<{ id: string; state: string; renders: number }>(
      fleet.databaseUrl,
      `SELECT v.id, v.state, (SELECT count(*)::int FROM render r WHERE r.variant_id = v.id) AS renders
       FROM variant v WHERE v.campaign_id = $1 ORDER BY v.id`,
      [campaignId],
    );
  const objectsOf = (seeded: Seeded) => store.list(`renders/${seeded.workspaceId}/${seeded.campaignId}/`);

  /** Generates the campaign and resolves once ffmpeg is working on its first compose job. */
  async function composing(seeded: Seeded): Promise<Job> {
    const res = await call(api.url, 'POST', `/v1/campaigns/${seeded.campaignId}/generate`, { key: marketer });
    expect(res.status).toBe(202);
    return eventually(
      async () => {
        const [job] = await compose.getActive();
        return job && Number(job.progress) > 0 ? job : undefined;
      },
      90_000,
      'a compose job to be under way',
    );
  }

  beforeAll(async () => {
    fleet = await Fleet.start();
    admin = newAdminKey();
    api = await fleet.api('api', { ADLOOM_BOOTSTRAP_ADMIN_KEY: admin });
    await fleet.worker('gpu', 'generate,wave,housekeeping', { GENERATE_CONCURRENCY: '2' });
    marketer = (await call(api.url, 'POST', '/v1/api-keys', { key: admin, body: { role: 'marketer' } })).body
      .key;
    compose = new Queue('compose', {
      connection: redisConnection(fleet.config.REDIS_URL!),
      prefix: fleet.config.QUEUE_PREFIX,
    });
    store = new ObjectStore(fleet.config);
  }, 120_000);

  afterAll(async () => {
    await compose?.close();
    store?.client.destroy();
    await fleet?.stop();
  });

  it('hands a compose job back when SIGTERM outlasts the grace, leaving no objects, and another worker finishes it', async () => {
    const seeded = await seedCampaign(fleet.databaseUrl, slowCompose('short'));
    const worker = await fleet.worker('cpu-short-grace', 'compose', { SHUTDOWN_GRACE: '1s' });
    const job = await composing(seeded);

    const exit = await worker.terminate();
    expect({ code: exit.code, output: exit.code === 0 ? '' : worker.output }).toEqual({
      code: 0,
      output: '',
    });
    expect(exit.ms).toBeGreaterThanOrEqual(1000);
    expect(exit.ms).toBeLessThan(8000);

    // Nothing stored, nothing recorded, and the job is back in the queue without a try spent.
    const [variant] = await variantsOf(seeded.campaignId);
    expect(variant).toMatchObject({ state: 'composing', renders: 0 });
    expect(await objectsOf(seeded)).toEqual([]);
    const back = (await compose.getJob(job.id!))!;
    expect(await back.getState()).toBe('waiting');
    expect(back.attemptsMade).toBe(0);

    const next = await fleet.worker('cpu-next', 'compose');
    await eventually(
      async () => (await variantsOf(seeded.campaignId))[0].state === 'ready',
      120_000,
      'the next worker to finish the variant',
    );
    expect((await variantsOf(seeded.campaignId))[0].renders).toBe(4);
    // Video, poster and manifest per format, and the two caption files.
    expect(await objectsOf(seeded)).toHaveLength(4 * 3 + 2);
    const idle = await next.terminate();
    expect(idle.code).toBe(0);
    expect(idle.ms).toBeLessThan(5000);
  }, 240_000);

  it('lets the compose in flight finish within a long grace, and takes no new job meanwhile', async () => {
    const seeded = await seedCampaign(fleet.databaseUrl, slowCompose('long', 2, ['9x16', '1x1']));
    const worker = await fleet.worker('cpu-long-grace', 'compose', { SHUTDOWN_GRACE: '2m' });
    const job = await composing(seeded);

    const exit = await worker.terminate();
    expect({ code: exit.code, output: exit.code === 0 ? '' : worker.output }).toEqual({
      code: 0,
      output: '',
    });

    // The job under way when SIGTERM came was finished and recorded before the process exited.
    expect(await (await compose.getJob(job.id!))!.getState()).toBe('completed');
    const variants = await variantsOf(seeded.campaignId);
    const finished = variants.find((v) => `compose-${v.id}` === job.id)!;
    expect(finished).toMatchObject({ state: 'ready', renders: 2 });
    // The other variant was not started by the stopping worker.
    const other = variants.find((v) => v !== finished)!;
    expect(other.state).not.toBe('ready');
    expect(await store.list(`renders/${seeded.workspaceId}/${seeded.campaignId}/${other.id}/`)).toEqual([]);
  }, 240_000);

  it('drains the API: a request in flight at SIGTERM completes, new connections are refused', async () => {
    const draining = await fleet.api('api-drain', { SHUTDOWN_GRACE: '10s' });
    const body = JSON.stringify({ role: 'analyst', name: 'slow client' });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${draining.url}/v1/api-keys`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${admin}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      // Half the body now, the rest after SIGTERM: the request is in flight when the signal comes.
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 1500);
    });
    await new Promise((r) => setTimeout(r, 300));
    const exited = draining.terminate();
    await new Promise((r) => setTimeout(r, 500));
    await expect(fetch(`${draining.url}/health/live`)).rejects.toThrow();

    const res = await answered;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body).key).toMatch(/^adl_/);
    const exit = await exited;
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(10_000);
  }, 60_000);
});

describe('scheduled work', () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await Fleet.start();
  }, 60_000);
  afterAll(async () => fleet?.stop());

  it('runs the reconciler once per interval across three workers, not once per worker', async () => {
    const workers = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        fleet.worker(`housekeeping-${n}`, 'housekeeping', { RECONCILE_INTERVAL: '1s' }),
      ),
    );
    const events = await fleet.queueEvents('housekeeping');
    const finished: number[] = [];
    events.on('completed', () => finished.push(Date.now()));
    try {
      const windowMs = 8_000;
      await new Promise((r) => setTimeout(r, windowMs));
      // One run per second (± one at either edge of the window); three workers each on its own timer would make ~24.
      expect(finished.length).toBeGreaterThanOrEqual(windowMs / 1000 - 2);
      expect(finished.length).toBeLessThanOrEqual(windowMs / 1000 + 1);
      const housekeeping = new Queue('housekeeping', {
        connection: redisConnection(fleet.config.REDIS_URL!),
        prefix: fleet.config.QUEUE_PREFIX,
      });
      try {
        expect((await housekeeping.getJobSchedulers()).map((s) => s.key)).toEqual(['reconcile']);
      } finally {
        await housekeeping.close();
      }
    } finally {
      await events.close();
    }
    for (const w of workers) expect((await w.terminate()).code).toBe(0);
  }, 90_000);
});
