import type { FastifyInstance } from 'fastify';

const RAW = /^(?:image|audio)\//;
const CSV = 'text/csv';

/**
 * Lets routes read image/* and audio/* bodies as Buffers (logo, music) and text/csv as a string
 * (segment import), with or without parameters such as charset. Safe to call more than once, and
 * alongside another module that registers text/csv the same way.
 */
export function registerRawBodyParsers(fastify: FastifyInstance): void {
  if (!fastify.hasContentTypeParser(RAW)) {
    fastify.addContentTypeParser(RAW, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  }
  if (!fastify.hasContentTypeParser(CSV)) {
    fastify.addContentTypeParser(CSV, { parseAs: 'string' }, (_request, body, done) => done(null, body));
  }
}
