import { Module } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AdloomConfig } from '@adloom/config';
import { AdloomModule } from '@adloom/core';
import { EngagementConsumer } from '@adloom/engagement';
import { parseQueues, QueueName } from '@adloom/queue';
import { PipelineModule, Reconciler } from '@adloom/pipeline';
import { WorkerHealth } from './worker-health';
import { WorkerHost } from './worker-host';

@Module({
  imports: [DiscoveryModule, PipelineModule],
  providers: [WorkerHost, WorkerHealth],
  exports: [WorkerHost, WorkerHealth],
})
class WorkerHostModule {}

/** Not a BullMQ queue: the engagement stream's consumer group, served with `--queues engagement`. */
export const ENGAGEMENT = 'engagement';

/**
 * `--queues a,b,engagement` → the BullMQ queues and whether this process consumes the engagement
 * stream; an empty list serves every queue and the stream.
 */
export function parseWorkerQueues(list: string): { queues: QueueName[]; engagement: boolean } {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) return { queues: parseQueues(''), engagement: true };
  const rest = names.filter((name) => name !== ENGAGEMENT);
  return { queues: rest.length ? parseQueues(rest.join(',')) : [], engagement: rest.length < names.length };
}

/**
 * A worker process: the shared module graph as an application context, consuming `queues`. Signals
 * are the caller's to handle (the CLI's `adloom worker` closes the app on SIGTERM); closing stops
 * taking jobs and lets the ones in flight finish (within SHUTDOWN_GRACE) before anything else closes.
 */
export async function createWorker(
  config: AdloomConfig,
  queues: QueueName[],
  options: { logs?: boolean; engagement?: boolean } = {},
) {
  const app = await NestFactory.createApplicationContext(AdloomModule.forRoot(config, [WorkerHostModule]), {
    bufferLogs: true,
    abortOnError: false,
    logger: options.logs === false ? false : undefined,
  });
  if (options.logs !== false) app.useLogger(app.get(Logger));
  const host = app.get(WorkerHost);
  const health = app.get(WorkerHealth);
  const engagement = app.get(EngagementConsumer);
  // Nest closes the global modules (Postgres, Redis, S3 clients) before this one: jobs in flight
  // need them, so consuming stops first.
  const closeContext = app.close.bind(app);
  app.close = async () => {
    await Promise.all([host.stop(), engagement.stop()]);
    await health.close();
    await closeContext();
  };
  await host.start(queues);
  if (options.engagement) await engagement.start();
  if (config.WORKER_HEALTH_PORT) await health.listen(config.WORKER_HEALTH_PORT, config.HOST);
  if (queues.includes('housekeeping')) {
    const reconciler = app.get(Reconciler);
    await reconciler.schedule();
    void reconciler.reconcile().catch(() => undefined);
  }
  return app;
}
