export * from './keys';
export * from './auth.errors';
export * from './principal';
export * from './api-keys.service';
export * from './api-keys.repository';
export * from './auth.module';
