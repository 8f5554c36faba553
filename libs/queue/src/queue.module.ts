import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import IORedis from 'ioredis';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { QUEUES } from './contracts';
import { Queues } from './queues';
import { CampaignEvents } from './campaign-events';
import { REDIS } from './redis';

export function redisConnection(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

const redisProvider = {
  provide: REDIS,
  inject: [CONFIG],
  useFactory: (config: AdloomConfig) => {
    if (!config.REDIS_URL) throw new Error('REDIS_URL is not set');
    return new IORedis(config.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: false });
  },
};

/**
 * Redis for the processes: `QueueModule` alone gives the plain client and `campaign.changed` (what the
 * edge needs: no BullMQ queue or connection of its own); `QueueModule.withQueues()` adds every queue
 * (the API and the workers).
 */
@Global()
@Module({ providers: [CampaignEvents, redisProvider], exports: [REDIS, CampaignEvents] })
export class QueueModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: IORedis) {}

  static withQueues(): DynamicModule {
    return {
      module: QueueModule,
      imports: [
        BullModule.forRootAsync({
          inject: [CONFIG],
          useFactory: (config: AdloomConfig) => {
            if (!config.REDIS_URL) throw new Error('REDIS_URL is not set');
            return { connection: redisConnection(config.REDIS_URL), prefix: config.QUEUE_PREFIX };
          },
        }),
        BullModule.registerQueue(...QUEUES.map((name) => ({ name }))),
      ],
      providers: [Queues],
      exports: [Queues, BullModule],
    };
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
