import { Injectable } from '@nestjs/common';
import { ApiKeysService, AuthError, Principal } from '@adloom/auth';
import { HotReply, HotRequest, HotRoutes, parseOrThrow } from '@adloom/http';
import { adQuerySchema, campaignParamsSchema } from './delivery.schemas';
import { DeliveryService } from './delivery.service';

export const AD_ROUTE = '/v1/delivery/:campaignId/ad';
export const VAST_ROUTE = '/v1/delivery/:campaignId/vast';
const PREFIX = '/v1/delivery/';
const BEARER = /^Bearer\s+(\S+)$/i;
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const XML_HEADERS = { 'content-type': 'application/xml; charset=utf-8', 'cache-control': 'no-store' };

/**
 * Answers the two routes players and platforms call per ad, `GET /v1/delivery/:campaignId/ad` and
 * `/vast`, as hot routes (see `HotRoutes`): before Fastify and Nest, which on these routes cost
 * several times the route's own work (bench/delivery). The answer is the same as through Nest: the
 * key is verified by `ApiKeysService` and must be a platform (or admin) key, path and query are
 * checked with the controller's schemas, errors are the same problem+json. `DeliveryController`
 * declares the routes (OpenAPI); a global guard or interceptor added later does not run here.
 *
 * The ad route awaits nothing once the key, the campaign and the render's URLs are in memory.
 */
@Injectable()
export class DeliveryFastPath {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly delivery: DeliveryService,
  ) {}

  install(routes: HotRoutes): void {
    routes.add(PREFIX, {
      name: AD_ROUTE,
      methods: ['GET'],
      pattern: /^\/v1\/delivery\/(?<campaignId>[^/]+)\/ad\/?$/,
      handler: (request, reply) => this.ad(request, reply),
    });
    routes.add(PREFIX, {
      name: VAST_ROUTE,
      methods: ['GET'],
      pattern: /^\/v1\/delivery\/(?<campaignId>[^/]+)\/vast\/?$/,
      handler: (request, reply) => this.vast(request, reply),
    });
  }

  private ad(request: HotRequest, reply: HotReply): void | Promise<void> {
    const principal = this.authenticate(request);
    if (principal instanceof Promise) return principal.then((known) => this.serveAd(known, request, reply));
    return this.serveAd(principal, request, reply);
  }

  private serveAd(principal: Principal, request: HotRequest, reply: HotReply): void | Promise<void> {
    const { campaignId } = parseOrThrow(campaignParamsSchema, decodeParams(request), 'path');
    const query = parseOrThrow(adQuerySchema, request.query, 'query');
    const body = this.delivery.adJson(principal.workspaceId, campaignId, query);
    if (body instanceof Promise) return body.then((json) => reply.send(200, JSON_HEADERS, json));
    reply.send(200, JSON_HEADERS, body);
  }

  private async vast(request: HotRequest, reply: HotReply): Promise<void> {
    const principal = await this.authenticate(request);
    const { campaignId } = parseOrThrow(campaignParamsSchema, decodeParams(request), 'path');
    const query = parseOrThrow(adQuerySchema, request.query, 'query');
    reply.send(200, XML_HEADERS, await this.delivery.vast(principal.workspaceId, campaignId, query));
  }

  /** What `ApiKeyGuard` does for a route with `@Roles('platform')`. */
  private authenticate(request: HotRequest): Principal | Promise<Principal> {
    const match = BEARER.exec(request.raw.headers.authorization ?? '');
    if (!match) throw new AuthError('missing_key', 'Send an API key as "Authorization: Bearer adl_…".');
    const principal = this.keys.verify(match[1]);
    return principal instanceof Promise ? principal.then(platformOnly) : platformOnly(principal);
  }
}

function platformOnly(principal: Principal): Principal {
  if (principal.role !== 'platform' && principal.role !== 'admin') {
    throw new AuthError('role_forbidden', `A ${principal.role} key cannot do this.`, {
      role: principal.role,
      allowed: ['admin', 'platform'],
    });
  }
  return principal;
}

/** Path parameters as the router would give them: percent-decoded (a malformed escape stays as sent). */
function decodeParams(request: HotRequest): Record<string, string> {
  const { campaignId } = request.params;
  if (!campaignId.includes('%')) return request.params;
  try {
    return { campaignId: decodeURIComponent(campaignId) };
  } catch {
    return request.params;
  }
}
