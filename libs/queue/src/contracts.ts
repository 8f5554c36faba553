/**
 * Every queue, every job and its payload, in one place. Payloads carry ids only: a handler re-reads
 * the rows, checks the state machine and exits quietly when the work is already done.
 */
export const QUEUES = ['generate', 'compose', 'wave', 'optimize', 'housekeeping', 'webhooks'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface JobPayloads {
  /** GPU: make (or reuse) the base clip for one variant's prompt. */
  generate: {
    workspaceId: string;
    variantId: string;
    /** Where a routed variant stands: the generator it is on and its failed tries there (set by the handler). */
    route?: { position: number; failures: number };
  };
  /** CPU: finish one variant's clip into every format. */
  compose: { workspaceId: string; variantId: string };
  /** Parent of a wave's jobs: completes when every variant is composed or failed. */
  wave: { workspaceId: string; campaignId: string; waveId: string };
  /** Recompute allocation weights for every live campaign (or one). */
  optimize: { campaignId?: string };
  /** Re-enqueue variants whose state says in flight but that have no live job. */
  reconcile: Record<string, never>;
  /** Deliver one webhook attempt. */
  webhook: { deliveryId: string };
}
export type JobName = keyof JobPayloads;
export type JobData<N extends JobName> = JobPayloads[N];

/** Which queue carries each job. */
export const QUEUE_OF: Record<JobName, QueueName> = {
  generate: 'generate',
  compose: 'compose',
  wave: 'wave',
  optimize: 'optimize',
  reconcile: 'housekeeping',
  webhook: 'webhooks',
};

export const JOBS_OF = (queue: QueueName): JobName[] =>
  (Object.keys(QUEUE_OF) as JobName[]).filter((job) => QUEUE_OF[job] === queue);

/**
 * How long finished jobs stay in Redis, for every queue: set on the workers, so a job carries it only
 * when it differs (a fan-out of 100,000 jobs then writes 100,000 smaller records).
 */
export const KEEP_FINISHED = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

export function parseQueues(list: string): QueueName[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(QUEUES as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`Unknown queue(s): ${unknown.join(', ')}. Known: ${QUEUES.join(', ')}`);
  return names.length ? (names as QueueName[]) : [...QUEUES];
}
