export * from './clips.repository';
export * from './pipeline.module';
export * from './reconciler';
export * from './render-keys';
export * from './shutdown';
export * from './wave-events';
