import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Job, WaitingError, Worker } from 'bullmq';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { JOB_HANDLER, JOBS_OF, JobName, KEEP_FINISHED, QueueName, redisConnection } from '@adloom/queue';
import { ShutdownSignal } from '@adloom/pipeline';

type Handler = (data: unknown, job: Job, token?: string) => Promise<unknown>;

/** Errors a handler throws to tell BullMQ it already moved the job elsewhere. */
const MOVED = new Set(['DelayedError', 'WaitingError', 'WaitingChildrenError', 'RateLimitError']);

const CONCURRENCY: Partial<Record<QueueName, (c: AdloomConfig) => number>> = {
  generate: (c) => c.GENERATE_CONCURRENCY,
  compose: (c) => c.COMPOSE_CONCURRENCY,
  webhooks: () => 8,
  wave: () => 4,
};

/**
 * Starts one BullMQ consumer per queue this process serves, dispatching each job to the method
 * marked @JobHandler for its name. Refuses to start when a job of a served queue has no handler.
 */
@Injectable()
export class WorkerHost implements OnApplicationShutdown {
  private readonly logger = new Logger('worker');
  private readonly workers: Worker[] = [];
  private stopping?: Promise<void>;

  constructor(
    @Inject(CONFIG) private readonly config: AdloomConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly shutdown: ShutdownSignal,
  ) {}

  handlers(): Map<JobName, Handler> {
    const found = new Map<JobName, Handler>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance);
      if (!prototype) continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const name = this.reflector.get<JobName | undefined>(JOB_HANDLER, prototype[method]);
        if (!name) continue;
        if (found.has(name)) throw new Error(`Two handlers for job "${name}"`);
        found.set(name, (instance[method] as Handler).bind(instance));
      }
    }
    return found;
  }

  async start(queues: QueueName[]): Promise<void> {
    const handlers = this.handlers();
    const missing = queues.flatMap((q) => JOBS_OF(q)).filter((job) => !handlers.has(job));
    if (missing.length) throw new Error(`No handler for job(s): ${missing.join(', ')}; refusing to start.`);
    for (const queue of queues) {
      const worker = new Worker(
        queue,
        async (job: Job, token?: string) => {
          const handler = handlers.get(job.name as JobName);
          if (!handler) throw new Error(`No handler for job "${job.name}" on queue ${queue}`);
          try {
            return await handler(job.data, job, token);
          } catch (error) {
            if (!this.shutdown.signal.aborted || !token || MOVED.has((error as Error).name)) throw error;
            // Interrupted by shutdown, not failed: back to the queue at once, without spending a try.
            await job.moveToWait(token);
            throw new WaitingError();
          }
        },
        {
          connection: redisConnection(this.config.REDIS_URL!),
          prefix: this.config.QUEUE_PREFIX,
          concurrency: CONCURRENCY[queue]?.(this.config) ?? 1,
          lockDuration: this.config.JOB_LOCK,
          stalledInterval: this.config.JOB_LOCK,
          ...KEEP_FINISHED,
          autorun: true,
        },
      );
      worker.on('failed', (job, error) =>
        this.logger.warn(`${queue} job ${job?.id} (${job?.name}) failed: ${error.message}`),
      );
      worker.on('error', (error) => this.logger.error(`${queue} worker: ${error.message}`));
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    this.logger.log(`consuming ${queues.join(', ')}`);
  }

  /** True from start until stop begins: the worker takes jobs. */
  get consuming(): boolean {
    return this.workers.length > 0 && !this.stopping;
  }

  /**
   * Stops taking jobs and lets the ones in flight finish within SHUTDOWN_GRACE; past it, their work is
   * aborted (ffmpeg and model calls stop, nothing is stored) and the jobs go back to the queue.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<void> {
    const workers = [...this.workers];
    if (!workers.length) return;
    const closing = Promise.all(workers.map((w) => w.close()));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>(
      (resolve) => (timer = setTimeout(() => resolve('grace'), this.config.SHUTDOWN_GRACE)),
    );
    if ((await Promise.race([closing, graceOver])) === 'grace') {
      this.logger.warn('shutdown grace is over: handing back the jobs in flight');
      this.shutdown.abort();
      await closing;
    }
    clearTimeout(timer);
    this.workers.length = 0;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
