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

export type HotHandler = (request: HotRequest, reply: HotReply) => void | Promise<void>;

/** Where a hot route's answer goes: the status, headers and a body already serialised. */
export interface AnswerSink {
  send(status: number, headers: Readonly<Record<string, string>>, body?: string | Buffer): void;
}

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
    const request = new ParsedRequest(raw, method, path, params, parseQuery(search));
    const reply = new HotReply(res, this.observer, method, route.name);
    try {
      const answer = route.handler(request, reply);
      if (answer instanceof Promise) answer.catch((error: unknown) => this.fail(request, reply, error));
    } catch (error) {
      this.fail(request, reply, error);
    }
  }

  private fail(request: HotRequest, reply: HotReply, error: unknown): void {
    sendProblem(request, reply, error, this.logger);
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

/**
 * A hot route's answer. The status and headers are set at once; the bytes go out with every other
 * answer made in the same turn of the event loop (see `writeSoon`). Observed by the request-duration
 * metric when it is sent.
 */
export class HotReply implements AnswerSink {
  private readonly started: number;

  constructor(
    readonly raw: ServerResponse,
    private readonly observer: Observer | undefined,
    private readonly method: string,
    private readonly route: string,
  ) {
    this.started = observer ? performance.now() : 0;
  }

  get sent(): boolean {
    return this.raw.headersSent;
  }

  send(status: number, headers: Readonly<Record<string, string>>, body?: string | Buffer): void {
    if (body === undefined) this.raw.writeHead(status, headers);
    else {
      const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      this.raw.writeHead(status, { ...headers, 'content-length': String(length) });
    }
    this.observer?.(this.method, this.route, status, (performance.now() - this.started) / 1000);
    writeSoon(this.raw, body);
  }
}

/**
 * Answers waiting to be written, flushed once the event loop has read every request it has: one
 * flush per turn instead of a write between each two reads (the flush consolidation of Netty and
 * others). Under load the client then wakes once for many answers instead of once per answer, which
 * on bench/delivery is a quarter of the CPU per request; an idle server waits no longer than before.
 */
let waiting: (ServerResponse | string | Buffer | undefined)[] = [];

function writeSoon(res: ServerResponse, body: string | Buffer | undefined): void {
  if (waiting.length === 0) setImmediate(flushWaiting);
  waiting.push(res, body);
}

function flushWaiting(): void {
  const answers = waiting;
  waiting = [];
  for (let i = 0; i < answers.length; i += 2) {
    const res = answers[i] as ServerResponse;
    const body = answers[i + 1] as string | Buffer | undefined;
    try {
      if (body === undefined) res.end();
      else res.end(body);
    } catch {
      // A socket that broke meanwhile: the other answers still go.
      res.destroy();
    }
  }
}

/** What `ProblemFilter` answers for an error, on a hot route. */
function sendProblem(request: HotRequest, reply: HotReply, error: unknown, logger: Logger): void {
  const problem = toProblem(error, request.path);
  if (problem.status >= 500) logger.error({ err: error, reqId: request.id }, 'request failed');
  problem.requestId = request.id;
  if (reply.sent) {
    reply.raw.destroy();
    return;
  }
  reply.send(problem.status, PROBLEM_HEADERS, JSON.stringify(problem));
}

const PROBLEM_HEADERS = { 'content-type': 'application/problem+json' };

/** Gives every module the one `HotRoutes`; installed on the API's HTTP server, idle in a worker. */
@Global()
@Module({ providers: [HotRoutes], exports: [HotRoutes] })
export class HotRoutesModule {}
