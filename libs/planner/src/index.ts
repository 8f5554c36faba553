export * from './expand';
export * from './jobs';
export * from './lifecycle';
export * from './planner.errors';
export * from './planner.module';
export * from './planner.repository';
export * from './planner.service';
export * from './progress';
