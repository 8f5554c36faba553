import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ObjectStore } from '@adloom/storage';
import { migrate } from '@adloom/db';
import { freePort, redisAnswers, waitFor } from '@adloom/services';
import { createTestDatabase, TestApi } from './support/harness';

describe('foundation', () => {
  let api: TestApi;
  let admin: string;

  beforeAll(async () => {
    api = await TestApi.start();
    admin = await api.key('admin');
  });
  afterAll(() => api.close());

  it('is ready with postgres, redis and s3 up', async () => {
    const res = await api.request('GET', '/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual({
      postgres: { status: 'up' },
      redis: { status: 'up' },
      s3: { status: 'up' },
    });
    expect((await api.request('GET', '/health/live')).status).toBe(200);
  });

  it('refuses a request without a key with a 401 problem', async () => {
    const res = await api.request('GET', '/v1/api-keys');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 401, code: 'missing_key' });
    expect(res.body.type).toMatch(/^https:\/\//);
  });

  it('refuses a malformed or unknown key', async () => {
    expect((await api.request('GET', '/v1/api-keys', { key: 'nope' })).status).toBe(401);
    expect((await api.request('GET', '/v1/api-keys', { key: 'adl_' + 'x'.repeat(32) })).body.code).toBe(
      'invalid_key',
    );
  });

  it('keeps admin routes from a marketer key (403)', async () => {
    const marketer = await api.key('marketer');
    const res = await api.request('POST', '/v1/api-keys', { key: marketer, body: { role: 'analyst' } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('role_forbidden');
  });

  it('creates a key shown once, lists it by prefix, and revokes it', async () => {
    const created = await api.request('POST', '/v1/api-keys', {
      key: admin,
      body: { role: 'analyst', name: 'bi' },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^adl_[A-Za-z0-9]{32}$/);
    const id = created.body.apiKey.id;
    const list = await api.request('GET', '/v1/api-keys?limit=500', { key: admin });
    const listed = list.body.items.find((k: { id: string }) => k.id === id);
    expect(listed).toMatchObject({ prefix: created.body.key.slice(0, 12), role: 'analyst', name: 'bi' });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);

    expect((await api.request('GET', '/health/live', { key: created.body.key })).status).toBe(200);
    expect((await api.request('DELETE', `/v1/api-keys/${id}`, { key: admin })).status).toBe(200);
    const revoked = await api.request('GET', '/v1/api-keys', { key: created.body.key });
    expect(revoked.status).toBe(401);
  });

  it('stores only a hash of each key', async () => {
    const { body } = await api.request('POST', '/v1/api-keys', { key: admin, body: { role: 'platform' } });
    const db = new Client({ connectionString: api.config.DATABASE_URL });
    await db.connect();
    const rows = await db.query('SELECT * FROM api_key WHERE id = $1', [body.apiKey.id]);
    await db.end();
    expect(JSON.stringify(rows.rows)).not.toContain(body.key);
    expect(rows.rows[0].hash).toEqual(createHash('sha256').update(body.key).digest());
  });

  it('never shows one workspace the keys of another', async () => {
    const otherAdmin = await api.key('admin', 'other-co');
    const theirs = await api.request('POST', '/v1/api-keys', { key: otherAdmin, body: { role: 'marketer' } });
    const mine = await api.request('GET', '/v1/api-keys?limit=500', { key: admin });
    expect(mine.body.items.map((k: { id: string }) => k.id)).not.toContain(theirs.body.apiKey.id);
    const steal = await api.request('DELETE', `/v1/api-keys/${theirs.body.apiKey.id}`, { key: admin });
    expect(steal.status).toBe(404);
    expect((await api.request('GET', '/health/live', { key: theirs.body.key })).status).toBe(200);
  });

  it('names the bad field in a validation problem and changes nothing', async () => {
    const before = await api.request('GET', '/v1/api-keys?limit=500', { key: admin });
    const res = await api.request('POST', '/v1/api-keys', { key: admin, body: { role: 'boss' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', field: 'role' });
    const bad = await api.request('DELETE', '/v1/api-keys/not-a-uuid', { key: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('path.id');
    const after = await api.request('GET', '/v1/api-keys?limit=500', { key: admin });
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it('pages through lists with a cursor', async () => {
    const ws = await api.key('admin', 'paging');
    for (let i = 0; i < 4; i++)
      await api.request('POST', '/v1/api-keys', { key: ws, body: { role: 'analyst' } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await api.request(
        'GET',
        `/v1/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { key: ws },
      );
      seen.push(...res.body.items.map((k) => k.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('replays the first response for a repeated Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'create-analyst-1' };
    const first = await api.request('POST', '/v1/api-keys', {
      key: admin,
      body: { role: 'analyst' },
      headers,
    });
    const second = await api.request('POST', '/v1/api-keys', {
      key: admin,
      body: { role: 'analyst' },
      headers,
    });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const other = await api.request('POST', '/v1/api-keys', {
      key: admin,
      body: { role: 'platform' },
      headers,
    });
    expect(other.status).toBe(422);
    expect(other.body.field).toBe('Idempotency-Key');
  });

  it('serves Prometheus metrics and the OpenAPI document', async () => {
    const metrics = await api.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('adloom_http_request_duration_seconds');
    const docs = await api.request('GET', '/docs-json');
    expect(docs.status).toBe(200);
    expect(docs.body.paths['/v1/api-keys']).toBeDefined();
  });

  it('streams a 50 MB object through S3 byte for byte without holding it in memory', async () => {
    const store = api.app.get(ObjectStore);
    const size = 50 * 1024 * 1024;
    const chunk = 256 * 1024;
    const sent = createHash('sha256');
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= size) return this.push(null);
        const bytes = randomBytes(chunk);
        produced += bytes.length;
        sent.update(bytes);
        this.push(bytes);
      },
    });
    // Live memory only: collect garbage before each sample.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      gc();
      const m = process.memoryUsage();
      peak = Math.max(peak, m.arrayBuffers + m.heapUsed - before.arrayBuffers - before.heapUsed);
    }, 50);
    await store.put('big/object.bin', source, { contentType: 'application/octet-stream' });
    const received = createHash('sha256');
    let bytes = 0;
    for await (const part of await store.get('big/object.bin')) {
      bytes += (part as Buffer).length;
      received.update(part as Buffer);
    }
    clearInterval(sampler);
    expect(bytes).toBe(size);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    expect((await store.head('big/object.bin'))?.bytes).toBe(size);
    // A few 5 MB parts are alive at once (two uploading, one filling and its copy), whatever the file size.
    expect(peak).toBeLessThan(40 * 1024 * 1024);
    const url = await store.presign('big/object.bin', 60_000);
    const head = await fetch(url, { headers: { range: 'bytes=0-9' } });
    expect(head.status).toBe(206);
  }, 120_000);
});

describe('readiness when a part is down', () => {
  let redis: ChildProcess;
  let api: TestApi;
  let s3: { close(): Promise<void> };

  beforeAll(async () => {
    const redisPort = await freePort();
    redis = spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(() => redisAnswers('127.0.0.1', redisPort), 10_000, 'redis');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3rver = require('s3rver');
    const s3Port = await freePort();
    s3 = new S3rver({
      port: s3Port,
      address: '127.0.0.1',
      directory: `${process.env.ADLOOM_TEST_HOME}/s3-${s3Port}`,
      silent: true,
    });
    await (s3 as unknown as { run(): Promise<void> }).run();
    api = await TestApi.start({
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
  });
  afterAll(async () => {
    await api.close().catch(() => undefined);
    redis.kill('SIGKILL');
  });

  it('answers 503 naming each part that is down', async () => {
    expect((await api.request('GET', '/health/ready')).status).toBe(200);
    await s3.close();
    const noS3 = await api.request('GET', '/health/ready');
    expect(noS3.status).toBe(503);
    expect(noS3.body.down).toEqual(['s3']);
    redis.kill('SIGKILL');
    await new Promise((r) => redis.once('exit', r));
    const noRedis = await api.request('GET', '/health/ready');
    expect(noRedis.status).toBe(503);
    expect(noRedis.body.down).toEqual(['redis', 's3']);
    expect(noRedis.body.checks.postgres).toEqual({ status: 'up' });
  }, 30_000);
});

describe('adloom migrate', () => {
  it('succeeds twice and changes nothing the second time', async () => {
    const url = (await createTestDatabase()).replace(/\/[^/]+$/, `/m_${randomBytes(4).toString('hex')}`);
    const admin = new Client({ connectionString: url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${url.split('/').pop()}`);
    await admin.end();
    const schema = async () => {
      const c = new Client({ connectionString: url });
      await c.connect();
      const r = await c.query(
        `SELECT table_name, column_name, data_type FROM information_schema.columns
         WHERE table_schema = 'public' ORDER BY 1, 2`,
      );
      await c.end();
      return r.rows;
    };
    const first = await migrate(url);
    expect(first.length).toBeGreaterThan(0);
    const after = await schema();
    expect(await migrate(url)).toEqual([]);
    expect(await schema()).toEqual(after);
  });
});
