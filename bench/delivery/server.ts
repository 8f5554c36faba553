/**
 * One HTTP server for the delivery benchmark, in its own process: `api` is the real Adloom API
 * (createApi, settings from the environment), `bare` a plain Fastify route answering a constant JSON
 * body. Tells its parent the port over IPC, and its RSS and CPU time when asked.
 */
import fastify from 'fastify';
import { AddressInfo } from 'node:net';
import { loadConfig } from '@adloom/config';
import { createApi } from '../../apps/api/src/app';

type Message = { type: 'rss' } | { type: 'cpu' } | { type: 'stop' };

async function main() {
  const mode = process.argv[2];
  let close: () => Promise<unknown>;
  let port: number;
  if (mode === 'api') {
    const app = await createApi(loadConfig(process.env));
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.getHttpServer().address() as AddressInfo).port;
    close = () => app.close();
  } else if (mode === 'bare') {
    const body = process.env.BARE_BODY ?? '{}';
    const server = fastify();
    server.get('/v1/delivery/:campaignId/ad', (_request, reply) => {
      void reply.header('content-type', 'application/json; charset=utf-8').send(body);
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
    port = (server.server.address() as AddressInfo).port;
    close = () => server.close();
  } else throw new Error(`usage: server.js api|bare (got ${mode})`);

  process.on('message', (message: Message) => {
    if (message.type === 'rss') process.send!({ type: 'rss', rss: process.memoryUsage().rss });
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
