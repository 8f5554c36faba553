export * from './worker';
export * from './worker-host';
export * from './worker-health';
