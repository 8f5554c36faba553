import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { AdloomConfig } from '@adloom/config';
import { freePort, redisAnswers, waitFor } from './ports';
import { embeddedPostgresEntry, reachableDataDir } from './postgres-as-root';

export interface ServiceEndpoints {
  DATABASE_URL: string;
  REDIS_URL: string;
  S3_ENDPOINT?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  S3_FORCE_PATH_STYLE?: string;
}

export interface RunningServices {
  /** Environment variables that point every Adloom process at these services. */
  env: ServiceEndpoints;
  /** Which parts were started here (the rest were configured or found). */
  embedded: ('postgres' | 'redis' | 's3')[];
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Folder for embedded data (`.adloom` by default). */
  home: string;
  /** Throwaway data, no fsync: for tests. */
  ephemeral?: boolean;
  log?: (line: string) => void;
}

type Stopper = () => Promise<void>;

async function startPostgres(wanted: string, ephemeral: boolean, log: (l: string) => void) {
  // As root, Postgres runs as user `postgres`, who must be able to reach its binaries and data folder.
  const { default: EmbeddedPostgres } = await import(pathToFileURL(embeddedPostgresEntry(log)).href);
  const dir = reachableDataDir(wanted, log);
  const port = await freePort();
  const initialised = fs.existsSync(path.join(dir, 'PG_VERSION'));
  if (initialised) fs.rmSync(path.join(dir, 'postmaster.pid'), { force: true });
  const flags = ['-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
  if (ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const pg = new EmbeddedPostgres({
    databaseDir: path.resolve(dir),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: !ephemeral,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: flags,
    onLog: () => undefined,
    onError: (e: unknown) => log(`postgres: ${String(e)}`),
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/adloom`;
  const admin = new Client({ connectionString: url.replace(/\/adloom$/, '/postgres') });
  await admin.connect();
  const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'adloom'`);
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE adloom');
  await admin.end();
  return { url, stop: () => pg.stop() as Promise<void> };
}

function redisServerPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/**
 * How Adloom starts a `redis-server` of its own: on 127.0.0.1, no snapshots, and AOF flushed every
 * second, since the engagement stream is the only copy of acknowledged events until a consumer
 * commits them.
 */
export function redisServerArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--dir',
    path.resolve(dir),
  ];
}

async function startRedis(dir: string) {
  const binary = redisServerPath();
  if (!binary) {
    throw new Error(
      'redis-server is not installed. Install it (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`) or set REDIS_URL.',
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn(binary, redisServerArgs(port, dir), { stdio: 'ignore' });
  await waitFor(() => redisAnswers('127.0.0.1', port), 10_000, 'redis-server');
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url: `redis://127.0.0.1:${port}`, stop };
}

async function startS3(dir: string) {
  // s3rver is CommonJS; loaded lazily so production processes never touch it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver');
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const server = new S3rver({ port, address: '127.0.0.1', directory: path.resolve(dir), silent: true });
  await server.run();
  return { url: `http://127.0.0.1:${port}`, stop: () => server.close() as Promise<void> };
}

/**
 * Resolves Postgres, Redis and S3 as ADLOOM_SERVICES says (DESIGN.md §4): configured URLs win;
 * in `auto`, a Redis already answering on 127.0.0.1:6379 is used; anything else starts embedded.
 */
export async function startServices(config: AdloomConfig, options: StartOptions): Promise<RunningServices> {
  const log = options.log ?? (() => undefined);
  const mode = config.ADLOOM_SERVICES;
  const ephemeral = options.ephemeral ?? false;
  const stops: Stopper[] = [];
  const embedded: RunningServices['embedded'] = [];
  const useConfigured = mode !== 'embedded';
  if (mode === 'external') {
    const missing = (['DATABASE_URL', 'REDIS_URL', 'S3_ENDPOINT'] as const).filter((k) => !config[k]);
    if (missing.length) throw new Error(`ADLOOM_SERVICES=external needs ${missing.join(', ')} to be set.`);
  }
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => log(`stopping: ${String(e)}`));
  };
  try {
    let DATABASE_URL = useConfigured ? config.DATABASE_URL : undefined;
    if (!DATABASE_URL) {
      const pg = await startPostgres(path.join(options.home, 'pg'), ephemeral, log);
      stops.push(pg.stop);
      embedded.push('postgres');
      DATABASE_URL = pg.url;
    }
    let REDIS_URL = useConfigured ? config.REDIS_URL : undefined;
    if (!REDIS_URL && mode === 'auto' && (await redisAnswers('127.0.0.1', 6379)))
      REDIS_URL = 'redis://127.0.0.1:6379';
    if (!REDIS_URL) {
      const redis = await startRedis(path.join(options.home, 'redis'));
      stops.push(redis.stop);
      embedded.push('redis');
      REDIS_URL = redis.url;
    }
    const env: ServiceEndpoints = { DATABASE_URL, REDIS_URL };
    if (!(useConfigured && config.S3_ENDPOINT)) {
      const s3 = await startS3(path.join(options.home, 's3'));
      stops.push(s3.stop);
      embedded.push('s3');
      Object.assign(env, {
        S3_ENDPOINT: s3.url,
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
        S3_FORCE_PATH_STYLE: 'true',
      });
    }
    return { env, embedded, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
