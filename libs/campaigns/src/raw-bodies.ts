import type { FastifyInstance } from 'fastify';
import { decodeUtf8 } from '@adloom/http';

const RAW = /^(?:image|audio)\//;
const CSV = 'text/csv';

/**
 * Lets routes read image/* and audio/* bodies as Buffers (logo, music) and text/csv as a string
 * (segment import, refused unless it is UTF-8), with or without parameters such as charset. Safe to call more than once, and
 * alongside another module that registers text/csv the same way.
 */
export function registerRawBodyParsers(fastify: FastifyInstance): void {
  if (!fastify.hasContentTypeParser(RAW)) {
    fastify.addContentTypeParser(RAW, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  }
  if (!fastify.hasContentTypeParser(CSV)) {
    fastify.addContentTypeParser(CSV, { parseAs: 'buffer' }, (_request, body, done) => {
      try {
        done(null, decodeUtf8(body as Buffer));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  }
}
