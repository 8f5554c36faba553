import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { randomUUID } from 'node:crypto';
import { AdloomConfig, CONFIG, publicEdgeUrl } from '@adloom/config';
import { edgeOpenApiPaths } from '@adloom/delivery';
import { AdloomModule } from '@adloom/core';
import { ApiKeysService } from '@adloom/auth';
import { Metrics } from '@adloom/ops';

export const BODY_LIMIT = 12 * 1024 * 1024;

/** The API's routes and, from the same declarations the edge registers, the edge's (under the edge's URL). */
export function buildOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Adloom')
      .setDescription('Generate, serve and optimise personalised video ads.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key: adl_…' })
      .build(),
  );
  const edge = edgeOpenApiPaths(publicEdgeUrl(app.get<AdloomConfig>(CONFIG)));
  return cleanupOpenApiDoc({ ...document, paths: { ...document.paths, ...edge } } as OpenAPIObject);
}

/** Builds the HTTP application (not yet listening). Tests call this with their own config. */
export async function createApi(
  config: AdloomConfig,
  options: { logs?: boolean } = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) =>
      (req.headers['x-request-id'] as string) || randomUUID(),
    trustProxy: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AdloomModule.forRoot(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
    logger: options.logs === false ? false : undefined,
  });
  if (options.logs !== false) app.useLogger(app.get(Logger));

  const metrics = app.get(Metrics);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
    done();
  });
  SwaggerModule.setup('docs', app, () => buildOpenApi(app), { jsonDocumentUrl: 'docs-json' });
  await app.init();
  if (config.ADLOOM_BOOTSTRAP_ADMIN_KEY)
    await app.get(ApiKeysService).bootstrapAdmin(config.ADLOOM_BOOTSTRAP_ADMIN_KEY);
  return app;
}
