import { INestApplicationContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type IORedis from 'ioredis';
import { Counter } from 'prom-client';
import { Clock } from '@adloom/common';
import { AdloomConfig } from '@adloom/config';
import { Db } from '@adloom/db';
import { AdQuery, DeliveryCache, DeliveryService, EdgeRoute } from '@adloom/delivery';
import { PixelIntake, trackingSecrets, verifyToken } from '@adloom/engagement';
import { Metrics } from '@adloom/ops';
import { REDIS } from '@adloom/queue';

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
const XML_TYPE = 'application/xml; charset=utf-8';
/** VAST 900, "undefined error": what an `[ERRORCODE]` that is not a 3-digit code is counted as. */
const UNDEFINED_ERROR = '900';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The edge's route handlers, over the services of the application context. */
export class EdgeHandlers {
  private readonly delivery: DeliveryService;
  private readonly cache: DeliveryCache;
  private readonly pixels: PixelIntake;
  private readonly metrics: Metrics;
  private readonly clock: Clock;
  private readonly vastErrors: Counter;
  private readonly secrets: string[] | undefined;

  constructor(
    private readonly context: INestApplicationContext,
    config: AdloomConfig,
  ) {
    this.delivery = context.get(DeliveryService);
    this.cache = context.get(DeliveryCache);
    this.pixels = context.get(PixelIntake);
    this.metrics = context.get(Metrics);
    this.clock = context.get(Clock);
    const secrets = trackingSecrets(config);
    if ('secrets' in secrets) this.secrets = secrets.secrets;
    this.vastErrors = this.metrics.counter(
      'adloom_vast_errors_total',
      'VAST <Error> pings from players, by campaign, variant and VAST error code',
      ['campaign', 'variant', 'code'],
    );
  }

  /** Listens for `campaign.changed` and starts the snapshot's refresh timer. */
  start(): Promise<void> {
    return this.cache.start();
  }

  handler(route: EdgeRoute): RouteHandlerMethod {
    const handlers: Record<EdgeRoute['name'], Handler> = {
      ad: (request) => this.delivery.ad(this.workspaceOf(request), campaignOf(request), adQuery(request)),
      vast: async (request, reply) => {
        const xml = await this.delivery.vast(
          this.workspaceOf(request),
          campaignOf(request),
          adQuery(request),
        );
        return reply.type(XML_TYPE).header('cache-control', 'no-store').send(xml);
      },
      tagAd: (request) => {
        const { tag } = tagOf(request);
        return this.delivery.ad(tag.workspaceId, tag.campaignId, tagQuery(request));
      },
      tagVast: async (request, reply) => {
        const { tag } = tagOf(request);
        const xml = await this.delivery.vast(tag.workspaceId, tag.campaignId, tagQuery(request));
        return reply.type(XML_TYPE).header('cache-control', 'no-store').send(xml);
      },
      pixel: (request, reply) => this.pixel(request, reply),
      live: () => Promise.resolve({ status: 'ok' }),
      ready: (_request, reply) => this.ready(reply),
      metrics: async (_request, reply) =>
        reply.type('text/plain; version=0.0.4').send(await this.metrics.registry.metrics()),
    };
    return handlers[route.name];
  }

  /**
   * Counts the event (HEAD, as link checkers send, counts nothing), then answers a 1×1 GIF, or a 302
   * to the landing page for a click token with `redirect`. With `error`, counts a VAST error instead.
   * The answer waits for `PixelIntake.track`; its errors (the event log unavailable: 503) are problems.
   */
  private async pixel(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { token } = request.params as { token: string };
    const query = request.query as { redirect?: string; error?: string };
    if (request.method === 'HEAD') return gif(reply);
    if (query.error !== undefined) {
      this.countError(token, query.error);
      return gif(reply);
    }
    const verdict = await this.pixels.track(token);
    if (verdict.ok && verdict.payload.event === 'click' && query.redirect !== undefined) {
      const snapshot = await this.cache.get(verdict.payload.campaignId);
      const landingUrl = snapshot?.campaign.landingUrl;
      if (landingUrl)
        return reply.code(302).header('cache-control', 'no-store').header('location', landingUrl).send();
    }
    return gif(reply);
  }

  /** An `<Error>` ping: counted for the token's variant when the token is ours and current. */
  private countError(token: string, code: string): void {
    if (!this.secrets) return;
    const verdict = verifyToken(token, this.secrets, Math.floor(this.clock.nowMs() / 1000));
    if (!verdict.ok) return;
    const { campaignId, variantId } = verdict.payload;
    this.vastErrors.labels(campaignId, variantId, /^\d{3}$/.test(code) ? code : UNDEFINED_ERROR).inc();
  }

  private async ready(reply: FastifyReply): Promise<unknown> {
    const checks = await Promise.all([
      probe(() => this.context.get(Db).ping()),
      probe(() => this.context.get<IORedis>(REDIS).ping()),
    ]);
    const down = (['postgres', 'redis'] as const).filter((_, index) => checks[index] !== undefined);
    if (down.length) void reply.code(503);
    return { status: down.length ? 'unavailable' : 'ok', down };
  }

  private workspaceOf(request: FastifyRequest): string {
    const { caller } = request;
    if (caller?.kind !== 'platform') throw new Error('a platform route without a platform caller');
    return caller.principal.workspaceId;
  }
}

function campaignOf(request: FastifyRequest): string {
  return (request.params as { campaignId: string }).campaignId;
}

function adQuery(request: FastifyRequest): AdQuery {
  const { segment, format, viewer } = request.query as AdQuery;
  return { segment, format, viewer };
}

function tagOf(request: FastifyRequest) {
  const { caller } = request;
  if (caller?.kind !== 'tag') throw new Error('a tag route without a tag caller');
  return caller;
}

function tagQuery(request: FastifyRequest): AdQuery {
  const { tag } = tagOf(request);
  const { viewer } = request.query as { viewer?: string };
  return { segment: tag.segment, format: tag.format, viewer };
}

function gif(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').type('image/gif').send(PIXEL);
}

/** The error message when `check` fails or takes over 2 s; undefined when it answers. */
async function probe(check: () => Promise<unknown>): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer in 2 s')), 2_000))),
    ]);
    return undefined;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    clearTimeout(timer);
  }
}
