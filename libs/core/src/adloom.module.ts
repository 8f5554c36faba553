import { DynamicModule, Global, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { AdloomConfig, ConfigModule } from '@adloom/config';
import { Clock, Scratch } from '@adloom/common';
import { DbModule } from '@adloom/db';
import { StorageModule } from '@adloom/storage';
import { QueueModule } from '@adloom/queue';
import { AuthModule } from '@adloom/auth';
import { OpsModule } from '@adloom/ops';
import { BodyPolicyInterceptor, IdempotencyInterceptor, ProblemFilter, ZodPipe } from '@adloom/http';
import { FEATURE_MODULES } from './features';

const QUIET_PATHS = /^\/(health|metrics|console)/;

@Global()
@Module({ providers: [Clock, Scratch], exports: [Clock, Scratch] })
class ClockModule {}

/**
 * The one module graph. The API and the worker both start from it; only the worker starts
 * queue consumers, only the API listens for HTTP.
 */
@Module({})
export class AdloomModule {
  static forRoot(config: AdloomConfig, extra: Type[] = []): DynamicModule {
    return {
      module: AdloomModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.LOG_LEVEL,
            genReqId: (req) => (req.headers['x-request-id'] as string) || randomUUID(),
            autoLogging: {
              // The middleware sees a mounted, stripped `url`; the full path is `originalUrl`.
              ignore: (req) =>
                QUIET_PATHS.test((req as { originalUrl?: string }).originalUrl ?? req.url ?? ''),
            },
            redact: ['req.headers.authorization'],
            quietReqLogger: true,
          },
        }),
        ClockModule,
        DbModule,
        StorageModule,
        QueueModule.withQueues(),
        AuthModule,
        OpsModule,
        ...FEATURE_MODULES,
        ...extra,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useClass: ZodPipe },
        { provide: APP_INTERCEPTOR, useClass: BodyPolicyInterceptor },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}
