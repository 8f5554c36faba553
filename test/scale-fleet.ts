import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import { AdloomConfig } from '@adloom/config';
import { redisConnection } from '@adloom/queue';
import { freePort, redisAnswers, waitFor } from '@adloom/services';
import { testConfig } from './support/harness';

const BIN = path.resolve(__dirname, '../bin/adloom.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `adloom` child process; keeps the tail of its output to explain a failure. */
export class FleetProcess {
  readonly exited: Promise<Exit>;
  private tail = '';

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    const keep = (chunk: Buffer) => (this.tail = (this.tail + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get output(): string {
    return this.tail;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then the exit and how long it took (SIGKILL after `timeoutMs`). */
  async terminate(timeoutMs = 60_000): Promise<Exit & { ms: number }> {
    const started = Date.now();
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    this.kill('SIGTERM');
    const exit = await this.exited;
    clearTimeout(timer);
    return { ...exit, ms: Date.now() - started };
  }
}

/** The environment of an `adloom` child process that uses `config`'s services and settings. */
export function processEnv(c: AdloomConfig, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    ADLOOM_SERVICES: 'external',
    ADLOOM_HOME: c.ADLOOM_HOME,
    DATABASE_URL: c.DATABASE_URL,
    DATABASE_POOL_SIZE: '4',
    REDIS_URL: c.REDIS_URL,
    QUEUE_PREFIX: c.QUEUE_PREFIX,
    S3_ENDPOINT: c.S3_ENDPOINT,
    S3_BUCKET: c.S3_BUCKET,
    S3_ACCESS_KEY_ID: c.S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: c.S3_SECRET_ACCESS_KEY,
    S3_FORCE_PATH_STYLE: 'true',
    TRACKING_SECRET: c.TRACKING_SECRET,
    ...overrides,
  };
}

/** An admin key in the shape the API accepts, for ADLOOM_BOOTSTRAP_ADMIN_KEY. */
export const newAdminKey = () => `adl_${randomBytes(24).toString('hex')}`;

/**
 * A deployment on one machine: a private Redis (so a test may flush or count it alone), one test
 * database and one bucket, and any number of `adloom api` and `adloom worker` processes sharing them.
 */
export class Fleet {
  readonly processes: FleetProcess[] = [];

  private constructor(
    readonly config: AdloomConfig,
    private readonly redis: ChildProcess,
  ) {}

  static async start(): Promise<Fleet> {
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(() => redisAnswers('127.0.0.1', port), 10_000, 'redis');
    return new Fleet(await testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` }), redis);
  }

  get databaseUrl(): string {
    return this.config.DATABASE_URL!;
  }

  /** The settings every process of this fleet shares, as environment variables. */
  env(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    return processEnv(this.config, { JOB_LOCK: '3s', ...overrides });
  }

  /** Starts `adloom api` on a free port and waits until it is ready. */
  async api(name: string, env: Record<string, string> = {}): Promise<FleetProcess> {
    const port = await freePort();
    return this.spawn(name, ['api'], { ...env, PORT: String(port), HOST: '127.0.0.1' }, port);
  }

  /** Starts `adloom worker --queues <queues>` and waits until it takes jobs (its /health/ready). */
  async worker(name: string, queues: string, env: Record<string, string> = {}): Promise<FleetProcess> {
    const port = await freePort();
    return this.spawn(
      name,
      ['worker', '--queues', queues],
      { ...env, WORKER_HEALTH_PORT: String(port), HOST: '127.0.0.1' },
      port,
    );
  }

  /** A listener on one queue's events, counted by the test process itself: it outlives any worker. */
  async queueEvents(queue: string, prefix = this.config.QUEUE_PREFIX): Promise<QueueEvents> {
    const events = new QueueEvents(queue, { connection: redisConnection(this.config.REDIS_URL!), prefix });
    await events.waitUntilReady();
    return events;
  }

  async stop(): Promise<void> {
    for (const p of this.processes) p.kill('SIGKILL');
    await Promise.all(this.processes.map((p) => p.exited));
    this.redis.kill('SIGKILL');
  }

  private spawn(name: string, args: string[], env: Record<string, string>, port: number) {
    return startAdloom(name, args, this.env(env), port, this.processes);
  }
}

/**
 * Starts `adloom <args>` with `env`, listed in `processes` at once (so a failed start is still
 * stopped), and waits until its /health/ready on `port` answers 200.
 */
export async function startAdloom(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  processes: FleetProcess[],
): Promise<FleetProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = new FleetProcess(name, child, `http://127.0.0.1:${port}`);
  processes.push(proc);
  try {
    await waitFor(
      async () => {
        if (!proc.running) throw new Error(`exited early`);
        return (await fetch(`${proc.url}/health/ready`).catch(() => undefined))?.status === 200;
      },
      60_000,
      `${name} to be ready`,
    );
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}\n${proc.output}`);
  }
  return proc;
}

/** A JSON request over real HTTP to one of the fleet's APIs. */
export async function call<T = any>(
  base: string,
  method: string,
  url: string,
  options: { key?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${url}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text) as T,
  };
}
