import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Db } from '@adloom/db';
import { signTag, withMacrosEscaped } from '@adloom/delivery';
import { createEdge, Edge } from '../apps/edge/src/server';
import { seedCampaign, SeededCampaign, workspaceIdOf } from '../bench/delivery/seed';
import { TestApi } from './support/harness';

const SCHEMA = path.resolve(__dirname, '../libs/delivery/vast/vast_4.2.xsd');
const el = (name: string) => `*[local-name()='${name}']`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'adloom-edge-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function xmlFile(xml: string): string {
  const file = path.join(workDir, `${randomBytes(4).toString('hex')}.xml`);
  writeFileSync(file, xml);
  return file;
}
function validVast(xml: string): boolean {
  return spawnSync('xmllint', ['--noout', '--schema', SCHEMA, xmlFile(withMacrosEscaped(xml))]).status === 0;
}
function xpath(xml: string, expression: string): string {
  const result = spawnSync('xmllint', ['--xpath', `string(${expression})`, xmlFile(xml)], {
    encoding: 'utf8',
  });
  return result.stdout.replace(/\n$/, '');
}
/** An edge URL as a path for `inject`, with the player macros filled in as a player would. */
function asPlayer(url: string): string {
  const filled = url
    .replace('[CACHEBUSTING]', '12345678')
    .replace('[TIMESTAMP]', encodeURIComponent(new Date().toISOString()));
  const parsed = new URL(filled);
  return parsed.pathname + parsed.search;
}

describe('edge: VAST tags', () => {
  let api: TestApi;
  let db: Db;
  let marketer: string;
  let campaign: SeededCampaign;

  beforeAll(async () => {
    api = await TestApi.start({ DELIVERY_CACHE_REFRESH: '500ms' });
    db = api.app.get(Db);
    marketer = await api.key('marketer', 'brand-a');
    campaign = await seedCampaign(db, {
      workspaceId: await workspaceIdOf(db, 'brand-a'),
      segments: ['young-urban', 'retirees'],
      variantsPerSegment: 2,
      formats: ['9x16', '16x9'],
    });
  });
  afterAll(() => api.close());

  const tags = () => `/v1/campaigns/${campaign.campaignId}/tags`;

  it('makes a tag whose VAST URL a player calls cross-origin with no header', async () => {
    const made = await api.request('POST', tags(), {
      key: marketer,
      body: { segment: 'retirees', name: 'site A' },
    });
    expect(made.status).toBe(201);
    const { vastUrl, adUrl } = made.body;
    expect(vastUrl).toMatch(
      /^http:\/\/localhost:\d+\/v1\/tags\/[A-Za-z0-9_-]{43}\/vast\?cb=\[CACHEBUSTING\]&ts=\[TIMESTAMP\]$/,
    );

    const origin = 'http://player.example:8080';
    const vast = await api.request('GET', asPlayer(vastUrl), { headers: { origin, cookie: 'uid=1' } });
    expect(vast.status).toBe(200);
    expect(vast.headers['content-type']).toMatch(/^application\/xml/);
    expect(vast.headers['access-control-allow-origin']).toBe(origin);
    expect(vast.headers['access-control-allow-credentials']).toBe('true');
    expect(vast.headers['cache-control']).toBe('no-store');
    expect(validVast(vast.text)).toBe(true);
    const variantId = xpath(vast.text, `/${el('VAST')}/${el('Ad')}/@id`);
    expect(campaign.variants.filter((v) => v.segmentKey === 'retirees').map((v) => v.id)).toContain(
      variantId,
    );
    // Every ready format of the chosen variant, the campaign's first format first.
    const media = `//${el('MediaFiles')}/${el('MediaFile')}`;
    expect(xpath(vast.text, `count(${media})`)).toBe('2');
    expect([1, 2].map((i) => xpath(vast.text, `${media}[${i}]/@width`))).toEqual(['1080', '1920']);
    for (const attribute of ['type', 'height', 'bitrate', 'delivery'])
      expect(xpath(vast.text, `${media}[2]/@${attribute}`)).not.toBe('');
    expect(xpath(vast.text, `//${el('InLine')}/${el('Error')}`)).toMatch(
      /\/t\/[A-Za-z0-9_-]+\?error=\[ERRORCODE\]$/,
    );

    const preflight = await api.request('OPTIONS', new URL(vastUrl).pathname, {
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-player',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-allow-headers']).toBe('x-player');

    const ad = await api.request('GET', asPlayer(adUrl), { headers: { origin } });
    expect(ad.status).toBe(200);
    expect(ad.body).toMatchObject({ campaignId: campaign.campaignId, segment: 'retirees', format: '9x16' });
  });

  it('keeps the tag’s format, and refuses a made-up, forged or malformed token', async () => {
    const made = await api.request('POST', tags(), {
      key: marketer,
      body: { segment: 'young-urban', format: '16x9' },
    });
    const ad = await api.request('GET', asPlayer(made.body.adUrl));
    expect(ad.body).toMatchObject({ segment: 'young-urban', format: '16x9', width: 1920 });

    const unknown = signTag('00000000-0000-4000-8000-000000000000', api.config.TRACKING_SECRET!.split(','));
    const notFound = await api.request('GET', `/v1/tags/${unknown}/vast`);
    expect(notFound.status).toBe(404);
    expect(notFound.body).toMatchObject({ code: 'tag_not_found', field: 'path.tag' });
    const forged = signTag(made.body.id, ['a-different-secret-of-at-least-32-bytes']);
    expect((await api.request('GET', `/v1/tags/${forged}/vast`)).body.code).toBe('tag_not_found');
    const malformed = await api.request('GET', '/v1/tags/short/vast');
    expect(malformed.status).toBe(404);
    expect(malformed.body).toMatchObject({ code: 'tag_not_found', field: 'path.tag' });
    const query = await api.request('GET', `${new URL(made.body.adUrl).pathname}?viewer=${'x'.repeat(300)}`);
    expect(query.status).toBe(400);
    expect(query.body).toMatchObject({ code: 'validation_failed', field: 'query.viewer' });
  });

  it('answers 404 for a revoked tag within one refresh, even when the event is not heard', async () => {
    const made = await api.request('POST', tags(), { key: marketer, body: { segment: 'retirees' } });
    const url = asPlayer(made.body.vastUrl);
    expect((await api.request('GET', url)).status).toBe(200);

    // Revoked in the table only (no campaign.changed): the edge's refresh (500 ms) must notice.
    await db.query(`UPDATE tag SET revoked_at = now() WHERE id = $1`, [made.body.id]);
    const revokedAt = Date.now();
    let res = await api.request('GET', url);
    while (res.status === 200 && Date.now() - revokedAt < 3_000) {
      await sleep(25);
      res = await api.request('GET', url);
    }
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'tag_revoked' });
    expect(Date.now() - revokedAt).toBeLessThan(1_500);
  });

  it('revokes through the API, and lists the campaign’s tags with their state', async () => {
    const made = await api.request('POST', tags(), { key: marketer, body: { segment: 'retirees' } });
    const url = asPlayer(made.body.vastUrl);
    expect((await api.request('GET', url)).status).toBe(200);
    const revoked = await api.request('DELETE', `${tags()}/${made.body.id}`, { key: marketer });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const at = Date.now();
    let res = await api.request('GET', url);
    while (res.status === 200 && Date.now() - at < 3_000) {
      await sleep(25);
      res = await api.request('GET', url);
    }
    expect(res.body.code).toBe('tag_revoked');

    const list = await api.request('GET', tags(), { key: marketer });
    expect(list.body.find((tag: { id: string }) => tag.id === made.body.id).revokedAt).toBe(
      revoked.body.revokedAt,
    );
    const platform = await api.key('platform', 'brand-a');
    expect((await api.request('POST', tags(), { key: platform, body: { segment: 'retirees' } })).status).toBe(
      403,
    );
    const bad = await api.request('POST', tags(), { key: marketer, body: { segment: 'no spaces' } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('segment');
    const other = await api.key('marketer', 'brand-b');
    expect((await api.request('POST', tags(), { key: other, body: { segment: 'retirees' } })).status).toBe(
      404,
    );
  });

  it('passes the campaign’s AdVerifications through, and counts [ERRORCODE] pings per variant', async () => {
    const id = campaign.campaignId;
    expect((await api.request('POST', `/v1/campaigns/${id}/pause`, { key: marketer })).status).toBe(200);
    const verifications = [
      {
        vendor: 'iabtechlab.com-omid',
        scriptUrl: 'https://omid.example/verify.js',
        parameters: '{"p":"<x>"}',
      },
    ];
    const patched = await api.request('PATCH', `/v1/campaigns/${id}`, {
      key: marketer,
      body: { adVerifications: verifications },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.adVerifications).toEqual(verifications);
    expect((await api.request('POST', `/v1/campaigns/${id}/launch`, { key: marketer })).status).toBe(200);

    const made = await api.request('POST', tags(), { key: marketer, body: { segment: 'young-urban' } });
    const started = Date.now();
    let vast = await api.request('GET', asPlayer(made.body.vastUrl));
    while (!vast.text.includes('AdVerifications') && Date.now() - started < 3_000) {
      await sleep(25);
      vast = await api.request('GET', asPlayer(made.body.vastUrl));
    }
    expect(validVast(vast.text)).toBe(true);
    const verification = `//${el('AdVerifications')}/${el('Verification')}`;
    expect(xpath(vast.text, `${verification}/@vendor`)).toBe('iabtechlab.com-omid');
    expect(xpath(vast.text, `${verification}/${el('JavaScriptResource')}`)).toBe(
      'https://omid.example/verify.js',
    );
    expect(xpath(vast.text, `${verification}/${el('JavaScriptResource')}/@apiFramework`)).toBe('omid');
    expect(xpath(vast.text, `${verification}/${el('VerificationParameters')}`)).toBe('{"p":"<x>"}');

    const variantId = xpath(vast.text, `/${el('VAST')}/${el('Ad')}/@id`);
    const errorUrl = xpath(vast.text, `//${el('InLine')}/${el('Error')}`);
    const counted = () =>
      metric(api.edge, 'adloom_vast_errors_total', { campaign: id, variant: variantId, code: '405' });
    const before = await counted();
    const ping = await api.request('GET', asPlayer(errorUrl.replace('[ERRORCODE]', '405')));
    expect(ping.status).toBe(200);
    expect(ping.headers['content-type']).toBe('image/gif');
    expect(await counted()).toBe(before + 1);
    // A forged token counts nothing.
    const forged = errorUrl.replace(/\/t\/[A-Za-z0-9_-]{5}/, '/t/AAAAA').replace('[ERRORCODE]', '405');
    await api.request('GET', asPlayer(forged));
    expect(await counted()).toBe(before + 1);
  });
});

describe('edge: every route passes the guard and the limiter', () => {
  let api: TestApi;
  let edge: Edge;
  const seen: string[] = [];
  const routes: { method: string; url: string }[] = [];

  beforeAll(async () => {
    api = await TestApi.start();
    const config = { ...api.config, EDGE_RATE_LIMIT: 2, EDGE_PIXEL_RATE_LIMIT: 2 };
    edge = await createEdge(config, {
      logs: false,
      extend: (app: FastifyInstance) => {
        app.addHook('onRoute', (route) => {
          for (const method of [route.method].flat()) routes.push({ method, url: route.url });
        });
        // A guard added later: it refuses requests marked for it.
        app.addHook('onRequest', (request, reply, done) => {
          seen.push(`${request.method} ${request.routeOptions.url}`);
          if (request.headers['x-deny'] === '1') {
            void reply.code(403).header('content-type', 'application/problem+json').send({ code: 'denied' });
            return;
          }
          done();
        });
      },
    });
  });
  afterAll(async () => {
    await edge?.close();
    await api?.close();
  });

  it('sees every edge route, and limits each past its rate', async () => {
    expect(routes.length).toBeGreaterThanOrEqual(8);
    const campaignId = '00000000-0000-4000-8000-000000000001';
    let client = 0;
    for (const { method, url } of routes) {
      const path = url
        .replace(':campaignId', campaignId)
        .replace(':tag', signTag(randomUUID(), api.config.TRACKING_SECRET!.split(',')))
        .replace(':token', 'not-a-token');
      const denied = await edge.app.inject({
        method: method as 'GET',
        url: path,
        headers: { 'x-deny': '1', 'x-forwarded-for': `10.1.0.${client}` },
      });
      expect([method, url, denied.statusCode]).toEqual([method, url, 403]);
      // Its own client address and key, so each route's limit is its own.
      const headers = { 'x-forwarded-for': `10.0.0.${++client}`, authorization: `Bearer adl_${client}` };
      const answers = [];
      for (let i = 0; i < 3; i++)
        answers.push(await edge.app.inject({ method: method as 'GET', url: path, headers }));
      expect([method, url, answers[2].statusCode]).toEqual([method, url, 429]);
      expect(answers[2].headers['content-type']).toMatch(/^application\/problem\+json/);
      if (method !== 'HEAD') expect(answers[2].json()).toMatchObject({ code: 'rate_limited', status: 429 });
    }
    for (const { method, url } of routes) expect(seen).toContain(`${method} ${url}`);
  });
});

async function metric(edge: Edge, name: string, labels: Record<string, string>): Promise<number> {
  const text = (await edge.app.inject({ method: 'GET', url: '/metrics' })).body;
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && wanted.every((label) => l.includes(label)));
  return line ? Number(line.split(' ').pop()) : 0;
}
