export * from './embedded';
export * from './ports';
