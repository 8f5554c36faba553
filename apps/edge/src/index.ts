export * from './server';
export * from './main';
