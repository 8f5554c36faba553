export * from './console-paths';
export * from './console-files';
export * from './console.errors';
export * from './captions.repository';
export * from './captions.controller';
export * from './console.controller';
export * from './console.module';
