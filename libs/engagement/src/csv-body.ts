import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { decodeUtf8 } from '@adloom/http';

export const CSV_CONTENT_TYPE = 'text/csv';

/**
 * Lets routes take `text/csv` bodies, with or without a charset parameter, as a string (the form the
 * segment import in `@adloom/campaigns` also reads). Safe to call more than once; does nothing in a
 * process without HTTP.
 */
export function acceptCsvBodies(adapterHost: HttpAdapterHost): void {
  const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
  if (!fastify || typeof fastify.hasContentTypeParser !== 'function') return;
  if (fastify.hasContentTypeParser(CSV_CONTENT_TYPE)) return;
  fastify.addContentTypeParser(CSV_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, decodeUtf8(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
