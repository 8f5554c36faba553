import { Module } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AdloomConfig } from '@adloom/config';
import { AdloomModule } from '@adloom/core';
import { QueueName } from '@adloom/queue';
import { PipelineModule, Reconciler } from '@adloom/pipeline';
import { WorkerHost } from './worker-host';

@Module({ imports: [DiscoveryModule, PipelineModule], providers: [WorkerHost], exports: [WorkerHost] })
class WorkerHostModule {}

/** A worker process: the shared module graph as an application context, consuming `queues`. */
export async function createWorker(
  config: AdloomConfig,
  queues: QueueName[],
  options: { logs?: boolean } = {},
) {
  const app = await NestFactory.createApplicationContext(AdloomModule.forRoot(config, [WorkerHostModule]), {
    bufferLogs: true,
    abortOnError: false,
    logger: options.logs === false ? false : undefined,
  });
  if (options.logs !== false) app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.get(WorkerHost).start(queues);
  if (queues.includes('housekeeping')) {
    const reconciler = app.get(Reconciler);
    await reconciler.schedule();
    void reconciler.reconcile().catch(() => undefined);
  }
  return app;
}
