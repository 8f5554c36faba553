import { Inject, Injectable, Logger } from '@nestjs/common';
import type IORedis from 'ioredis';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Db } from '@adloom/db';
import { EngagementConsumer } from '@adloom/engagement';
import { Metrics } from '@adloom/ops';
import { REDIS } from '@adloom/queue';
import { ObjectStore } from '@adloom/storage';
import { WorkerHost } from './worker-host';

type Check = { status: 'up' } | { status: 'down'; error: string };

async function check(probe: () => Promise<unknown>, timeoutMs = 2000): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: (error as Error).message || String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A worker's only HTTP door, for Kubernetes probes and Prometheus: `/health/live` while the process
 * runs, `/health/ready` while it takes jobs (or engagement stream entries) and reaches Postgres, Redis and S3 (503 once shutdown
 * begins), and `/metrics`.
 */
@Injectable()
export class WorkerHealth {
  private readonly logger = new Logger('worker');
  private server?: Server;

  constructor(
    private readonly host: WorkerHost,
    private readonly engagement: EngagementConsumer,
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly metrics: Metrics,
    @Inject(REDIS) private readonly redis: IORedis,
  ) {}

  /** Listens on `port` (0: any free one); resolves to the port. */
  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const bound = (server.address() as AddressInfo).port;
    this.logger.log(`health and metrics on :${bound}`);
    return bound;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return this.send(res, 405, { status: 'method not allowed' });
    if (path === '/health/live') return this.send(res, 200, { status: 'ok' });
    if (path === '/health/ready') {
      const [postgres, redis, s3] = await Promise.all([
        check(() => this.db.ping()),
        check(() => this.redis.ping()),
        check(() => this.store.ping()),
      ]);
      const checks = { consuming: this.host.consuming || this.engagement.running, postgres, redis, s3 };
      const down = (['postgres', 'redis', 's3'] as const).filter((name) => checks[name].status === 'down');
      const ready = checks.consuming && down.length === 0;
      return this.send(res, ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', down, checks });
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
      res.end(await this.metrics.registry.metrics());
      return;
    }
    this.send(res, 404, { status: 'not found' });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}
