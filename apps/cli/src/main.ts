import { Command, Option } from 'commander';
import { ChildProcess, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import path from 'node:path';
import { AdloomConfig, loadConfig } from '@adloom/config';
import { migrate } from '@adloom/db';
import { startServices } from '@adloom/services';
import { ROLES, Role } from '@adloom/auth';
import { localSecrets } from './secrets';
import { createKey } from './commands';
import { runDemo } from './demo';
import { ensureTools } from './tools';

const BIN = path.resolve(__dirname, '../../../../bin/adloom.js');

function requireUrls(config: AdloomConfig, command: string) {
  const missing = (['DATABASE_URL', 'REDIS_URL'] as const).filter((k) => !config[k]);
  if (missing.length) {
    throw new Error(
      `adloom ${command} needs ${missing.join(' and ')}. For a laptop with embedded services, run \`adloom dev\` instead.`,
    );
  }
}

/** How long past SHUTDOWN_GRACE a process may take to close before it exits regardless. */
const CLOSE_MARGIN_MS = 10_000;

/**
 * Stops on SIGINT/SIGTERM (once), running `stop` before exiting; a second signal is ignored. With
 * `deadlineMs`, exits with code 1 when `stop` has not finished by then.
 */
function onSignals(stop: (signal: NodeJS.Signals) => Promise<void>, deadlineMs?: number) {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      if (deadlineMs !== undefined) {
        setTimeout(() => {
          console.error(`still closing ${deadlineMs} ms after ${signal}: exiting`);
          process.exit(1);
        }, deadlineMs).unref();
      }
      stop(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
}

/**
 * Stops accepting connections and waits (at most `graceMs`) for the requests in flight; keep-alive
 * connections close as soon as they are idle. Whatever is still open afterwards (a progress stream)
 * is cut when the application closes.
 */
async function drainHttp(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearInterval(sweep);
  clearTimeout(timer);
}

function spawnChild(args: string[], env: NodeJS.ProcessEnv, name: string): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`${name} exited with code ${code}`);
  });
  return child;
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts embedded services (as configured), migrates, and makes local secrets; returns the env for children. */
export async function prepareLocal(config: AdloomConfig, log: (line: string) => void) {
  const home = path.resolve(config.ADLOOM_HOME);
  const services = await startServices(config, { home, log });
  const env = { ...process.env, ...services.env, ...localSecrets(home) };
  const ready = loadConfig(env);
  const applied = await migrate(ready.DATABASE_URL!);
  if (applied.length) log(`migrated: ${applied.join(', ')}`);
  return { services, env, config: ready };
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('adloom').description('Personalised video ads: generate, serve, optimise.');

  program
    .command('services')
    .description('start Postgres, Redis and S3 as ADLOOM_SERVICES says, print their URLs, run until stopped')
    .option('--json', 'print the URLs as one JSON line')
    .option('--ephemeral', 'throwaway data without fsync (tests)')
    .action(async (opts: { json?: boolean; ephemeral?: boolean }) => {
      const config = loadConfig();
      const services = await startServices(config, {
        home: path.resolve(config.ADLOOM_HOME),
        ephemeral: opts.ephemeral,
        log: (l) => console.error(l),
      });
      onSignals(() => services.stop());
      process.stdin.on('end', () => void services.stop().then(() => process.exit(0)));
      process.stdin.resume();
      if (opts.json) console.log(JSON.stringify({ ...services.env, embedded: services.embedded }));
      else for (const [k, v] of Object.entries(services.env)) console.log(`${k}=${v}`);
    });

  program
    .command('migrate')
    .description('apply pending database migrations (idempotent)')
    .action(async () => {
      const config = loadConfig();
      requireUrls({ ...config, REDIS_URL: config.REDIS_URL ?? 'redis://unused' }, 'migrate');
      const applied = await migrate(config.DATABASE_URL!);
      console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
    });

  const keys = program.command('keys').description('API keys');
  keys
    .command('create')
    .description('create an API key and print it (shown once)')
    .requiredOption('--workspace <name>', 'workspace name (created when absent)')
    .addOption(
      new Option('--role <role>', 'role').choices(ROLES as unknown as string[]).makeOptionMandatory(),
    )
    .option('--name <name>', 'a label for the key', '')
    .action(async (opts: { workspace: string; role: Role; name: string }) => {
      const config = loadConfig();
      requireUrls({ ...config, REDIS_URL: config.REDIS_URL ?? 'redis://unused' }, 'keys create');
      console.log(await createKey(config.DATABASE_URL!, opts.workspace, opts.role, opts.name));
    });

  program
    .command('api')
    .description('serve the HTTP API')
    .action(async () => {
      const config = loadConfig();
      requireUrls(config, 'api');
      const { runApi } = await import('../../api/src/main.js');
      const app = await runApi(config);
      onSignals(async () => {
        await drainHttp(app.getHttpServer(), config.SHUTDOWN_GRACE);
        await app.close();
      }, config.SHUTDOWN_GRACE + CLOSE_MARGIN_MS);
    });

  program
    .command('edge')
    .description('serve the data plane: ad, VAST, tags and tracking pixels (EDGE_PORT)')
    .action(async () => {
      const config = loadConfig();
      requireUrls(config, 'edge');
      const { runEdge } = await import('../../edge/src/main.js');
      const edge = await runEdge(config);
      onSignals(async () => {
        await drainHttp(edge.app.server, config.SHUTDOWN_GRACE);
        await edge.close();
      }, config.SHUTDOWN_GRACE + CLOSE_MARGIN_MS);
    });

  program
    .command('worker')
    .description('consume queues')
    .option('--queues <list>', 'comma-separated queues, `engagement` for the event stream (default: all)', '')
    .action(async (opts: { queues: string }) => {
      const config = loadConfig();
      requireUrls(config, 'worker');
      const { createWorker, parseWorkerQueues } = await import('../../worker/src/worker.js');
      const { queues, engagement } = parseWorkerQueues(opts.queues);
      const app = await createWorker(config, queues, { engagement });
      onSignals(() => app.close(), config.SHUTDOWN_GRACE + CLOSE_MARGIN_MS);
    });

  const dev = async (opts: { once?: boolean }, demo: boolean) => {
    const log = (line: string) => console.log(line);
    const started = Date.now();
    const initial = loadConfig();
    ensureTools({ redis: initial.ADLOOM_SERVICES === 'embedded' || !initial.REDIS_URL }, log);
    log(demo ? 'Adloom demo: starting Postgres, Redis and S3…' : 'Starting Postgres, Redis and S3…');
    const local = await prepareLocal(initial, log);
    const { env, config } = local;
    const key =
      config.ADLOOM_BOOTSTRAP_ADMIN_KEY ?? (await createKey(config.DATABASE_URL!, 'default', 'admin', 'dev'));
    const childEnv: NodeJS.ProcessEnv = { ...env, ADLOOM_BOOTSTRAP_ADMIN_KEY: key };
    if (demo) {
      childEnv.OPTIMIZE_INTERVAL ??= '5s';
      childEnv.GENERATE_CONCURRENCY ??= '2';
      childEnv.COMPOSE_CONCURRENCY ??= '2';
      childEnv.LOG_LEVEL ??= 'warn';
      // A run that exits at the end has no use for the next generation of variants.
      if (opts.once) childEnv.OPTIMIZE_AUTO_EVOLVE ??= 'false';
    }
    const children = [
      spawnChild(['api'], childEnv, 'api'),
      spawnChild(['edge'], childEnv, 'edge'),
      spawnChild(['worker'], childEnv, 'worker'),
    ];
    const stop = async () => {
      await Promise.all(children.map((c) => stopChild(c, config.SHUTDOWN_GRACE + CLOSE_MARGIN_MS)));
      await local.services.stop();
    };
    onSignals(stop);
    const base = `http://localhost:${config.PORT}`;
    const edgeBase = `http://localhost:${config.EDGE_PORT}`;
    try {
      await waitReady(`${base}/health/ready`, 60_000);
      await waitReady(`${edgeBase}/health/ready`, 60_000);
    } catch (error) {
      await stop();
      throw error;
    }
    const embedded = local.services.embedded.length
      ? `embedded: ${local.services.embedded.join(', ')}`
      : 'external services';
    log(`Adloom is ready (${embedded})`);
    let consoleKey = key;
    if (demo) {
      const workspace = 'demo';
      const keys = {
        admin: await createKey(config.DATABASE_URL!, workspace, 'admin', 'demo'),
        marketer: await createKey(config.DATABASE_URL!, workspace, 'marketer', 'demo'),
        platform: await createKey(config.DATABASE_URL!, workspace, 'platform', 'demo'),
        analyst: await createKey(config.DATABASE_URL!, workspace, 'analyst', 'demo'),
      };
      consoleKey = keys.marketer;
      let result: { ok: boolean };
      try {
        result = await runDemo(base, edgeBase, keys, log);
      } catch (error) {
        await stop();
        throw error;
      }
      log(
        result.ok
          ? `\nThe optimiser found the planted winner in every segment (${Math.round((Date.now() - started) / 1000)} s).`
          : '\nThe optimiser did not find the planted winner in every segment.',
      );
      if (opts.once) {
        await stop();
        process.exit(result.ok ? 0 : 1);
      }
    }
    log('');
    log(`  Console   ${base}/console  (sign in with ${consoleKey})`);
    log(`  API       ${base}/v1   Docs ${base}/docs   Health ${base}/health/ready`);
    log(`  Edge      ${edgeBase}  (ad, VAST, tags, pixels: what platforms call; PUBLIC_EDGE_URL)`);
    log(`  Admin key ${key}`);
    log(`  Try: curl -H "Authorization: Bearer ${key}" ${base}/v1/api-keys`);
    log('Press Ctrl-C to stop.');
  };

  program
    .command('setup')
    .description(
      'check Node.js and the OS packages Adloom needs; as root on Debian/Ubuntu, install the missing ones',
    )
    .option('--tests', 'also what the test suite needs (xmllint, Chromium)')
    .action((opts: { tests?: boolean }) => {
      ensureTools({ redis: true, tests: opts.tests }, (line) => console.error(line));
    });
  program
    .command('dev')
    .description('embedded services + API + edge + workers in one process tree, for a laptop')
    .action((opts) => dev(opts, false));
  program
    .command('demo')
    .description('start everything and run the demo')
    .option('--once', 'run the demo and exit')
    .action((opts) => dev(opts, true));

  await program.parseAsync(argv);
}

async function waitReady(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not ready at ${url}: ${last}`);
}
