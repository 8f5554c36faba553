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
  429: 'rate_limited',
};

export function toProblem(error: unknown, instance?: string): Problem {
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
    if (problem.status >= 500) this.logger.error({ err: error, reqId: request.id }, 'request failed');
    problem.requestId = request.id;
    void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
  }
}
