import { DynamicModule, Global, Module } from '@nestjs/common';
import { AdloomConfig, loadConfig } from './config';

export const CONFIG = Symbol('AdloomConfig');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AdloomConfig = loadConfig()): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: CONFIG, useValue: config }], exports: [CONFIG] };
  }
}
