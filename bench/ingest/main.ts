/**
 * 1,000,000 engagement events through `POST /v1/events` of the real API (in its own process), in
 * batches of 10,000 from a few concurrent clients, through the engagement stream (Redis, AOF) and
 * `adloom worker --queues engagement` (its own process) into the hourly rollups; beside a bare `COPY`
 * of the same rows into an unindexed table, in the same run. The clock runs from the first POST until
 * the rollups count every event. Last line: JSON with events_per_s (end to end), appended_per_s (until
 * the last POST was answered), ratio (end to end, to the bare COPY's rate) and lost (sent − counted).
 */
import { ChildProcess, fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { Client } from 'pg';
import { generateApiKey, hashApiKey, keyPrefix } from '@adloom/auth';
import { createDataSource, Db } from '@adloom/db';
import { EVENT_TYPES } from '@adloom/engagement';
import { freePort, waitFor } from '@adloom/services';
import { seedCampaign } from '../delivery/seed';
import { benchServices } from '../support/services';
import { copyFrom } from './copy';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH = 10_000;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const HOURS = 24;

interface BenchEvent {
  id: string;
  type: string;
  variantId: string;
  segment: string;
  ts: number;
  value?: number;
}

/** Mostly impressions, fewer quartiles, few clicks and conversions, as a funnel looks. */
const FUNNEL: [string, number][] = [
  ['impression', 0.4],
  ['start', 0.2],
  ['firstQuartile', 0.12],
  ['midpoint', 0.1],
  ['thirdQuartile', 0.08],
  ['complete', 0.06],
  ['click', 0.03],
  ['conversion', 0.01],
];

function pickType(unit: number): string {
  let sum = 0;
  for (const [type, share] of FUNNEL) {
    sum += share;
    if (unit < sum) return type;
  }
  return 'impression';
}

function makeEvents(variants: { id: string; segmentKey: string }[], now: number): BenchEvent[] {
  const events: BenchEvent[] = new Array(EVENTS);
  for (let i = 0; i < EVENTS; i++) {
    const variant = variants[i % variants.length];
    const type = pickType(Math.random());
    events[i] = {
      id: randomUUID(),
      type,
      variantId: variant.id,
      segment: variant.segmentKey,
      ts: now - Math.floor(Math.random() * HOURS * 3_600_000),
      ...(type === 'conversion' ? { value: 19.99 } : {}),
    };
  }
  return events;
}

async function startApi(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  // BENCH_PROFILE_DIR=<dir> writes a CPU profile of the API process there when it stops.
  const profile = process.env.BENCH_PROFILE_DIR;
  const child = fork(path.join(__dirname, '../delivery/server.js'), ['api'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [],
  });
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the API exited with ${code}`);
    }),
  ])) as [{ port: number }];
  return { child, port: message.port };
}

/** `adloom worker --queues engagement`, ready (its /health/ready answers 200). */
async function startConsumer(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [path.join(__dirname, '../../../bin/adloom.js'), 'worker', '--queues', 'engagement'],
    {
      env: { ...env, WORKER_HEALTH_PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the consumer exited with ${child.exitCode}`);
      return (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status === 200;
    },
    60_000,
    'the engagement consumer',
  );
  return child;
}

async function bareCopy(url: string, events: BenchEvent[]): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE bare_event (id text, type text, variant_id uuid, segment text, ts timestamptz,
                                                 value numeric)`);
    const started = process.hrtime.bigint();
    const chunks: Buffer[] = [];
    for (let i = 0; i < events.length; i += BATCH) {
      let text = '';
      for (const event of events.slice(i, i + BATCH)) {
        text += `${event.id}\t${event.type}\t${event.variantId}\t${event.segment}\t${new Date(event.ts).toISOString()}\t${
          event.value ?? '\\N'
        }\n`;
      }
      chunks.push(Buffer.from(text));
    }
    const copied = await copyFrom(client, 'COPY bare_event FROM STDIN', chunks);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (copied !== events.length) throw new Error(`COPY wrote ${copied} rows of ${events.length}`);
    return seconds;
  } finally {
    await client.query('DROP TABLE IF EXISTS bare_event').catch(() => undefined);
    await client.end();
  }
}

async function main() {
  const { config, services } = await benchServices();
  const dataSource = await createDataSource(config.DATABASE_URL!, 2).initialize();
  const db = new Db(dataSource);
  let api: { child: ChildProcess; port: number } | undefined;
  let consumer: ChildProcess | undefined;
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
      variantsPerSegment: 10,
    });
    const events = makeEvents(campaign.variants, Date.now());
    const bodies: string[] = [];
    for (let i = 0; i < events.length; i += BATCH)
      bodies.push(JSON.stringify({ events: events.slice(i, i + BATCH) }));
    const megabytes = bodies.reduce((sum, body) => sum + body.length, 0) / 1e6;

    const bareSeconds = await bareCopy(config.DATABASE_URL!, events);

    const env = {
      ...process.env,
      ...services.env,
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      S3_BUCKET: config.S3_BUCKET,
      TRACKING_SECRET: config.TRACKING_SECRET,
    };
    api = await startApi(env);
    consumer = await startConsumer(env);
    const url = `http://127.0.0.1:${api.port}/v1/events`;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

    const apiCpu = async () => {
      api!.child.send({ type: 'cpu' });
      const [message] = (await once(api!.child, 'message')) as [{ micros: number }];
      return message.micros;
    };
    const cpuBefore = await apiCpu();
    let next = 0;
    let accepted = 0;
    let rejected = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const res = await fetch(url, { method: 'POST', headers, body });
          if (res.status !== 202)
            throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
          const result = (await res.json()) as { accepted: number; rejected: unknown[] };
          accepted += result.accepted;
          rejected += result.rejected.length;
        }
      }),
    );
    const appendSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const apiCpuSeconds = ((await apiCpu()) - cpuBefore) / 1e6;

    const countedNow = () =>
      db.one<{ total: string }>(
        `SELECT coalesce(sum(impressions + starts + q25 + q50 + q75 + completes + clicks + conversions), 0)::text
           AS total
         FROM metric_rollup WHERE campaign_id = $1`,
        [campaign.campaignId],
      );
    // Until the consumer has counted every event (or has stopped making progress for 30 s).
    let counted = await countedNow();
    let progressAt = Date.now();
    while (Number(counted!.total) < EVENTS && Date.now() - progressAt < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const now = await countedNow();
      if (now!.total !== counted!.total) progressAt = Date.now();
      counted = now;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const perType = await db.one<Record<string, string>>(
      `SELECT sum(impressions)::text AS impression, sum(starts)::text AS start, sum(q25)::text AS "firstQuartile",
              sum(q50)::text AS midpoint, sum(q75)::text AS "thirdQuartile", sum(completes)::text AS complete,
              sum(clicks)::text AS click, sum(conversions)::text AS conversion
       FROM metric_rollup WHERE campaign_id = $1`,
      [campaign.campaignId],
    );
    const sentPerType = Object.fromEntries(EVENT_TYPES.map((type) => [type, 0]));
    for (const event of events) sentPerType[event.type]++;
    const mismatched = EVENT_TYPES.filter((type) => Number(perType![type]) !== sentPerType[type]);
    const lost = EVENTS - Number(counted?.total ?? 0);

    const eventsPerSecond = EVENTS / seconds;
    const bareEventsPerSecond = EVENTS / bareSeconds;
    console.log(
      `${EVENTS} events in ${bodies.length} batches (${megabytes.toFixed(0)} MB of JSON), ${CLIENTS} clients: ` +
        `${appendSeconds.toFixed(2)} s to append through the API, ${seconds.toFixed(2)} s until counted in the ` +
        `rollups, ${bareSeconds.toFixed(2)} s by a bare COPY`,
    );
    console.log(`accepted ${accepted}, rejected ${rejected}; rollups count ${counted?.total ?? 0}`);
    console.log(
      `the API process used ${apiCpuSeconds.toFixed(2)} s of CPU (${((apiCpuSeconds / EVENTS) * 1e6).toFixed(1)} µs ` +
        'per event)',
    );
    if (mismatched.length > 0) console.log(`per-type totals differ for ${mismatched.join(', ')}`);
    console.log(
      JSON.stringify({
        bench: 'ingest',
        events: EVENTS,
        events_per_s: Math.round(eventsPerSecond),
        appended_per_s: Math.round(EVENTS / appendSeconds),
        bare_events_per_s: Math.round(bareEventsPerSecond),
        ratio: +(eventsPerSecond / bareEventsPerSecond).toFixed(3),
        lost,
      }),
    );
  } finally {
    if (consumer && consumer.exitCode === null) {
      consumer.kill('SIGTERM');
      await once(consumer, 'exit');
    }
    if (api && api.child.exitCode === null) {
      api.child.send({ type: 'stop' });
      await once(api.child, 'exit');
    }
    await dataSource.destroy();
    await services.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
