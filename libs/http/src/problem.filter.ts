import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { AdloomError } from '@adloom/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const PROBLEM_BASE = 'https://adloom.dev/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  field?: string;
  [extra: string]: unknown;
}

const titleOf = (code: string) => {
  const words = code.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
};

/** A problem answer is at most this long when serialised; extras that would pass it are dropped. */
export const MAX_PROBLEM_BYTES = 8 * 1024;
const MAX_TEXT_CHARS = 500;
const MAX_LIST_ITEMS = 10;
const MAX_DEPTH = 4;

/** Strings cut, lists shortened and nesting flattened, so no problem echoes a large input. */
function bound(value: unknown, depth = 0): unknown {
  if (typeof value === 'string')
    return value.length > MAX_TEXT_CHARS ? `${value.slice(0, MAX_TEXT_CHARS)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH || Buffer.isBuffer(value)) return undefined;
  if (Array.isArray(value)) return value.slice(0, MAX_LIST_ITEMS).map((item) => bound(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).slice(0, MAX_LIST_ITEMS * 2)) {
    out[String(bound(key))] = bound((value as Record<string, unknown>)[key], depth + 1);
  }
  return out;
}

/**
 * Postgres refusing a value the request carried: a data exception (class 22: out of range, invalid
 * text, bad syntax for the type) or a check, foreign-key or not-null violation. These are the
 * caller's to fix, hence 422, never 500; a unique violation is a conflict.
 */
function databaseProblem(
  error: unknown,
): { status: number; code: string; detail: string; field?: string } | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const driver = ((error as { driverError?: unknown }).driverError ?? error) as {
    code?: unknown;
    column?: unknown;
    severity?: unknown;
  };
  const sqlState = driver.code;
  if (typeof sqlState !== 'string' || !/^[0-9A-Z]{5}$/.test(sqlState) || driver.severity === undefined)
    return undefined;
  const field = typeof driver.column === 'string' ? driver.column : undefined;
  if (sqlState.startsWith('22'))
    return {
      status: 422,
      code: 'unprocessable',
      detail: 'A value is out of range or malformed for where it is stored.',
      field,
    };
  if (sqlState === '23514' || sqlState === '23502' || sqlState === '23503')
    return {
      status: 422,
      code: 'unprocessable',
      detail: 'A value breaks a rule of where it is stored.',
      field,
    };
  if (sqlState === '23505')
    return { status: 409, code: 'conflict', detail: 'A resource with these values exists already.' };
  return undefined;
}

export function toProblem(error: unknown, instance?: string): Problem {
  const problem = unboundedProblem(error, instance);
  const { type, title, status, detail, code, field, ...extras } = problem;
  const core: Problem = {
    type,
    title,
    status,
    detail: bound(detail) as string,
    instance: instance === undefined ? undefined : (bound(instance) as string),
    code,
    ...(field ? { field: bound(field) as string } : {}),
  };
  const boundedExtras = bound(extras) as Record<string, unknown>;
  const whole = { ...boundedExtras, ...core };
  return Buffer.byteLength(JSON.stringify(whole)) <= MAX_PROBLEM_BYTES ? whole : core;
}

function unboundedProblem(error: unknown, instance?: string): Problem {
  const database = databaseProblem(error);
  if (database) {
    return {
      type: PROBLEM_BASE + database.code,
      title: titleOf(database.code),
      status: database.status,
      detail: database.detail,
      instance,
      code: database.code,
      ...(database.field ? { field: database.field } : {}),
    };
  }
  if (error instanceof AdloomError) {
    const { field, ...rest } = error.extras;
    // Extras come first so they can never overwrite the problem's own members.
    return {
      ...rest,
      type: PROBLEM_BASE + error.code,
      title: titleOf(error.code),
      status: error.status,
      detail: error.detail,
      instance,
      code: error.code,
      ...(field ? { field } : {}),
    };
  }
  let status = 500;
  let detail = 'Something went wrong on our side; it has been logged.';
  if (error instanceof HttpException) {
    status = error.getStatus();
    const body = error.getResponse();
    detail =
      typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? error.message);
  } else if (error && typeof error === 'object' && 'statusCode' in error) {
    // Fastify's own errors (bad JSON, body too large, unsupported content type) carry a 4xx statusCode.
    const code = Number((error as { statusCode: unknown }).statusCode);
    if (code >= 400 && code < 500) {
      status = code;
      detail = String((error as { message?: unknown }).message ?? detail);
    }
  }
  const code = HTTP_CODES[status] ?? (status >= 500 ? 'internal' : 'bad_request');
  return { type: PROBLEM_BASE + code, title: titleOf(code), status, detail, instance, code };
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = toProblem(error, request.url?.split('?')[0]);
    if (problem.status >= 500)
      this.logger.error(
        { err: error, reqId: request.id, route: request.routeOptions?.url },
        'request failed',
      );
    problem.requestId = request.id;
    void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
  }
}
