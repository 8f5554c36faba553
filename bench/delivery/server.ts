/**
 * One HTTP server for the delivery benchmark, in its own process: `edge` is the real Adloom edge
 * (createEdge, settings from the environment), `bare` plain Fastify routes answering constant bodies
 * of the same size (the ad's JSON, the pixel's GIF). Tells its parent the port over IPC, and its RSS
 * and CPU time when asked.
 */
import fastify from 'fastify';
import { AddressInfo } from 'node:net';
import { loadConfig } from '@adloom/config';
import { createEdge } from '../../apps/edge/src/server';

type Message = { type: 'rss' } | { type: 'cpu' } | { type: 'stop' };

async function main() {
  const mode = process.argv[2];
  let close: () => Promise<unknown>;
  let port: number;
  if (mode === 'edge') {
    const edge = await createEdge(loadConfig(process.env));
    await edge.app.listen({ port: 0, host: '127.0.0.1' });
    port = (edge.app.server.address() as AddressInfo).port;
    close = () => edge.close();
  } else if (mode === 'bare') {
    const body = process.env.BARE_BODY ?? '{}';
    const gif = Buffer.from(process.env.BARE_PIXEL ?? '', 'base64');
    const server = fastify({ routerOptions: { maxParamLength: 1024 } });
    server.get('/v1/delivery/:campaignId/ad', (_request, reply) => {
      void reply.header('content-type', 'application/json; charset=utf-8').send(body);
    });
    server.get('/t/:token', (_request, reply) => {
      void reply.header('cache-control', 'no-store').header('content-type', 'image/gif').send(gif);
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
    port = (server.server.address() as AddressInfo).port;
    close = () => server.close();
  } else throw new Error(`usage: server.js edge|bare (got ${mode})`);

  process.on('message', (message: Message) => {
    if (message.type === 'rss') {
      const { rss, heapUsed } = process.memoryUsage();
      process.send!({ type: 'rss', rss, heapUsed });
    }
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send!({ type: 'cpu', micros: user + system });
    }
    if (message.type === 'stop') void close().then(() => process.exit(0));
  });
  process.send!({ type: 'ready', port });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
