export * from './csv-import';
export * from './events';
export * from './tracking-token';
