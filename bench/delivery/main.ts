/**
 * The edge (`adloom edge`) under 50 concurrent connections, beside bare Fastify routes answering a
 * constant body of the same size, in the same run: the ad route (`GET /v1/delivery/:id/ad`) against a
 * bare route answering its JSON, and the pixel route (`GET /t/:token`, the event's intake included)
 * against a bare route answering the same GIF.
 *
 * Fair by construction: each server runs alone in its own child process (the edge with its production
 * settings: info logging, auth, rate limiting, metrics), autocannon runs in this process, and the two
 * are measured in alternating short rounds (5 × 2 s each) so a busy machine weighs on both alike.
 * Last line: JSON with the ad route's rps, bare_rps, ratio, p99_ms, the pixel route's pixel_* figures,
 * rss_mb (the edge's largest RSS under load, heap_mb its V8 heap then) and idle_rss_mb (before its
 * first request).
 */
import autocannon from 'autocannon';
import { ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { generateApiKey, hashApiKey, keyPrefix } from '@adloom/auth';
import { createDataSource, Db } from '@adloom/db';
import { benchServices } from '../support/services';
import { seedCampaign } from './seed';

const CONNECTIONS = 50;
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP_SECONDS = 2;

interface Server {
  child: ChildProcess;
  port: number;
}

async function startServer(mode: 'edge' | 'bare', env: NodeJS.ProcessEnv): Promise<Server> {
  // BENCH_PROFILE_DIR=<dir> writes a CPU profile of each server process there when it stops.
  const profile = process.env.BENCH_PROFILE_DIR;
  const child = fork(path.join(__dirname, 'server.js'), [mode], {
    env,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profile, mode)}`] : [],
  });
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the ${mode} server exited with ${code}`);
    }),
  ])) as [{ port: number }];
  return { child, port: message.port };
}

async function ask<T>(server: Server, type: 'rss' | 'cpu'): Promise<T> {
  server.child.send({ type });
  const [message] = (await once(server.child, 'message')) as [T];
  return message;
}

const memoryOf = (server: Server) => ask<{ rss: number; heapUsed: number }>(server, 'rss');
const rssOf = async (server: Server) => (await memoryOf(server)).rss;
const cpuOf = async (server: Server) => (await ask<{ micros: number }>(server, 'cpu')).micros;

async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  server.child.send({ type: 'stop' });
  await once(server.child, 'exit');
}

interface Round {
  ok: number;
  seconds: number;
  p99: number;
  other: number;
  /** CPU time the server process used in the round, microseconds. */
  cpu: number;
}

interface Target {
  server: Server;
  /** Paths asked in turn. */
  paths: string[];
  headers: Record<string, string>;
}

async function load({ server, paths, headers }: Target, seconds: number): Promise<Round> {
  const cpuBefore = await cpuOf(server);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers,
    requests: paths.map((path) => ({ method: 'GET', path })),
  });
  return {
    ok: result['2xx'],
    seconds: result.duration,
    p99: result.latency.p99,
    other: result.non2xx + result.errors + result.timeouts,
    cpu: (await cpuOf(server)) - cpuBefore,
  };
}

interface Comparison {
  rps: number;
  bareRps: number;
  p99: number;
  bareP99: number;
  cpu: number;
  bareCpu: number;
  /** The edge's largest RSS after a round, and its heap then. */
  rss: number;
  heap: number;
  rounds: string;
  bareRounds: string;
}

/** The target and the bare route in alternating rounds, after a warm-up of each. */
async function compare(target: Target, bare: Target): Promise<Comparison> {
  await load(target, WARMUP_SECONDS);
  await load(bare, WARMUP_SECONDS);
  const rounds: Round[] = [];
  const bareRounds: Round[] = [];
  let rss = 0;
  let heap = 0;
  for (let round = 0; round < ROUNDS; round++) {
    rounds.push(await load(target, ROUND_SECONDS));
    const memory = await memoryOf(target.server);
    if (memory.rss > rss) ({ rss, heapUsed: heap } = memory);
    bareRounds.push(await load(bare, ROUND_SECONDS));
  }
  const failures = [...rounds, ...bareRounds].reduce((sum, r) => sum + r.other, 0);
  if (failures > 0) throw new Error(`${failures} requests failed or did not answer 2xx`);
  const rate = (all: Round[]) =>
    all.reduce((sum, r) => sum + r.ok, 0) / all.reduce((sum, r) => sum + r.seconds, 0);
  const cpu = (all: Round[]) =>
    all.reduce((sum, r) => sum + r.cpu, 0) / all.reduce((sum, r) => sum + r.ok, 0);
  const list = (all: Round[]) => all.map((r) => (r.ok / r.seconds).toFixed(0)).join(', ');
  return {
    rps: rate(rounds),
    bareRps: rate(bareRounds),
    p99: Math.max(...rounds.map((r) => r.p99)),
    bareP99: Math.max(...bareRounds.map((r) => r.p99)),
    cpu: cpu(rounds),
    bareCpu: cpu(bareRounds),
    rss,
    heap,
    rounds: list(rounds),
    bareRounds: list(bareRounds),
  };
}

function describe(name: string, result: Comparison): void {
  console.log(
    `${name}: ${result.rounds} req/s; p99 ${result.p99} ms; ${result.cpu.toFixed(0)} µs CPU per request`,
  );
  console.log(
    `${name} bare: ${result.bareRounds} req/s; p99 ${result.bareP99} ms; ${result.bareCpu.toFixed(0)} µs CPU per request`,
  );
}

const PIXEL_TOKENS = 2_000;

async function main() {
  const { config, services } = await benchServices();
  const dataSource = await createDataSource(config.DATABASE_URL!, 2).initialize();
  const db = new Db(dataSource);
  const servers: Server[] = [];
  try {
    const workspaceId = (await db.one<{ id: string }>(
      `INSERT INTO workspace (name) VALUES ('bench') RETURNING id`,
    ))!.id;
    const key = generateApiKey();
    await db.query(
      `INSERT INTO api_key (workspace_id, name, prefix, hash, role) VALUES ($1, 'bench', $2, $3, 'platform')`,
      [workspaceId, keyPrefix(key), hashApiKey(key)],
    );
    const campaign = await seedCampaign(db, {
      workspaceId,
      segments: ['young-urban', 'retirees'],
      variantsPerSegment: 4,
      formats: ['9x16', '16x9', '1x1'],
    });

    const env = {
      ...process.env,
      ...services.env,
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      S3_BUCKET: config.S3_BUCKET,
      TRACKING_SECRET: config.TRACKING_SECRET,
      DATABASE_POOL_SIZE: '10',
      // The limiter runs on every request, with limits the load stays under.
      EDGE_RATE_LIMIT: '100000000',
      EDGE_PIXEL_RATE_LIMIT: '100000000',
    };
    const edge = await startServer('edge', env);
    servers.push(edge);
    const adPath = `/v1/delivery/${campaign.campaignId}/ad?segment=young-urban&format=9x16`;
    const headers = { authorization: `Bearer ${key}` };
    const idleRss = await rssOf(edge);
    const sample = await fetch(`http://127.0.0.1:${edge.port}${adPath}`, { headers });
    if (sample.status !== 200)
      throw new Error(`the ad route answered ${sample.status}: ${await sample.text()}`);
    const body = await sample.text();

    // Pixels of distinct servings (each counts once), from ads the edge answered.
    const pixelPaths: string[] = [];
    while (pixelPaths.length < PIXEL_TOKENS) {
      const ad = (await (await fetch(`http://127.0.0.1:${edge.port}${adPath}`, { headers })).json()) as {
        tracking: Record<string, string>;
      };
      for (const url of Object.values(ad.tracking)) pixelPaths.push(new URL(url).pathname);
    }
    const pixel = await fetch(`http://127.0.0.1:${edge.port}${pixelPaths[0]}`);
    if (pixel.status !== 200)
      throw new Error(`the pixel route answered ${pixel.status}: ${await pixel.text()}`);
    const gif = Buffer.from(await pixel.arrayBuffer());

    const bare = await startServer('bare', {
      ...process.env,
      BARE_BODY: body,
      BARE_PIXEL: gif.toString('base64'),
    });
    servers.push(bare);

    const ad = await compare(
      { server: edge, paths: [adPath], headers },
      { server: bare, paths: [adPath], headers },
    );
    const pixels = await compare(
      { server: edge, paths: pixelPaths, headers: {} },
      { server: bare, paths: pixelPaths, headers: {} },
    );

    console.log(
      `ad body ${Buffer.byteLength(body)} bytes, pixel ${gif.length} bytes; ${CONNECTIONS} connections, ${ROUNDS} × ${ROUND_SECONDS} s each`,
    );
    describe('ad', ad);
    describe('pixel', pixels);
    console.log(
      JSON.stringify({
        bench: 'delivery',
        rps: Math.round(ad.rps),
        bare_rps: Math.round(ad.bareRps),
        ratio: +(ad.rps / ad.bareRps).toFixed(3),
        p99_ms: ad.p99,
        bare_p99_ms: ad.bareP99,
        cpu_us_per_req: Math.round(ad.cpu),
        bare_cpu_us_per_req: Math.round(ad.bareCpu),
        pixel_rps: Math.round(pixels.rps),
        pixel_bare_rps: Math.round(pixels.bareRps),
        pixel_ratio: +(pixels.rps / pixels.bareRps).toFixed(3),
        pixel_p99_ms: pixels.p99,
        pixel_bare_p99_ms: pixels.bareP99,
        pixel_cpu_us_per_req: Math.round(pixels.cpu),
        rss_mb: Math.round(Math.max(ad.rss, pixels.rss) / 1e6),
        heap_mb: Math.round((ad.rss > pixels.rss ? ad.heap : pixels.heap) / 1e6),
        idle_rss_mb: Math.round(idleRss / 1e6),
      }),
    );
  } finally {
    for (const server of servers) await stop(server).catch(() => undefined);
    await dataSource.destroy();
    await services.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
