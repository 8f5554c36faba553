export * from './adloom.module';
