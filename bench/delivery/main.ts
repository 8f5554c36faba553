/**
 * The ad endpoint (`GET /v1/delivery/:id/ad`) of the real API under 50 concurrent connections,
 * beside a bare Fastify route answering a constant JSON body of the same size, in the same run.
 *
 * Fair by construction: each server runs alone in its own child process (one Node process each,
 * the API with its production settings: info logging, auth, metrics), autocannon runs in this
 * process, and the two are measured in alternating short rounds (5 × 2 s each) so a busy machine
 * weighs on both alike.
 * Last line: JSON with rps, bare_rps, ratio, p99_ms, rss_mb (the API process after the run) and
 * idle_rss_mb (the same process before its first request).
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

async function startServer(mode: 'api' | 'bare', env: NodeJS.ProcessEnv): Promise<Server> {
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

const rssOf = async (server: Server) => (await ask<{ rss: number }>(server, 'rss')).rss;
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

async function load(
  server: Server,
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<Round> {
  const cpuBefore = await cpuOf(server);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  return {
    ok: result['2xx'],
    seconds: result.duration,
    p99: result.latency.p99,
    other: result.non2xx + result.errors + result.timeouts,
    cpu: (await cpuOf(server)) - cpuBefore,
  };
}

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
    };
    const api = await startServer('api', env);
    servers.push(api);
    const path = `/v1/delivery/${campaign.campaignId}/ad?segment=young-urban&format=9x16`;
    const headers = { authorization: `Bearer ${key}` };
    const sample = await fetch(`http://127.0.0.1:${api.port}${path}`, { headers });
    if (sample.status !== 200)
      throw new Error(`the ad endpoint answered ${sample.status}: ${await sample.text()}`);
    const body = await sample.text();
    const bare = await startServer('bare', { ...process.env, BARE_BODY: body });
    servers.push(bare);

    const idleRss = await rssOf(api);
    const apiUrl = `http://127.0.0.1:${api.port}${path}`;
    const bareUrl = `http://127.0.0.1:${bare.port}${path}`;
    await load(api, apiUrl, headers, WARMUP_SECONDS);
    await load(bare, bareUrl, headers, WARMUP_SECONDS);
    const apiRounds: Round[] = [];
    const bareRounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      apiRounds.push(await load(api, apiUrl, headers, ROUND_SECONDS));
      bareRounds.push(await load(bare, bareUrl, headers, ROUND_SECONDS));
    }
    const rss = await rssOf(api);

    const rate = (rounds: Round[]) =>
      rounds.reduce((sum, r) => sum + r.ok, 0) / rounds.reduce((sum, r) => sum + r.seconds, 0);
    const failures = [...apiRounds, ...bareRounds].reduce((sum, r) => sum + r.other, 0);
    if (failures > 0) throw new Error(`${failures} requests failed or did not answer 2xx`);
    const rps = rate(apiRounds);
    const bareRps = rate(bareRounds);
    const p99 = Math.max(...apiRounds.map((r) => r.p99));
    const bareP99 = Math.max(...bareRounds.map((r) => r.p99));
    const cpuPerRequest = (rounds: Round[]) =>
      rounds.reduce((sum, r) => sum + r.cpu, 0) / rounds.reduce((sum, r) => sum + r.ok, 0);

    console.log(
      `response body: ${Buffer.byteLength(body)} bytes; ${CONNECTIONS} connections, ${ROUNDS} × ${ROUND_SECONDS} s each`,
    );
    console.log(
      `api:  ${apiRounds.map((r) => (r.ok / r.seconds).toFixed(0)).join(', ')} req/s; p99 ${p99} ms; ` +
        `${cpuPerRequest(apiRounds).toFixed(0)} µs CPU per request`,
    );
    console.log(
      `bare: ${bareRounds.map((r) => (r.ok / r.seconds).toFixed(0)).join(', ')} req/s; p99 ${bareP99} ms; ` +
        `${cpuPerRequest(bareRounds).toFixed(0)} µs CPU per request`,
    );
    console.log(
      JSON.stringify({
        bench: 'delivery',
        rps: Math.round(rps),
        bare_rps: Math.round(bareRps),
        ratio: +(rps / bareRps).toFixed(3),
        p99_ms: p99,
        bare_p99_ms: bareP99,
        cpu_us_per_req: Math.round(cpuPerRequest(apiRounds)),
        bare_cpu_us_per_req: Math.round(cpuPerRequest(bareRounds)),
        rss_mb: Math.round(rss / 1e6),
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
