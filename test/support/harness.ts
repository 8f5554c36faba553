import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { AdloomConfig, loadConfig } from '@adloom/config';
import { ApiKeysService, Role } from '@adloom/auth';
import { DeliveryCache } from '@adloom/delivery';
import { createApi } from '../../apps/api/src/app';
import { createEdge, Edge } from '../../apps/edge/src/server';

const suffix = () => randomBytes(5).toString('hex');

/** A database cloned from the migrated template, for one test file. */
export async function createTestDatabase(): Promise<string> {
  const template = process.env.ADLOOM_TEST_DATABASE_URL;
  if (!template)
    throw new Error('ADLOOM_TEST_DATABASE_URL is not set: run tests through jest (global setup).');
  const name = `t_${suffix()}`;
  const admin = new Client({ connectionString: template.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE adloom_template`);
        break;
      } catch (error) {
        // Two files cloning the template at once: one waits for the other.
        if (attempt > 50 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  return template.replace(/\/[^/]+$/, `/${name}`);
}

/** Settings for one test file: its own database, bucket and queue prefix on the shared services. */
export async function testConfig(overrides: Record<string, string> = {}): Promise<AdloomConfig> {
  const id = suffix();
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    ADLOOM_SERVICES: 'external',
    DATABASE_URL: await createTestDatabase(),
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: process.env.ADLOOM_TEST_REDIS_URL,
    QUEUE_PREFIX: `t${id}`,
    S3_ENDPOINT: process.env.ADLOOM_TEST_S3_ENDPOINT,
    S3_ACCESS_KEY_ID: process.env.ADLOOM_TEST_S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: process.env.ADLOOM_TEST_S3_SECRET_ACCESS_KEY,
    S3_FORCE_PATH_STYLE: 'true',
    S3_BUCKET: `t-${id}`,
    TRACKING_SECRET: randomBytes(24).toString('base64url'),
    ADLOOM_HOME: process.env.ADLOOM_TEST_HOME,
    ...overrides,
  });
}

export interface TestResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export interface RequestOptions {
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
  payload?: Buffer | string;
}

/** The edge's paths: what `TestApi.request` sends to the edge rather than the API. */
const EDGE_PATH = /^\/(t\/|v1\/tags\/|v1\/delivery\/[^/?]+\/(ad|vast)(\?|\/?$))/;

/** The API and, beside it, the edge (as `adloom dev` runs them), in this process. */
export class TestApi {
  constructor(
    readonly app: NestFastifyApplication,
    readonly config: AdloomConfig,
    readonly edge: Edge,
  ) {}

  static async start(overrides: Record<string, string> = {}): Promise<TestApi> {
    const config = await testConfig(overrides);
    const app = await createApi(config, { logs: false });
    return new TestApi(app, config, await createEdge(config, { logs: false }));
  }

  /** Reloads the campaign in the edge's snapshot (and the API's catalog) now, as `campaign.changed` does. */
  async changed(campaignId: string): Promise<void> {
    await Promise.all([
      this.edge.context.get(DeliveryCache).changed(campaignId),
      this.app.get(DeliveryCache).changed(campaignId),
    ]);
  }

  async key(role: Role, workspace = 'default'): Promise<string> {
    const { key } = await this.app.get(ApiKeysService).createForWorkspaceName(workspace, role);
    return key;
  }

  async request<T = any>(
    method: string,
    url: string,
    options: RequestOptions = {},
  ): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    let payload: string | Buffer | undefined = options.payload;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const target = EDGE_PATH.test(url) ? this.edge.app : this.app;
    const res = await target.inject({ method: method as 'GET', url, headers, payload });
    // A change made through the API reaches the edge by campaign.changed, a moment later; tests that
    // ask the edge next see it at once, as after the event.
    if (target === this.app && method !== 'GET') await this.edge.context.get(DeliveryCache).refresh();
    let body: unknown = res.body;
    if (/json/.test(String(res.headers['content-type'] ?? '')) && res.body) body = JSON.parse(res.body);
    return {
      status: res.statusCode,
      headers: res.headers as TestResponse['headers'],
      body: body as T,
      text: res.body,
    };
  }

  async close(): Promise<void> {
    await this.edge.close();
    await this.app.close();
  }
}
