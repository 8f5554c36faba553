import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  FastifyBaseLogger,
  FastifyError,
  LogController,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { ApiKeysService, AuthError, Principal } from '@adloom/auth';
import { CommonError } from '@adloom/common';
import { AdloomConfig } from '@adloom/config';
import { EDGE_ROUTES, EdgeRoute } from '@adloom/delivery';
import { toProblem } from '@adloom/http';
import { Metrics } from '@adloom/ops';
import { EdgeModule } from './edge.module';
import { EdgeHandlers } from './handlers';
import { TagAccess } from './tag-access';

/** Who called, as the auth hook found it. */
export type Caller =
  | { kind: 'platform'; principal: Principal }
  | {
      kind: 'tag';
      tag: { id: string; workspaceId: string; campaignId: string; segment: string; format?: string };
    }
  | { kind: 'public' };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every matched route; null before it runs. */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    edge?: EdgeRoute;
  }
}

export interface Edge {
  readonly app: FastifyInstance;
  readonly context: INestApplicationContext;
  close(): Promise<void>;
}

export interface EdgeOptions {
  logs?: boolean;
  /**
   * Called on the Fastify instance before the auth hook and the routes are added: a guard or limiter
   * added here sees every route.
   */
  extend?: (app: FastifyInstance) => void;
}

const BEARER = /^Bearer\s+(\S+)$/i;
const PROBLEM_TYPE = 'application/problem+json';
const PUBLIC: Caller = Object.freeze({ kind: 'public' });

/**
 * The edge: the routes ad platforms and players call per impression (ad, VAST, tags, pixels), as plain
 * Fastify routes over services Nest wires in an application context. Every route passes the one
 * `onRequest` auth hook and the rate limiter; inputs are checked by their JSON Schemas (Ajv), JSON
 * answers written by fast-json-stringify from the same schemas; errors are the API's problem+json.
 */
export async function createEdge(config: AdloomConfig, options: EdgeOptions = {}): Promise<Edge> {
  const logger = pino({ level: options.logs === false ? 'silent' : config.LOG_LEVEL });
  const context = await NestFactory.createApplicationContext(EdgeModule.forRoot(config, logger), {
    bufferLogs: true,
    abortOnError: false,
    logger: options.logs === false ? false : undefined,
  });
  if (options.logs !== false) context.useLogger(context.get(Logger));

  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's two lines per request give way to one sampled line (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    // The request id goes on the lines that name it; a pino child per request costs more than the route.
    childLoggerFactory: (logger) => logger,
    genReqId: (req) => (req.headers['x-request-id'] as string | undefined) || randomUUID(),
    requestIdHeader: false,
    trustProxy: true,
    // Tracking tokens are ~110 characters; the default refuses path parameters over 100.
    routerOptions: { maxParamLength: 1024 },
  });

  const keys = context.get(ApiKeysService);
  const tags = new TagAccess(context, config);
  const handlers = new EdgeHandlers(context, config);
  const metrics = context.get(Metrics);
  await tags.start();
  await handlers.start();

  app.decorateRequest('caller', null);
  app.setErrorHandler((error: FastifyError, request, reply) => sendProblem(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      new CommonError('not_found', `No route ${request.method} ${request.url.split('?')[0]} on the edge.`),
      request,
      reply,
    ),
  );

  // The rate limiter first (before any lookup), keyed by the credential as presented or by client IP.
  await app.register(rateLimit, {
    global: false,
    max: (request) =>
      routeOf(request)?.limitBy === 'credential' ? config.EDGE_RATE_LIMIT : config.EDGE_PIXEL_RATE_LIMIT,
    timeWindow: 60_000,
    cache: 50_000,
    keyGenerator: (request) => limitKey(request),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `Rate limited: at most ${context.max} requests a minute; retry in ${context.after}.`,
    }),
  });

  app.addHook('onRequest', app.rateLimit());

  options.extend?.(app);

  // The one auth hook: every route (and a request that matches none) passes through it.
  app.addHook('onRequest', (request, reply, done) => {
    const route = routeOf(request);
    if (route?.cors || request.method === 'OPTIONS') allowOrigin(request, reply);
    if (!route || route.access === 'public' || request.method === 'OPTIONS') {
      request.caller = PUBLIC;
      return done();
    }
    try {
      const caller = route.access === 'platform' ? platform(keys, request) : tags.caller(request);
      if (caller instanceof Promise) {
        caller.then(
          (known) => {
            request.caller = known;
            done();
          },
          (error: Error) => done(error),
        );
        return;
      }
      request.caller = caller;
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  // Request-duration metric and a sampled access log (every 5xx is logged).
  const series = new Map<string, { observe(seconds: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${route} ${reply.statusCode}`;
    let child = series.get(key);
    if (!child) {
      child = metrics.httpDuration.labels(request.method, route, String(reply.statusCode));
      series.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    if (reply.statusCode >= 500 || Math.random() < config.EDGE_ACCESS_LOG_SAMPLE) {
      request.log.info(
        {
          reqId: request.id,
          req: { method: request.method, route },
          status: reply.statusCode,
          ms: reply.elapsedTime,
        },
        'request completed',
      );
    }
    done();
  });

  for (const route of EDGE_ROUTES) {
    app.route({
      method: 'GET',
      url: route.url,
      config: { edge: route },
      schema: {
        ...(route.schema.params ? { params: route.schema.params } : {}),
        ...(route.schema.querystring ? { querystring: route.schema.querystring } : {}),
        ...(route.schema.response ? { response: { 200: route.schema.response } } : {}),
      },
      handler: handlers.handler(route),
    });
    if (route.cors) {
      app.route({
        method: 'OPTIONS',
        url: route.url,
        config: { edge: { ...route, access: 'public', limitBy: 'ip' } },
        handler: (request, reply) => {
          const asked = request.headers['access-control-request-headers'];
          void reply
            .code(204)
            .header('access-control-allow-methods', 'GET, OPTIONS')
            .header('access-control-max-age', '600');
          if (asked) void reply.header('access-control-allow-headers', asked);
          return reply.send();
        },
      });
    }
  }

  await app.ready();
  return {
    app,
    context,
    async close() {
      await app.close();
      await context.close();
    },
  };
}

function routeOf(request: FastifyRequest): EdgeRoute | undefined {
  return request.routeOptions.config?.edge;
}

function limitKey(request: FastifyRequest): string {
  const route = routeOf(request);
  if (route?.limitBy === 'credential') {
    if (route.access === 'tag') return `tag:${(request.params as { tag?: string }).tag ?? ''}`;
    const key = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (key) return `key:${key}`;
  }
  return `ip:${request.ip}`;
}

/** The caller of a platform route: an admin or platform API key (what `ApiKeyGuard` checks in the API). */
function platform(keys: ApiKeysService, request: FastifyRequest): Caller | Promise<Caller> {
  const match = BEARER.exec(request.headers.authorization ?? '');
  if (!match) throw new AuthError('missing_key', 'Send an API key as "Authorization: Bearer adl_…".');
  const principal = keys.verify(match[1]);
  return principal instanceof Promise ? principal.then(platformOnly) : platformOnly(principal);
}

function platformOnly(principal: Principal): Caller {
  if (principal.role !== 'platform' && principal.role !== 'admin') {
    throw new AuthError('role_forbidden', `A ${principal.role} key cannot do this.`, {
      role: principal.role,
      allowed: ['admin', 'platform'],
    });
  }
  return { kind: 'platform', principal };
}

/** CORS for player SDKs: the request's Origin echoed, with credentials (Google IMA's guidance). */
function allowOrigin(request: FastifyRequest, reply: FastifyReply): void {
  const origin = request.headers.origin;
  if (!origin) return;
  void reply
    .header('access-control-allow-origin', origin)
    .header('access-control-allow-credentials', 'true')
    .header('vary', 'Origin');
}

const CONTEXT_FIELD: Record<string, string> = { querystring: 'query', params: 'path', headers: 'header' };

/** The same problem+json the API answers, with the request id; Ajv's findings name the field. */
function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = toProblem(validationError(error) ?? error, request.url.split('?')[0]);
  if (problem.status >= 500) request.log.error({ err: error, reqId: request.id }, 'request failed');
  problem.requestId = request.id;
  const retryAfter = reply.getHeader('retry-after');
  if (problem.status === 429 && retryAfter !== undefined) problem.retryAfterSeconds = Number(retryAfter);
  return reply.code(problem.status).header('content-type', PROBLEM_TYPE).send(problem);
}

function validationError(error: unknown): CommonError | undefined {
  const failed = error as FastifyError & { validationContext?: string };
  const first = failed?.validation?.[0];
  if (!first) return undefined;
  const where = CONTEXT_FIELD[failed.validationContext ?? ''] ?? failed.validationContext ?? '';
  const name =
    (first.params as { missingProperty?: string }).missingProperty ??
    first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const field = name ? `${where}.${name}` : where;
  const message = first.message ?? 'is not valid';
  return new CommonError('validation_failed', `${field}: ${message}`, {
    field,
    errors: failed.validation!.map((issue) => ({ field, message: issue.message ?? 'is not valid' })),
  });
}
