import { Injectable, Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeysService, AuthError, Principal } from '@adloom/auth';
import { parseOrThrow, toProblem } from '@adloom/http';
import { adQuerySchema, campaignParamsSchema } from './delivery.schemas';
import { DeliveryService } from './delivery.service';

export const AD_ROUTE = '/v1/delivery/:campaignId/ad';
export const VAST_ROUTE = '/v1/delivery/:campaignId/vast';
const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Answers the two routes players and platforms call per ad, `GET /v1/delivery/:campaignId/ad` and
 * `/vast`, from a Fastify `onRequest` hook, before Nest's router, middleware, guard, pipes and
 * interceptors run: on these routes they cost more than half of each request's CPU (see
 * bench/delivery). The answer is the same as through Nest: the key is verified by `ApiKeysService`
 * and must be a platform (or admin) key, path and query are checked with the controller's schemas,
 * errors are the same problem+json. `DeliveryController` declares the routes (OpenAPI) and answers
 * identically where the hook is not installed; a global guard or interceptor added later does not
 * run here.
 */
@Injectable()
export class DeliveryFastPath {
  private readonly logger = new Logger('delivery');

  constructor(
    private readonly keys: ApiKeysService,
    private readonly delivery: DeliveryService,
  ) {}

  install(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, reply, done) => {
      if (request.method !== 'GET') return done();
      const route = request.routeOptions.url;
      if (route === AD_ROUTE)
        this.ad(request, reply).catch((error: unknown) => this.fail(request, reply, error));
      else if (route === VAST_ROUTE) {
        this.vast(request, reply).catch((error: unknown) => this.fail(request, reply, error));
      } else done();
    });
  }

  private async ad(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const principal = await this.authenticate(request);
    const params = parseOrThrow(campaignParamsSchema, request.params, 'path');
    const query = parseOrThrow(adQuerySchema, request.query, 'query');
    const view = await this.delivery.ad(principal.workspaceId, params.campaignId, query);
    await reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(view));
  }

  private async vast(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const principal = await this.authenticate(request);
    const params = parseOrThrow(campaignParamsSchema, request.params, 'path');
    const query = parseOrThrow(adQuerySchema, request.query, 'query');
    const xml = await this.delivery.vast(principal.workspaceId, params.campaignId, query);
    await reply
      .header('content-type', 'application/xml; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(xml);
  }

  /** What `ApiKeyGuard` does for a route with `@Roles('platform')`. */
  private async authenticate(request: FastifyRequest): Promise<Principal> {
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match) throw new AuthError('missing_key', 'Send an API key as "Authorization: Bearer adl_…".');
    const principal = await this.keys.verify(match[1]);
    if (principal.role !== 'platform' && principal.role !== 'admin') {
      throw new AuthError('role_forbidden', `A ${principal.role} key cannot do this.`, {
        role: principal.role,
        allowed: ['admin', 'platform'],
      });
    }
    return principal;
  }

  /** What `ProblemFilter` does. */
  private fail(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
    const problem = toProblem(error, request.url.split('?')[0]);
    if (problem.status >= 500) this.logger.error({ err: error, reqId: request.id }, 'request failed');
    problem.requestId = request.id;
    void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
  }
}
