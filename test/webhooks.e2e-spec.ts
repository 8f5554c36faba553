import { INestApplicationContext } from '@nestjs/common';
import { Job, Queue, QueueEvents } from 'bullmq';
import { once } from 'node:events';
import http, { IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { ApiKeysService } from '@adloom/auth';
import { Queues, redisConnection } from '@adloom/queue';
import { verifyWebhook, WebhookDeliveryHandler, Webhooks } from '@adloom/webhooks';
import { createWorker } from '../apps/worker/src/worker';
import { TestApi } from './support/harness';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that answers each path with the statuses it is given, in turn. */
class Receiver {
  readonly received: Received[] = [];
  private readonly answers = new Map<string, number[]>();
  private readonly waiters: { path: string; count: number; done: () => void }[] = [];
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const queue = this.answers.get(path) ?? [];
      const status = queue.length > 1 ? queue.shift()! : (queue[0] ?? 200);
      res.writeHead(status).end();
      this.received.push({ path, headers: req.headers, body });
      for (const waiter of [...this.waiters]) if (this.at(waiter.path).length >= waiter.count) waiter.done();
    });
  });
  base = '';

  async start() {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers `path` with these statuses in order, repeating the last one. */
  answer(path: string, statuses: number[]) {
    this.answers.set(path, statuses);
    return `${this.base}${path}`;
  }

  at(path: string) {
    return this.received.filter((r) => r.path === path);
  }

  /** Resolves once `path` has received `count` requests; fails after the deadline. */
  requests(path: string, count: number, timeoutMs = 10_000): Promise<Received[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${path} received ${this.at(path).length} of ${count} requests`)),
        timeoutMs,
      );
      const waiter = {
        path,
        count,
        done: () => {
          clearTimeout(timer);
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          resolve(this.at(path));
        },
      };
      this.waiters.push(waiter);
      if (this.at(path).length >= count) waiter.done();
    });
  }

  close() {
    this.server.closeAllConnections();
    this.server.close();
  }
}

describe('webhooks', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let queue: Queue;
  let queueEvents: QueueEvents;
  let marketer: string;
  const receiver = new Receiver();

  /** Waits for the job of one delivery attempt to finish (its id: the delivery id, then `<id>-<n>`). */
  async function attemptFinished(jobId: string) {
    const job = await Job.fromId(queue, jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    await job.waitUntilFinished(queueEvents, 10_000);
  }

  async function register(url: string, events: string[] = ['variant.ready'], key = marketer) {
    const res = await api.request('POST', '/v1/webhooks', { key, body: { url, events } });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string; url: string; events: string[]; enabled: boolean };
  }

  async function deliveries(endpointId: string, key = marketer) {
    const res = await api.request('GET', `/v1/webhooks/${endpointId}/deliveries`, { key });
    expect(res.status).toBe(200);
    return res.body.items as {
      id: string;
      status: string;
      eventType: string;
      attempts: {
        statusCode: number | null;
        error: string | null;
        durationMs: number;
        nextAttemptAt: string | null;
      }[];
    }[];
  }

  beforeAll(async () => {
    await receiver.start();
    api = await TestApi.start({ WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_DELAYS: '100ms,100ms' });
    worker = await createWorker(api.config, ['webhooks'], { logs: false });
    queue = api.app.get(Queues).queue('webhooks');
    queueEvents = new QueueEvents('webhooks', {
      connection: redisConnection(api.config.REDIS_URL!),
      prefix: api.config.QUEUE_PREFIX,
    });
    await queueEvents.waitUntilReady();
    marketer = await api.key('marketer', 'acme');
  });

  afterAll(async () => {
    await queueEvents?.close();
    await worker?.close();
    await api?.close();
    receiver.close();
  });

  it('refuses loopback, private and plain-http endpoints unless configured to allow them', async () => {
    const strict = await TestApi.start();
    try {
      const key = await strict.key('marketer');
      for (const url of [
        'http://127.0.0.1:8080/hook',
        'https://127.0.0.1/hook',
        'https://10.0.0.1/x',
        'https://localhost/x',
        'https://[::1]/x',
        'https://169.254.169.254/latest',
      ]) {
        const res = await strict.request('POST', '/v1/webhooks', {
          key,
          body: { url, events: ['variant.ready'] },
        });
        expect({ url, status: res.status, field: res.body.field }).toEqual({
          url,
          status: 422,
          field: 'url',
        });
        expect(res.body.code).toBe('url_refused');
      }
      const refused = await strict.request('POST', '/v1/webhooks', {
        key,
        body: { url: 'https://10.0.0.1/x', events: ['variant.ready'] },
      });
      expect(refused.body.detail).toBe('url host 10.0.0.1 is a private address.');
      expect((await strict.request('GET', '/v1/webhooks', { key })).body.items).toEqual([]);

      // A public address is accepted; moving it onto a private one later is refused the same way.
      const created = await strict.request('POST', '/v1/webhooks', {
        key,
        body: { url: 'https://93.184.215.14/hook', events: ['variant.ready'] },
      });
      expect(created.status).toBe(201);
      const moved = await strict.request('PATCH', `/v1/webhooks/${created.body.id}`, {
        key,
        body: { url: 'https://192.168.1.10/hook' },
      });
      expect(moved.status).toBe(422);
      expect(moved.body.field).toBe('url');
      expect((await strict.request('GET', `/v1/webhooks/${created.body.id}`, { key })).body.url).toBe(
        'https://93.184.215.14/hook',
      );

      // The address is checked again at delivery: a host that now points at loopback (here, the
      // row is changed the way a DNS change would) gets nothing, and the attempt says why.
      const port = new URL(receiver.base).port;
      const db = new Client({ connectionString: strict.config.DATABASE_URL });
      await db.connect();
      await db.query('UPDATE webhook_endpoint SET url = $1 WHERE id = $2', [
        `https://127.0.0.1:${port}/rebound`,
        created.body.id,
      ]);
      await db.end();
      const sent = await strict.request('POST', `/v1/webhooks/${created.body.id}/test`, { key });
      await strict.app.get(WebhookDeliveryHandler).deliver({ deliveryId: sent.body.id });
      const [delivery] = (await strict.request('GET', `/v1/webhooks/${created.body.id}/deliveries`, { key }))
        .body.items;
      expect(delivery.status).toBe('pending');
      expect(delivery.attempts).toEqual([
        expect.objectContaining({ statusCode: null, error: 'url host 127.0.0.1 is a loopback address' }),
      ]);
      const retryIn = Date.parse(delivery.attempts[0].nextAttemptAt) - Date.parse(delivery.attempts[0].at);
      expect(retryIn).toBeGreaterThanOrEqual(30_000);
      expect(retryIn).toBeLessThan(32_000);
      expect(receiver.at('/rebound')).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it('shows the signing secret once and validates the request', async () => {
    const endpoint = await register(receiver.answer('/secret', [200]), ['variant.ready', 'wave.completed']);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(endpoint.secret.slice(6), 'base64')).toHaveLength(24);
    expect(endpoint).toMatchObject({ enabled: true, events: ['variant.ready', 'wave.completed'] });

    const read = await api.request('GET', `/v1/webhooks/${endpoint.id}`, { key: marketer });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: endpoint.id, url: endpoint.url });
    const list = await api.request('GET', '/v1/webhooks?limit=500', { key: marketer });
    expect(list.body.items.map((e: { id: string }) => e.id)).toContain(endpoint.id);
    expect(JSON.stringify([read.body, list.body])).not.toContain(endpoint.secret);

    const badEvent = await api.request('POST', '/v1/webhooks', {
      key: marketer,
      body: { url: receiver.base, events: ['variant.exploded'] },
    });
    expect(badEvent.status).toBe(400);
    expect(badEvent.body.field).toBe('events[0]');
    const badScheme = await api.request('POST', '/v1/webhooks', {
      key: marketer,
      body: { url: 'ftp://example.com/x', events: ['variant.ready'] },
    });
    expect(badScheme.status).toBe(400);
    expect(badScheme.body.field).toBe('url');

    const analyst = await api.key('analyst', 'acme');
    expect((await api.request('GET', '/v1/webhooks', { key: analyst })).status).toBe(403);
  });

  it('delivers a webhook.test event signed with the Standard Webhooks headers', async () => {
    const endpoint = await register(receiver.answer('/test', [200]));
    const sent = await api.request('POST', `/v1/webhooks/${endpoint.id}/test`, { key: marketer });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({
      endpointId: endpoint.id,
      eventType: 'webhook.test',
      status: 'pending',
    });

    const [request] = await receiver.requests('/test', 1);
    await attemptFinished(sent.body.id);
    expect(request.headers['webhook-id']).toBe(sent.body.id);
    expect(request.headers['user-agent']).toBe('Adloom-Webhooks/1');
    expect(request.headers['content-type']).toBe('application/json');
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    expect(verifyWebhook(endpoint.secret, request.body, request.headers)).toBe(true);
    expect(verifyWebhook(endpoint.secret, request.body + ' ', request.headers)).toBe(false);
    const event = JSON.parse(request.body);
    expect(event).toMatchObject({ type: 'webhook.test', data: { endpointId: endpoint.id } });
    expect(Date.parse(event.timestamp)).not.toBeNaN();

    const [delivery] = await deliveries(endpoint.id);
    expect(delivery).toMatchObject({ id: sent.body.id, status: 'delivered', eventType: 'webhook.test' });
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]).toMatchObject({ statusCode: 200, error: null, nextAttemptAt: null });
    expect(delivery.attempts[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  it('retries a failing receiver with the same id and records every attempt', async () => {
    const endpoint = await register(receiver.answer('/flaky', [500, 500, 200]));
    const sent = await api.request('POST', `/v1/webhooks/${endpoint.id}/test`, { key: marketer });

    const requests = await receiver.requests('/flaky', 3);
    await attemptFinished(`${sent.body.id}-3`);
    expect(requests.map((r) => r.headers['webhook-id'])).toEqual([sent.body.id, sent.body.id, sent.body.id]);
    for (const request of requests)
      expect(verifyWebhook(endpoint.secret, request.body, request.headers)).toBe(true);

    const [delivery] = await deliveries(endpoint.id);
    expect(delivery.status).toBe('delivered');
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(delivery.attempts.map((a) => a.nextAttemptAt === null)).toEqual([false, false, true]);
  });

  it('fails a delivery once the retries are used up', async () => {
    const endpoint = await register(receiver.answer('/down', [503]));
    const sent = await api.request('POST', `/v1/webhooks/${endpoint.id}/test`, { key: marketer });
    await receiver.requests('/down', 3);
    await attemptFinished(`${sent.body.id}-3`);
    expect(await queue.getJob(`${sent.body.id}-4`)).toBeUndefined();

    const [delivery] = await deliveries(endpoint.id);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([503, 503, 503]);
    const failed = await api.request('GET', `/v1/webhooks/${endpoint.id}/deliveries?status=failed`, {
      key: marketer,
    });
    expect(failed.body.items.map((d: { id: string }) => d.id)).toEqual([sent.body.id]);
    expect(
      (await api.request('GET', `/v1/webhooks/${endpoint.id}/deliveries?status=delivered`, { key: marketer }))
        .body.items,
    ).toEqual([]);
  });

  it('records an unreachable receiver as an attempt with the error', async () => {
    const endpoint = await register(receiver.answer('/unused', [200]));
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/hook`;
    closed.close();
    await api.request('PATCH', `/v1/webhooks/${endpoint.id}`, { key: marketer, body: { url: deadUrl } });

    const sent = await api.request('POST', `/v1/webhooks/${endpoint.id}/test`, { key: marketer });
    await attemptFinished(sent.body.id);
    const [delivery] = await deliveries(endpoint.id);
    expect(delivery.attempts[0]).toMatchObject({ statusCode: null });
    expect(delivery.attempts[0].error).toMatch(/ECONNREFUSED/);
  });

  it('emits an event to each enabled endpoint subscribed to it, and to no other', async () => {
    const keys = api.app.get(ApiKeysService);
    const emitter = await keys.createForWorkspaceName('emitter', 'marketer');
    const ready = await register(receiver.answer('/ready', [200]), ['variant.ready'], emitter.key);
    const failedOnly = await register(
      receiver.answer('/failed-only', [200]),
      ['variant.failed'],
      emitter.key,
    );
    const disabled = await register(receiver.answer('/disabled', [200]), ['variant.ready'], emitter.key);
    const off = await api.request('PATCH', `/v1/webhooks/${disabled.id}`, {
      key: emitter.key,
      body: { enabled: false },
    });
    expect(off.body.enabled).toBe(false);
    const elsewhere = await keys.createForWorkspaceName('elsewhere', 'marketer');
    await register(receiver.answer('/elsewhere', [200]), ['variant.ready'], elsewhere.key);

    const webhooks = api.app.get(Webhooks);
    const ids = await webhooks.emit(emitter.workspaceId, 'variant.ready', { variantId: 'v-1' });
    expect(ids).toHaveLength(1);
    const [request] = await receiver.requests('/ready', 1);
    await attemptFinished(ids[0]);
    expect(request.headers['webhook-id']).toBe(ids[0]);
    expect(JSON.parse(request.body)).toMatchObject({ type: 'variant.ready', data: { variantId: 'v-1' } });
    expect(verifyWebhook(ready.secret, request.body, request.headers)).toBe(true);
    expect(receiver.at('/failed-only')).toHaveLength(0);
    expect(receiver.at('/disabled')).toHaveLength(0);
    expect(receiver.at('/elsewhere')).toHaveLength(0);
    expect(await deliveries(failedOnly.id, emitter.key)).toEqual([]);
    expect(await deliveries(disabled.id, emitter.key)).toEqual([]);
    expect(await deliveries(ready.id, emitter.key)).toMatchObject([{ id: ids[0], status: 'delivered' }]);

    expect(await webhooks.emit(emitter.workspaceId, 'wave.completed', { waveId: 'w-1' })).toEqual([]);
  });

  it('disables an endpoint that answers 410 Gone', async () => {
    const endpoint = await register(receiver.answer('/gone', [410]));
    const sent = await api.request('POST', `/v1/webhooks/${endpoint.id}/test`, { key: marketer });
    await receiver.requests('/gone', 1);
    await attemptFinished(sent.body.id);
    expect(await queue.getJob(`${sent.body.id}-2`)).toBeUndefined();
    expect((await api.request('GET', `/v1/webhooks/${endpoint.id}`, { key: marketer })).body.enabled).toBe(
      false,
    );
    const [delivery] = await deliveries(endpoint.id);
    expect(delivery).toMatchObject({ status: 'failed', attempts: [{ statusCode: 410 }] });
  });

  it('shows another workspace nothing: 404 for every route of an endpoint it does not own', async () => {
    const endpoint = await register(receiver.answer('/private', [200]));
    const stranger = (await api.app.get(ApiKeysService).createForWorkspaceName('stranger', 'admin')).key;
    const path = `/v1/webhooks/${endpoint.id}`;
    for (const [method, url, body] of [
      ['GET', path],
      ['PATCH', path, { enabled: false }],
      ['DELETE', path],
      ['GET', `${path}/deliveries`],
      ['POST', `${path}/test`],
    ] as [string, string, unknown?][]) {
      const res = await api.request(method, url, { key: stranger, body });
      expect({ method, url, status: res.status }).toEqual({ method, url, status: 404 });
    }
    const theirs = await api.request('GET', '/v1/webhooks?limit=500', { key: stranger });
    expect(theirs.body.items.map((e: { id: string }) => e.id)).not.toContain(endpoint.id);
    expect(receiver.at('/private')).toHaveLength(0);
    expect((await api.request('GET', path, { key: marketer })).body.enabled).toBe(true);
  });

  it('updates and deletes an endpoint', async () => {
    const endpoint = await register(receiver.answer('/patch', [200]));
    const patched = await api.request('PATCH', `/v1/webhooks/${endpoint.id}`, {
      key: marketer,
      body: { events: ['wave.completed', 'wave.completed'], url: receiver.answer('/patched', [200]) },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      events: ['wave.completed'],
      url: `${receiver.base}/patched`,
      enabled: true,
    });
    const unknownField = await api.request('PATCH', `/v1/webhooks/${endpoint.id}`, {
      key: marketer,
      body: { secret: 'whsec_mine' },
    });
    expect(unknownField.status).toBe(400);

    expect((await api.request('DELETE', `/v1/webhooks/${endpoint.id}`, { key: marketer })).status).toBe(204);
    expect((await api.request('GET', `/v1/webhooks/${endpoint.id}`, { key: marketer })).status).toBe(404);
    expect((await api.request('DELETE', `/v1/webhooks/${endpoint.id}`, { key: marketer })).status).toBe(404);
  });

  it('pages through endpoints with a cursor', async () => {
    const { key } = await api.app.get(ApiKeysService).createForWorkspaceName('paging', 'marketer');
    const created: string[] = [];
    for (let i = 0; i < 3; i++)
      created.push((await register(receiver.answer(`/page${i}`, [200]), undefined, key)).id);
    const first = await api.request('GET', '/v1/webhooks?limit=2', { key });
    expect(first.body.items).toHaveLength(2);
    const second = await api.request('GET', `/v1/webhooks?limit=2&cursor=${first.body.nextCursor}`, { key });
    expect(second.body.nextCursor).toBeNull();
    expect([...first.body.items, ...second.body.items].map((e: { id: string }) => e.id)).toEqual(created);
  });
});
