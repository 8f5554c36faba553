import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { CommonError } from '@adloom/common';
import { Db } from '@adloom/db';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, Observable, of, switchMap, catchError, throwError } from 'rxjs';

interface StoredResponse {
  status: number | null;
  body: string | null;
  request_hash: string;
}

/**
 * `Idempotency-Key` on POST: the first response is stored per workspace and key; a replay with
 * the same request gets it back (with `Idempotent-Replayed: true`), a different request under the
 * same key is refused, and a failed first attempt frees the key for a retry.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly db: Db) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context
      .switchToHttp()
      .getRequest<FastifyRequest & { principal?: { workspaceId: string } }>();
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || typeof key !== 'string' || !request.principal) return next.handle();
    if (key.length === 0 || key.length > 255) {
      throw new CommonError('validation_failed', 'Idempotency-Key must be 1 to 255 characters.', {
        field: 'Idempotency-Key',
      });
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const workspaceId = request.principal.workspaceId;
    const path = request.url.split('?')[0];
    const body = Buffer.isBuffer(request.body) ? request.body.toString('base64') : serialised(request.body);
    const requestHash = createHash('sha256').update(`${request.method} ${path}\n${body}`).digest('hex');
    const status =
      Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? 201 : 200);

    return from(
      this.db.query<{ inserted: boolean } & StoredResponse>(
        `WITH ins AS (
           INSERT INTO idempotency_record (workspace_id, key, method, path, request_hash)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true AS inserted)
         SELECT true AS inserted, NULL::int AS status, NULL AS body, $5 AS request_hash FROM ins
         UNION ALL
         SELECT false, status, body, request_hash FROM idempotency_record
         WHERE workspace_id = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM ins)`,
        [workspaceId, key, request.method, path, requestHash],
      ),
    ).pipe(
      switchMap(([row]) => {
        if (!row.inserted) {
          if (row.request_hash !== requestHash) {
            throw new CommonError('unprocessable', 'This Idempotency-Key was used for a different request.', {
              field: 'Idempotency-Key',
            });
          }
          if (row.status === null) {
            throw new CommonError('conflict', 'A request with this Idempotency-Key is still in progress.', {
              field: 'Idempotency-Key',
            });
          }
          void reply.status(row.status).header('idempotent-replayed', 'true');
          return of(row.body === null ? undefined : JSON.parse(row.body));
        }
        return next.handle().pipe(
          switchMap((result) =>
            from(
              this.db.query(
                `UPDATE idempotency_record SET status = $3, body = $4 WHERE workspace_id = $1 AND key = $2`,
                [workspaceId, key, status, result === undefined ? null : JSON.stringify(result)],
              ),
            ).pipe(switchMap(() => of(result))),
          ),
          catchError((error) =>
            from(
              this.db.query(`DELETE FROM idempotency_record WHERE workspace_id = $1 AND key = $2`, [
                workspaceId,
                key,
              ]),
            ).pipe(switchMap(() => throwError(() => error))),
          ),
        );
      }),
    );
  }
}

/**
 * The body as JSON for hashing; a body too deep to serialise is the caller's fault, not a 500. A body
 * that refuses to be hashed (an upload's stream) says why itself.
 */
function serialised(body: unknown): string {
  try {
    return JSON.stringify(body ?? null);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new CommonError('unprocessable', 'The body is nested too deeply.', { field: 'body' });
  }
}
