import { getQueueToken } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { FlowProducer, JobsOptions, Queue } from 'bullmq';
import { JobData, JobName, QUEUE_OF, QueueName, QUEUES } from './contracts';

/** Typed producers: `queues.add('compose', { workspaceId, variantId }, { jobId })`. */
@Injectable()
export class Queues {
  private flows?: FlowProducer;

  constructor(private readonly moduleRef: ModuleRef) {}

  queue(name: QueueName): Queue {
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }

  all(): Queue[] {
    return QUEUES.map((q) => this.queue(q));
  }

  add<N extends JobName>(name: N, data: JobData<N>, options: JobsOptions = {}) {
    return this.queue(QUEUE_OF[name]).add(name, data, options);
  }

  addBulk<N extends JobName>(name: N, jobs: { data: JobData<N>; opts?: JobsOptions }[]) {
    return this.queue(QUEUE_OF[name]).addBulk(jobs.map((j) => ({ name, data: j.data, opts: j.opts })));
  }

  flowProducer(): FlowProducer {
    if (!this.flows) {
      const q = this.queue('wave');
      this.flows = new FlowProducer({ connection: q.opts.connection, prefix: q.opts.prefix });
    }
    return this.flows;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flows?.close();
  }
}
