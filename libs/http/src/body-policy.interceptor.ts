import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { CommonError } from '@adloom/common';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { mediaTypeOf } from './text';

const WRITES = new Set(['POST', 'PUT', 'PATCH']);
/** Where `@ApiConsumes()` (@nestjs/swagger) keeps a route's media types. */
const API_CONSUMES = 'swagger/apiConsumes';

interface BodyRule {
  /** The route reads a body (`@Body()`, or `@Req()` to read it itself). */
  reads: boolean;
  /** The media types it declares with `@ApiConsumes()`; JSON when it declares none. */
  consumes: readonly string[] | undefined;
}

/**
 * A body whose media type the route does not declare (`@ApiConsumes()`) is refused with 415 before
 * any part of the route reads it.
 *
 * A route that declares no body (no `@Body()`, no `@Req()` to read one itself) takes none: a body
 * other than nothing or `{}` is refused before the route runs, so `POST /launch` with stray fields, a
 * `null` or an image does not launch anything. Routes that read a body validate it themselves (the
 * zod pipe for JSON, the upload routes for theirs).
 */
@Injectable()
export class BodyPolicyInterceptor implements NestInterceptor {
  private readonly rules = new WeakMap<object, BodyRule>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!WRITES.has(request.method)) return next.handle();
    const rule = this.rule(context);
    const body: unknown = request.body;
    if (rule.consumes && body !== undefined) {
      const type = mediaTypeOf(request.headers['content-type']);
      if (!rule.consumes.includes(type)) {
        throw new CommonError(
          'unsupported_media_type',
          `This route takes ${rule.consumes.join(', ')}, not ${type.slice(0, 100) || 'a body without a Content-Type'}.`,
          { field: 'Content-Type', accepted: rule.consumes },
        );
      }
    }
    if (rule.reads) return next.handle();
    if (body === undefined) return next.handle();
    if (Buffer.isBuffer(body) || typeof body === 'string') {
      throw new CommonError('unsupported_media_type', 'This route takes no body.', { field: 'Content-Type' });
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new CommonError('unprocessable', 'This route takes no body.', { field: 'body' });
    }
    const [first] = Object.keys(body);
    if (first !== undefined) {
      const field = first.length > 64 ? `${first.slice(0, 64)}…` : first;
      throw new CommonError(
        'validation_failed',
        `This route takes no body; "${field}" is not a field of it.`,
        {
          field: 'body',
        },
      );
    }
    return next.handle();
  }

  private rule(context: ExecutionContext): BodyRule {
    const handler = context.getHandler();
    let rule = this.rules.get(handler);
    if (rule === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      const types = Object.keys(args).map((key) => Number(key.split(':')[0]));
      const consumes = (Reflect.getMetadata(API_CONSUMES, handler) ??
        Reflect.getMetadata(API_CONSUMES, context.getClass())) as string[] | undefined;
      rule = {
        reads: types.includes(RouteParamtypes.BODY) || types.includes(RouteParamtypes.REQUEST),
        consumes: consumes?.map((type) => mediaTypeOf(type)),
      };
      this.rules.set(handler, rule);
    }
    return rule;
  }
}
