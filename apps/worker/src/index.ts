export * from './worker';
export * from './worker-host';
