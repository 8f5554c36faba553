import { JobsOptions } from 'bullmq';

/** Deterministic job ids: one live job per variant and stage, which the reconciler can look up. */
export const jobIds = {
  generate: (variantId: string) => `generate-${variantId}`,
  compose: (variantId: string) => `compose-${variantId}`,
  wave: (waveId: string) => `wave-${waveId}`,
};

// How long finished jobs are kept is the workers' setting (KEEP_FINISHED), not each job's.

export const generateJobOptions = (variantId: string): JobsOptions => ({
  jobId: jobIds.generate(variantId),
  attempts: 5,
  backoff: { type: 'exponential', delay: 5_000 },
  ignoreDependencyOnFailure: true,
});

export const composeJobOptions = (variantId: string): JobsOptions => ({
  jobId: jobIds.compose(variantId),
  attempts: 3,
  backoff: { type: 'exponential', delay: 3_000 },
  ignoreDependencyOnFailure: true,
});

export const waveJobOptions = (waveId: string): JobsOptions => ({
  jobId: jobIds.wave(waveId),
  attempts: 3,
  backoff: { type: 'exponential', delay: 2_000 },
});

/** True when this failure is the job's last try: the handler then records the failure on the variant. */
export function isLastAttempt(job: { attemptsMade: number; opts: JobsOptions }): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
