import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { createDataSource } from './data-source';
import { Db } from './db';

@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [CONFIG],
      useFactory: async (config: AdloomConfig) => {
        if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set');
        return createDataSource(config.DATABASE_URL, config.DATABASE_POOL_SIZE).initialize();
      },
    },
    { provide: Db, inject: [DataSource], useFactory: (ds: DataSource) => new Db(ds) },
  ],
  exports: [Db, DataSource],
})
export class DbModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
