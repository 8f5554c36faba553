export * from './data-source';
export * from './db';
export * from './db.module';
export * from './pagination';
