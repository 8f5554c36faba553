import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { CommonError } from '@adloom/common';
import { HotRoutes } from './hot-routes';

describe('HotRoutes', () => {
  let server: Server;
  let base: string;
  const observed: string[] = [];

  beforeAll(async () => {
    const routes = new HotRoutes();
    routes.observe((method, route, status) => observed.push(`${method} ${route} ${status}`));
    routes.add('/v1/things/', {
      name: '/v1/things/:id',
      methods: ['GET'],
      pattern: /^\/v1\/things\/(?<id>[^/]+)$/,
      handler: (request, reply) => {
        if (request.params.id === 'broken') throw new CommonError('validation_failed', 'No such thing.');
        reply.send(
          200,
          { 'content-type': 'application/json' },
          JSON.stringify({ id: request.params.id, ...request.query }),
        );
      },
    });
    routes.add('/v1/slow/', {
      name: '/v1/slow/:id',
      methods: ['GET'],
      pattern: /^\/v1\/slow\/(?<id>[^/]+)$/,
      handler: async (request, reply) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (request.params.id === 'broken') throw new Error('database gone');
        reply.send(204, {});
      },
    });
    // What stands for Fastify: answers everything the hot routes do not take.
    server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`downstream ${request.method} ${request.url}`);
    });
    routes.install(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers a matching route with its parameters and query, and observes it', async () => {
    const res = await fetch(`${base}/v1/things/42?colour=red`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: '42', colour: 'red' });
    expect(observed).toContain('GET /v1/things/:id 200');
  });

  it('leaves every other request to the server’s own listener: other paths, methods and shapes', async () => {
    for (const [method, path] of [
      ['GET', '/v1/other'],
      ['POST', '/v1/things/42'],
      ['GET', '/v1/things/42/more'],
      ['HEAD', '/v1/things/42'],
    ]) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status).toBe(200);
      if (method !== 'HEAD') expect(await res.text()).toBe(`downstream ${method} ${path}`);
    }
  });

  it('answers a thrown error as problem+json with the request id, sync or async', async () => {
    const bad = await fetch(`${base}/v1/things/broken`, { headers: { 'x-request-id': 'r-1' } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(await bad.json()).toMatchObject({
      code: 'validation_failed',
      detail: 'No such thing.',
      instance: '/v1/things/broken',
      requestId: 'r-1',
    });

    const failed = await fetch(`${base}/v1/slow/broken`);
    expect(failed.status).toBe(500);
    const problem = (await failed.json()) as { requestId: string };
    expect(problem).toMatchObject({ code: 'internal', instance: '/v1/slow/broken' });
    expect(problem.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(problem)).not.toContain('database gone');
    expect(observed).toContain('GET /v1/slow/:id 500');
  });

  it('writes many concurrent answers, each to its own request', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        fetch(`${base}/v1/things/${n}`).then((res) => res.json() as Promise<{ id: string }>),
      ),
    );
    expect(answers.map((answer) => answer.id)).toEqual(Array.from({ length: 50 }, (_, n) => String(n)));
    const empty = await fetch(`${base}/v1/slow/ok`);
    expect(empty.status).toBe(204);
  });
});
