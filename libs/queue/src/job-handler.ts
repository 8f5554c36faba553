import { SetMetadata } from '@nestjs/common';
import { JobName } from './contracts';

export const JOB_HANDLER = 'adloom:job-handler';

/** Marks a method as the handler of one job name; the worker refuses to start without one per job it serves. */
export const JobHandler = (name: JobName) => SetMetadata(JOB_HANDLER, name);
