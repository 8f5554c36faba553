import { Global, Injectable, Logger, Module, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { parse as parseQuery, ParsedUrlQuery } from 'node:querystring';
import { toProblem } from './problem.filter';

/** A request on a hot route, parsed just enough for its handler. */
export interface HotRequest {
  readonly raw: IncomingMessage;
  readonly method: string;
  /** The path without the query string, still percent-encoded. */
  readonly path: string;
  /** The path's captures, by the route's pattern groups. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: ParsedUrlQuery;
  /** `X-Request-Id` when the caller sent one, else a new UUID; made only when asked for. */
  readonly id: string;
}

export type HotHandler = (request: HotRequest, response: ServerResponse) => void | Promise<void>;

export interface HotRoute {
  /** The route's template as in OpenAPI and metrics, e.g. `/v1/delivery/:campaignId/ad`. */
  name: string;
  methods: readonly string[];
  /** Matched against the path; named groups become `params`. */
  pattern: RegExp;
  handler: HotHandler;
}

type Observer = (method: string, route: string, status: number, seconds: number) => void;

/**
 * The few routes ad platforms and players call per impression (the ad, its VAST, the tracking
 * pixels), answered straight from Node's HTTP server before Fastify and Nest see the request: on
 * those routes Fastify's per-request logger, Nest's middleware, router, guards, pipes and
 * interceptors cost several times the route's own work (see bench/delivery). A hot route does what
 * those would: the handler authenticates and validates itself, errors are the same problem+json (with
 * `requestId`), and every answer is observed by the same request-duration metric. Hot routes are not
 * access-logged; 5xx answers are logged with their error.
 *
 * Every other request goes to Fastify unchanged. Routes are matched by a literal prefix first, so a
 * request that is not hot costs one `startsWith` per route.
 */
@Injectable()
export class HotRoutes implements OnModuleInit {
  private readonly logger = new Logger('http');
  private readonly routes: (HotRoute & { prefix: string })[] = [];
  private observer: Observer | undefined;

  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  /** Adds a route; `prefix` is the literal start every matching path has. */
  add(prefix: string, route: HotRoute): void {
    this.routes.push({ ...route, prefix });
  }

  /** Called with every hot answer (the API feeds its request-duration histogram). */
  observe(observer: Observer): void {
    this.observer = observer;
  }

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) return;
    const server = adapter.getHttpServer() as Server | undefined;
    if (server && typeof server.listeners === 'function') this.install(server);
    // Requests that reach Fastify without the server (`inject`, as the tests send) take the same routes.
    const fastify = adapter.getInstance<FastifyInstance>();
    if (typeof fastify?.addHook === 'function') {
      fastify.addHook('onRequest', (request, reply, done) => {
        if (this.dispatch(request.raw, reply.raw)) void reply.hijack();
        else done();
      });
    }
  }

  /** Puts the dispatcher in front of the server's own `request` listeners. */
  install(server: Server): void {
    const downstream = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.dispatch(req, res)) for (const listener of downstream) listener.call(server, req, res);
    });
  }

  /** True when a hot route took the request. */
  dispatch(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    for (const route of this.routes) {
      if (!url.startsWith(route.prefix)) continue;
      const method = req.method ?? 'GET';
      if (!route.methods.includes(method)) continue;
      const mark = url.indexOf('?');
      const path = mark < 0 ? url : url.slice(0, mark);
      const match = route.pattern.exec(path);
      if (!match) continue;
      this.run(route, req, res, method, path, match.groups ?? {}, mark < 0 ? '' : url.slice(mark + 1));
      return true;
    }
    return false;
  }

  private run(
    route: HotRoute,
    raw: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    params: Record<string, string>,
    search: string,
  ): void {
    const observer = this.observer;
    if (observer) {
      const started = performance.now();
      res.on('finish', () =>
        observer(method, route.name, res.statusCode, (performance.now() - started) / 1000),
      );
    }
    const request = new ParsedRequest(raw, method, path, params, parseQuery(search));
    try {
      const answer = route.handler(request, res);
      if (answer instanceof Promise) answer.catch((error: unknown) => this.fail(request, res, error));
    } catch (error) {
      this.fail(request, res, error);
    }
  }

  private fail(request: HotRequest, res: ServerResponse, error: unknown): void {
    sendProblem(request, res, error, this.logger);
  }
}

/**
 * A class, not an object literal with a getter: a literal with an accessor per request made every
 * request's objects outlive the young generation (3× the GC time in bench/delivery).
 */
class ParsedRequest implements HotRequest {
  private requestId: string | undefined;

  constructor(
    readonly raw: IncomingMessage,
    readonly method: string,
    readonly path: string,
    readonly params: Readonly<Record<string, string>>,
    readonly query: ParsedUrlQuery,
  ) {}

  get id(): string {
    return (this.requestId ??= (this.raw.headers['x-request-id'] as string | undefined) || randomUUID());
  }
}

/** Answers with a body already serialised (or none), setting its length. */
export function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body?: string | Buffer,
): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  res.writeHead(status, { ...headers, 'content-length': String(length) });
  res.end(body);
}

/** What `ProblemFilter` answers for an error, on a hot route. */
export function sendProblem(request: HotRequest, res: ServerResponse, error: unknown, logger: Logger): void {
  const problem = toProblem(error, request.path);
  if (problem.status >= 500) logger.error({ err: error, reqId: request.id }, 'request failed');
  problem.requestId = request.id;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, problem.status, { 'content-type': 'application/problem+json' }, JSON.stringify(problem));
}

/** Gives every module the one `HotRoutes`; installed on the API's HTTP server, idle in a worker. */
@Global()
@Module({ providers: [HotRoutes], exports: [HotRoutes] })
export class HotRoutesModule {}
