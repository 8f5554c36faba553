export * from './problem.filter';
export * from './zod.pipe';
export * from './etag';
export * from './idempotency.interceptor';
export * from './text';
export * from './body-policy.interceptor';
