export * from './metrics';
export * from './ops.module';
