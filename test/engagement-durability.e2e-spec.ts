/**
 * Engagement that is never lost once acknowledged, tried on real processes (`adloom api`, `adloom
 * worker --queues engagement`), a private Redis with AOF (so the test may kill it) and the test
 * Postgres: the serving process killed under pixel load, Postgres unreachable for 30 s, the consumer
 * killed mid-batch, Redis down.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import IORedis from 'ioredis';
import { AdloomConfig } from '@adloom/config';
import { createDataSource, Db } from '@adloom/db';
import { ROLLUP_GROUP, signToken } from '@adloom/engagement';
import { freePort, redisAnswers, redisServerArgs, waitFor } from '@adloom/services';
import { seedCampaign, SeededCampaign } from '../bench/delivery/seed';
import { FleetProcess, processEnv, startAdloom } from './scale-fleet';
import { testConfig } from './support/harness';

/** The command that serves `GET /t/:token`. */
const PIXEL_SERVER = ['edge'];

/** A Postgres "outage" at the network: while closed, connections are cut and new ones refused. */
class PostgresLink {
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      // A side that goes away takes the other with it, as a direct connection would: Postgres must
      // see a killed client leave, or its open transaction keeps its locks.
      for (const [socket, other] of [
        [client, upstream],
        [upstream, client],
      ]) {
        this.sockets.add(socket);
        socket.on('close', () => {
          this.sockets.delete(socket);
          other.destroy();
        });
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

class Deployment {
  readonly processes: FleetProcess[] = [];
  readonly redis: IORedis;
  private redisServer: ChildProcess;
  private readonly stream: string;

  private constructor(
    readonly config: AdloomConfig,
    readonly db: Db,
    private readonly redisPort: number,
    private readonly redisDir: string,
    readonly link: PostgresLink,
  ) {
    this.redisServer = Deployment.redisServer(redisPort, redisDir);
    this.redis = new IORedis(config.REDIS_URL!, { maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
    this.stream = `${config.QUEUE_PREFIX}:engagement`;
  }

  private static redisServer(port: number, dir: string): ChildProcess {
    return spawn('redis-server', redisServerArgs(port, dir), { stdio: 'ignore' });
  }

  static async start(): Promise<Deployment> {
    const redisPort = await freePort();
    const redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'adloom-stream-'));
    const config = await testConfig({ REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    const pg = new URL(config.DATABASE_URL!);
    const link = new PostgresLink(await freePort(), { host: pg.hostname, port: Number(pg.port) });
    await link.open();
    const dataSource = await createDataSource(config.DATABASE_URL!, 2).initialize();
    const deployment = new Deployment(config, new Db(dataSource), redisPort, redisDir, link);
    await waitFor(() => redisAnswers('127.0.0.1', redisPort), 10_000, 'redis');
    return deployment;
  }

  env(overrides: Record<string, string>): NodeJS.ProcessEnv {
    const viaLink = new URL(this.config.DATABASE_URL!);
    viaLink.port = String(this.link.port);
    return processEnv(this.config, {
      DATABASE_URL: viaLink.toString(),
      ENGAGEMENT_CLAIM_IDLE: '2s',
      ...overrides,
    });
  }

  /** The process that serves pixels, ready. */
  async pixelServer(name: string): Promise<FleetProcess> {
    const port = await freePort();
    // Every pixel of the load comes from this one address: no per-IP limit may refuse any of them.
    const unlimited = { EDGE_PIXEL_RATE_LIMIT: '100000000' };
    return this.spawn(name, PIXEL_SERVER, { EDGE_PORT: String(port), HOST: '127.0.0.1', ...unlimited }, port);
  }

  async consumer(name: string, env: Record<string, string> = {}): Promise<FleetProcess> {
    const port = await freePort();
    return this.spawn(
      name,
      ['worker', '--queues', 'engagement'],
      { ...env, WORKER_HEALTH_PORT: String(port), HOST: '127.0.0.1' },
      port,
    );
  }

  /** Entries not yet counted, and how many of them a consumer holds. */
  async backlog(): Promise<{ length: number; pending: number }> {
    const [length, pending] = await Promise.all([
      this.redis.xlen(this.stream),
      this.redis.xpending(this.stream, ROLLUP_GROUP).catch(() => [0]) as Promise<[number]>,
    ]);
    return { length, pending: Number(pending[0]) };
  }

  /** Resolves once every entry is counted (the stream is empty); the milliseconds it took. */
  async caughtUp(timeoutMs: number): Promise<number> {
    const started = Date.now();
    await waitFor(async () => (await this.backlog()).length === 0, timeoutMs, 'the consumers to catch up');
    return Date.now() - started;
  }

  async stopRedis(): Promise<void> {
    const exited = new Promise((resolve) => this.redisServer.once('exit', resolve));
    this.redisServer.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    for (const p of this.processes) p.kill('SIGKILL');
    await Promise.all(this.processes.map((p) => p.exited));
    this.redis.disconnect();
    if (this.redisServer.exitCode === null && this.redisServer.signalCode === null) await this.stopRedis();
    await this.link.close();
    await this.db.dataSource.destroy();
    fs.rmSync(this.redisDir, { recursive: true, force: true });
  }

  private spawn(name: string, args: string[], env: Record<string, string>, port: number) {
    return startAdloom(name, args, this.env(env), port, this.processes);
  }
}

interface Pixel {
  id: string;
  path: string;
}

function pixels(config: AdloomConfig, campaign: SeededCampaign, count: number): Pixel[] {
  const issuedAt = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => {
    const variant = campaign.variants[i % campaign.variants.length];
    const adServingId = randomUUID();
    const token = signToken(
      {
        campaignId: campaign.campaignId,
        variantId: variant.id,
        adServingId,
        segment: variant.segmentKey,
        format: '9x16',
        event: 'impression',
        issuedAt,
        expiresAt: issuedAt + 3600,
      },
      config.TRACKING_SECRET!,
    );
    return { id: `t:${adServingId}:impression`, path: `/t/${token}` };
  });
}

interface LoadResult {
  answered: Pixel[];
  unanswered: Pixel[];
  statuses: Map<number, number>;
}

/**
 * Sends the pixels from `concurrency` clients; a pixel is answered when it got a 200. `onAnswered`
 * sees the running count; sending stops for good once a pixel cannot reach the server twice.
 */
async function load(
  base: () => string,
  list: readonly Pixel[],
  concurrency: number,
  onAnswered: (answered: number) => void = () => undefined,
): Promise<LoadResult> {
  const answered: Pixel[] = [];
  const unanswered: Pixel[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  let broken = false;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < list.length) {
        const pixel = list[next++];
        if (broken) {
          unanswered.push(pixel);
          continue;
        }
        try {
          // Once more on a connection error: a kept-alive socket the server has just closed is no outage.
          const res = await fetch(base() + pixel.path).catch(() => fetch(base() + pixel.path));
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200) {
            answered.push(pixel);
            onAnswered(answered.length);
          } else unanswered.push(pixel);
        } catch {
          broken = true;
          unanswered.push(pixel);
        }
      }
    }),
  );
  return { answered, unanswered, statuses };
}

async function impressions(db: Db, campaignId: string): Promise<number> {
  const row = await db.one<{ n: number }>(
    'SELECT coalesce(sum(impressions), 0)::int AS n FROM metric_rollup WHERE campaign_id = $1',
    [campaignId],
  );
  return row!.n;
}

async function seenCount(db: Db, ids: readonly string[]): Promise<number> {
  const row = await db.one<{ n: number }>(
    'SELECT count(*)::int AS n FROM event_seen WHERE id = ANY($1::text[])',
    [ids],
  );
  return row!.n;
}

describe('engagement durability', () => {
  let deployment: Deployment;
  let workspaceId: string;

  beforeAll(async () => {
    deployment = await Deployment.start();
    workspaceId = (await deployment.db.one<{ id: string }>(
      `INSERT INTO workspace (name) VALUES ('durability') RETURNING id`,
    ))!.id;
  }, 60_000);
  afterAll(() => deployment?.stop());

  /** The running pixel server (each test may also run alone). */
  const pixelServer = async () =>
    deployment.processes.find((p) => p.running && p.name.startsWith('pixels')) ??
    (await deployment.pixelServer('pixels'));

  const campaign = () =>
    seedCampaign(deployment.db, {
      workspaceId,
      segments: ['young-urban', 'retirees'],
      variantsPerSegment: 2,
    });

  it('counts every answered pixel once after the serving process is killed under load', async () => {
    const seeded = await campaign();
    const list = pixels(deployment.config, seeded, 20_000);
    await deployment.consumer('consumer');
    let server = await deployment.pixelServer('pixels-1');
    const first = server;
    const result = await load(
      () => server.url,
      list,
      32,
      (answered) => answered === 5_000 && first.kill('SIGKILL'),
    );
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(result.answered.length).toBeGreaterThanOrEqual(5_000);
    expect(result.unanswered.length).toBeGreaterThan(0);

    server = await deployment.pixelServer('pixels-2');
    await deployment.caughtUp(60_000);
    // Every answered pixel is counted; each id that was counted, once.
    expect(
      await seenCount(
        deployment.db,
        result.answered.map((p) => p.id),
      ),
    ).toBe(result.answered.length);
    const counted = await impressions(deployment.db, seeded.campaignId);
    expect(counted).toBe(
      await seenCount(
        deployment.db,
        list.map((p) => p.id),
      ),
    );
    expect(counted).toBeGreaterThanOrEqual(result.answered.length);

    // Players retry what was not answered, and some send again what was: 20,000, exactly.
    const retried = await load(
      () => server.url,
      [...result.unanswered, ...result.answered.slice(0, 1_000)],
      16,
    );
    expect(retried.unanswered).toEqual([]);
    await deployment.caughtUp(60_000);
    expect(await impressions(deployment.db, seeded.campaignId)).toBe(20_000);
  }, 480_000);

  it('answers every pixel while Postgres is unreachable for 30 s, and counts them all after', async () => {
    const seeded = await campaign();
    const server = await pixelServer();
    if (!deployment.processes.some((p) => p.running && p.name.startsWith('consumer')))
      await deployment.consumer('consumer');
    const list = pixels(deployment.config, seeded, 300_000);
    let stop = false;
    const sent: Pixel[] = [];
    const run = (async () => {
      const answered: Pixel[] = [];
      const statuses = new Map<number, number>();
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (!stop && next < list.length) {
            const pixel = list[next++];
            sent.push(pixel);
            const res = await fetch(server.url + pixel.path).catch(() => fetch(server.url + pixel.path));
            await res.arrayBuffer();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status === 200) answered.push(pixel);
          }
        }),
      );
      return { answered, statuses };
    })();

    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await deployment.link.close();
    const outageStarted = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    const during = await deployment.backlog();
    await deployment.link.open();
    const outageMs = Date.now() - outageStarted;
    stop = true;
    const { answered, statuses } = await run;
    const drainMs = await deployment.caughtUp(120_000);
    console.log(
      `Postgres unreachable ${outageMs} ms: ${answered.length} pixels answered, ${during.length} entries waiting at ` +
        `the end of the outage, drained ${drainMs} ms after Postgres came back`,
    );

    expect([...statuses.keys()]).toEqual([200]);
    expect(answered.length).toBe(sent.length);
    expect(during.length).toBeGreaterThan(1_000);
    expect(
      await seenCount(
        deployment.db,
        answered.map((p) => p.id),
      ),
    ).toBe(answered.length);
    expect(await impressions(deployment.db, seeded.campaignId)).toBe(answered.length);
  }, 480_000);

  it('loses nothing and counts nothing twice when the consumer is killed mid-batch', async () => {
    const seeded = await campaign();
    for (const p of deployment.processes) if (p.name.startsWith('consumer')) p.kill('SIGKILL');
    const server = await pixelServer();
    const list = pixels(deployment.config, seeded, 30_000);
    const sent = await load(() => server.url, list, 32);
    expect(sent.unanswered).toEqual([]);

    const victim = await deployment.consumer('consumer-victim', { ENGAGEMENT_READ_COUNT: '5000' });
    // Killed while it holds entries it has read but not acknowledged, some batches counted before.
    await waitFor(
      async () =>
        (await deployment.backlog()).pending > 0 && (await impressions(deployment.db, seeded.campaignId)) > 0,
      60_000,
      'the consumer to be mid-batch',
    );
    victim.kill('SIGKILL');
    await victim.exited;
    const left = await deployment.backlog();
    expect(left.length).toBeGreaterThan(0);

    await deployment.consumer('consumer-heir');
    await deployment.caughtUp(120_000);
    expect(await impressions(deployment.db, seeded.campaignId)).toBe(30_000);
    expect(
      await seenCount(
        deployment.db,
        list.map((p) => p.id),
      ),
    ).toBe(30_000);
  }, 480_000);

  it('answers 503 problem+json on the pixel route while Redis is down', async () => {
    const seeded = await campaign();
    const server = await pixelServer();
    const [pixel] = pixels(deployment.config, seeded, 1);
    expect((await fetch(server.url + pixel.path)).status).toBe(200);
    await deployment.stopRedis();

    const res = await fetch(server.url + pixels(deployment.config, seeded, 1)[0].path);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 503, code: 'engagement_log_unavailable' });
  }, 60_000);
});
