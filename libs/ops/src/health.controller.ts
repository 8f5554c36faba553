import { Controller, Get, Inject, Res } from '@nestjs/common';
import type IORedis from 'ioredis';
import { ApiTags } from '@nestjs/swagger';
import { Db } from '@adloom/db';
import { Public } from '@adloom/auth';
import { ObjectStore } from '@adloom/storage';
import { REDIS } from '@adloom/queue';
import type { FastifyReply } from 'fastify';

type Check = { status: 'up' } | { status: 'down'; error: string };

async function check(probe: () => Promise<unknown>, timeoutMs = 2000): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)),
      ),
    ]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: (error as Error).message || String(error) };
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('ops')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    @Inject(REDIS) private readonly redis: IORedis,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** 200 when Postgres, Redis and S3 all answer; 503 naming the parts that do not. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [postgres, redis, s3] = await Promise.all([
      check(() => this.db.ping()),
      check(() => this.redis.ping()),
      check(() => this.store.ping()),
    ]);
    const checks = { postgres, redis, s3 };
    const down = Object.entries(checks)
      .filter(([, c]) => c.status === 'down')
      .map(([name]) => name);
    if (down.length) void reply.status(503);
    return { status: down.length ? 'unavailable' : 'ok', down, checks };
  }
}
