import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Db } from '@adloom/db';
import { JobHandler, Queues } from '@adloom/queue';
import { composeJobOptions, generateJobOptions, IN_FLIGHT, jobIds, VariantLifecycle } from '@adloom/planner';
import { WaveEvents } from './wave-events';

const PAGE = 1_000;
const SCHEDULER_ID = 'reconcile';

export interface ReconcileResult {
  checked: number;
  requeued: number;
  failed: number;
  wavesCompleted: number;
}

/**
 * Postgres is the truth, queues are transport: every variant whose state says queued, generating
 * or composing must have a live job. This finds the ones that do not (a flushed Redis, a lost
 * enqueue) and enqueues them again. It runs once per interval across the fleet as a BullMQ job
 * scheduler, which every worker re-declares on its own timer, so even a flushed Redis gets it back.
 */
@Injectable()
export class Reconciler implements OnApplicationShutdown {
  private readonly logger = new Logger('reconciler');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(CONFIG) private readonly config: AdloomConfig,
    private readonly db: Db,
    private readonly queues: Queues,
    private readonly lifecycle: VariantLifecycle,
    private readonly events: WaveEvents,
  ) {}

  /**
   * Declares the schedule (idempotent) and keeps declaring it every interval; called once by each
   * worker that serves the housekeeping queue.
   */
  async schedule(): Promise<void> {
    const declare = () =>
      this.queues.queue('housekeeping').upsertJobScheduler(
        SCHEDULER_ID,
        { every: this.config.RECONCILE_INTERVAL },
        {
          name: 'reconcile',
          data: {},
          // One run per interval for ever: keep the recent ones to look at, not all of them in Redis.
          opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
        },
      );
    await declare();
    if (!this.timer) {
      this.timer = setInterval(() => void declare().catch(() => undefined), this.config.RECONCILE_INTERVAL);
      this.timer.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  @JobHandler('reconcile')
  async handle(): Promise<ReconcileResult> {
    return this.reconcile();
  }

  async reconcile(): Promise<ReconcileResult> {
    const result: ReconcileResult = { checked: 0, requeued: 0, failed: 0, wavesCompleted: 0 };
    let after = '00000000-0000-0000-0000-000000000000';
    const waves = new Set<string>();
    for (;;) {
      const rows = await this.db.query<{ id: string; workspace_id: string; state: string; wave_id: string }>(
        `SELECT id, workspace_id, state, wave_id FROM variant
         WHERE state = ANY($1::text[]) AND id > $2::uuid ORDER BY id LIMIT $3`,
        [IN_FLIGHT, after, PAGE],
      );
      if (!rows.length) break;
      after = rows[rows.length - 1].id;
      result.checked += rows.length;
      for (const row of rows) {
        const stage = row.state === 'composing' ? 'compose' : 'generate';
        const queue = this.queues.queue(stage);
        const jobId = stage === 'compose' ? jobIds.compose(row.id) : jobIds.generate(row.id);
        const job = await queue.getJob(jobId);
        const state = job ? await job.getState() : 'missing';
        if (state === 'failed' && job) {
          if (await this.lifecycle.fail(row.id, job.failedReason || 'the job failed')) result.failed++;
          waves.add(row.wave_id);
          continue;
        }
        if (state !== 'missing' && state !== 'completed' && state !== 'unknown') continue;
        if (job) await job.remove().catch(() => undefined);
        const data = { workspaceId: row.workspace_id, variantId: row.id };
        if (stage === 'compose') await this.queues.add('compose', data, composeJobOptions(row.id));
        else await this.queues.add('generate', data, generateJobOptions(row.id));
        result.requeued++;
      }
    }
    // Waves whose last variants ended while their jobs were lost.
    const running = await this.db.query<{ id: string }>(`SELECT id FROM wave WHERE status = 'running'`);
    for (const wave of new Set([...running.map((w) => w.id), ...waves])) {
      if (await this.events.waveMayBeDone(wave)) result.wavesCompleted++;
    }
    if (result.requeued || result.failed) this.logger.warn(`reconciled: ${JSON.stringify(result)}`);
    return result;
  }
}
