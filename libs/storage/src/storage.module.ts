import { Global, Module, OnModuleInit } from '@nestjs/common';
import { ObjectStore } from './object-store';

@Global()
@Module({ providers: [ObjectStore], exports: [ObjectStore] })
export class StorageModule implements OnModuleInit {
  constructor(private readonly store: ObjectStore) {}

  async onModuleInit(): Promise<void> {
    await this.store.ensureBucket();
  }
}
