import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { CommonError } from '@adloom/common';

/** Content types a verification upload may use; their bodies reach the route as the request stream. */
export const VIDEO_UPLOAD_TYPES = ['video/mp4', 'application/octet-stream'] as const;

/** A request body left unread for the route to stream. */
export class StreamedBody {
  constructor(readonly stream: Readable) {}

  /** Idempotency keys hash the request body; a stream's bytes are not known until it is read. */
  toJSON(): never {
    throw new CommonError(
      'validation_failed',
      'An uploaded file cannot be sent with an Idempotency-Key; verifying changes nothing, so send it without one.',
      { field: 'Idempotency-Key' },
    );
  }
}

/**
 * Lets routes read `video/mp4` and `application/octet-stream` bodies as a StreamedBody, so they can be
 * spooled to disk (Fastify's body limit does not apply: the route enforces its own). A parser another
 * module registered for these types is left in place; the route also takes a Buffer.
 */
export function acceptVideoUploads(fastify: FastifyInstance | undefined): void {
  // The worker has no HTTP server.
  if (!fastify || typeof fastify.addContentTypeParser !== 'function') return;
  for (const type of VIDEO_UPLOAD_TYPES) {
    if (!fastify.hasContentTypeParser(type)) {
      fastify.addContentTypeParser(type, (_request, payload, done) => done(null, new StreamedBody(payload)));
    }
  }
}
