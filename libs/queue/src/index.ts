export * from './contracts';
export * from './queue.module';
export * from './queues';
export * from './job-handler';
export * from './redis';
export * from './campaign-events';
