import { once } from 'node:events';
import http, { IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { loadConfig } from '@adloom/config';
import { USER_AGENT, WebhookSender } from './webhook-sender';

interface Received {
  method?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('WebhookSender', () => {
  let server: http.Server;
  let base: string;
  const received: Received[] = [];
  const allowed = new WebhookSender(loadConfig({ WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT: '300ms' }));
  const strict = new WebhookSender(loadConfig({}));

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ method: req.method, headers: req.headers, body });
        if (req.url === '/ok') res.writeHead(204).end();
        else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
        else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2000).unref();
        else res.writeHead(500).end('boom');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => (received.length = 0));

  it('POSTs the body as JSON with the given headers and reports the status', async () => {
    const outcome = await allowed.send(`${base}/ok`, { 'webhook-id': 'd1' }, '{"a":1}');
    expect(outcome).toMatchObject({ statusCode: 204, error: null });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', body: '{"a":1}' });
    expect(received[0].headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': 'd1',
    });
  });

  it('does not follow redirects', async () => {
    expect(await allowed.send(`${base}/moved`, {}, '{}')).toMatchObject({ statusCode: 302 });
    expect(received).toHaveLength(1);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const outcome = await allowed.send(`${base}/slow`, {}, '{}');
    expect(outcome).toMatchObject({ statusCode: null, error: 'no response within 300 ms' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(290);
    expect(outcome.durationMs).toBeLessThan(1500);
  });

  it('reports a refused connection as an error', async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const outcome = await allowed.send(`http://127.0.0.1:${port}/`, {}, '{}');
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });

  it('sends nothing to loopback or private hosts unless allowed, by address or by name', async () => {
    const port = (server.address() as AddressInfo).port;
    const outcome = await strict.send(`https://localhost:${port}/ok`, {}, '{}');
    expect(outcome).toMatchObject({ statusCode: null });
    expect(outcome.error).toMatch(/^url host localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
    expect(await strict.send(`${base}/ok`, {}, '{}')).toMatchObject({ error: 'url must use https' });
    expect(received).toHaveLength(0);

    expect(await strict.refusal('https://10.0.0.1/x')).toBe('host 10.0.0.1 is a private address');
    expect(await strict.refusal('https://[::1]/x')).toBe('host ::1 is a loopback address');
    expect(await strict.refusal('https://169.254.169.254/latest/meta-data')).toBe(
      'host 169.254.169.254 is a link-local address',
    );
    expect(await strict.refusal('https://0x7f.1/')).toBe('host 127.0.0.1 is a loopback address');
    expect(await allowed.refusal(`${base}/ok`)).toBeUndefined();
  });
});
