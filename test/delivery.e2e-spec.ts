import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Db } from '@adloom/db';
import { withMacrosEscaped } from '@adloom/delivery';
import { CampaignEvents } from '@adloom/queue';
import { verifyToken } from '@adloom/engagement';
import { ObjectStore } from '@adloom/storage';
import { createEdge, Edge } from '../apps/edge/src/server';
import { seedCampaign, SeededCampaign, workspaceIdOf } from '../bench/delivery/seed';
import { TestApi } from './support/harness';

const SCHEMA = path.resolve(__dirname, '../libs/delivery/vast/vast_4.2.xsd');

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'adloom-delivery-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Valid against the IAB schema, player macros escaped as XML Schema maps anyURI values (see `withMacrosEscaped`). */
function validateVast(xml: string): { valid: boolean; output: string } {
  const file = path.join(workDir, `${randomBytes(4).toString('hex')}.xml`);
  writeFileSync(file, withMacrosEscaped(xml));
  const result = spawnSync('xmllint', ['--noout', '--schema', SCHEMA, file], { encoding: 'utf8' });
  return { valid: result.status === 0, output: result.stderr };
}

function xpath(xml: string, expression: string): string {
  const file = path.join(workDir, `${randomBytes(4).toString('hex')}.xml`);
  writeFileSync(file, xml);
  const result = spawnSync('xmllint', ['--xpath', `string(${expression})`, file], { encoding: 'utf8' });
  return result.stdout.replace(/\n$/, '');
}

const el = (name: string) => `*[local-name()='${name}']`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('delivery', () => {
  let api: TestApi;
  let db: Db;
  let platform: string;
  let workspaceId: string;
  let campaign: SeededCampaign;

  beforeAll(async () => {
    api = await TestApi.start();
    db = api.app.get(Db);
    platform = await api.key('platform', 'brand-a');
    workspaceId = await workspaceIdOf(db, 'brand-a');
    campaign = await seedCampaign(db, {
      workspaceId,
      segments: ['young-urban', 'retirees'],
      variantsPerSegment: 3,
      formats: ['9x16', '16x9'],
    });
  });
  afterAll(() => api.close());

  const adUrl = (query: string, id = campaign.campaignId) => `/v1/delivery/${id}/ad?${query}`;
  const variantsOf = (segment: string) => campaign.variants.filter((v) => v.segmentKey === segment);

  it('answers the chosen render with its size, duration, captions and seven signed tracking URLs', async () => {
    const res = await api.request('GET', adUrl('segment=young-urban&format=16x9'), { key: platform });
    expect(res.status).toBe(200);
    const ad = res.body;
    const variant = variantsOf('young-urban').find((v) => v.id === ad.variantId);
    expect(variant).toBeDefined();
    const render = variant!.renders.find((r) => r.format === '16x9')!;
    expect(ad).toMatchObject({
      campaignId: campaign.campaignId,
      renderId: render.id,
      segment: 'young-urban',
      format: '16x9',
      width: 1920,
      height: 1080,
      durationMs: 6000,
      bytes: 1500000,
      mimeType: 'video/mp4',
      codecs: 'avc1.640028, mp4a.40.2',
      clickThrough: 'https://shop.example/spring?utm_source=adloom',
    });
    expect(ad.url).toContain(encodeURI(render.s3Key));
    expect(ad.captionsUrl).toContain('captions.vtt');
    expect(Date.parse(ad.expiresAt) - Date.now()).toBeGreaterThan(30 * 60_000);

    const events = ['impression', 'start', 'firstQuartile', 'midpoint', 'thirdQuartile', 'complete', 'click'];
    expect(Object.keys(ad.tracking).sort()).toEqual([...events].sort());
    for (const event of events) {
      const token = ad.tracking[event].split('/t/')[1];
      const verdict = verifyToken(token, api.config.TRACKING_SECRET!, Math.floor(Date.now() / 1000));
      expect(verdict).toMatchObject({
        ok: true,
        payload: {
          event,
          campaignId: campaign.campaignId,
          variantId: ad.variantId,
          adServingId: ad.adServingId,
          segment: 'young-urban',
          format: '16x9',
        },
      });
    }
    expect(ad.clickUrl).toBe(`${ad.tracking.click}?redirect=1`);
  });

  it('answers the edge routes over a real socket, concurrently, with problems, request ids and metrics', async () => {
    const base = await api.edge.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const auth = { authorization: `Bearer ${platform}` };
      const answers = await Promise.all(
        Array.from({ length: 40 }, () =>
          fetch(`${base}${adUrl('segment=young-urban&format=9x16')}`, { headers: auth }),
        ),
      );
      const servings = new Set<string>();
      for (const res of answers) {
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        const text = await res.text();
        expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
        const ad = JSON.parse(text);
        servings.add(ad.adServingId);
        const token = ad.tracking.complete.split('/t/')[1];
        expect(verifyToken(token, api.config.TRACKING_SECRET!, Math.floor(Date.now() / 1000))).toMatchObject({
          ok: true,
          payload: { adServingId: ad.adServingId, variantId: ad.variantId, event: 'complete' },
        });
      }
      expect(servings.size).toBe(40);

      const pixel = await fetch(`${base}/t/${answers.length}not-a-token`);
      expect(pixel.status).toBe(200);
      expect(pixel.headers.get('content-type')).toBe('image/gif');

      const anonymous = await fetch(`${base}${adUrl('segment=young-urban')}`, {
        headers: { 'x-request-id': 'req-42' },
      });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await anonymous.json()).toMatchObject({ code: 'missing_key', requestId: 'req-42' });

      const live = await fetch(`${base}/health/live`);
      expect(live.status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(
        /adloom_http_request_duration_seconds_count\{method="GET",route="\/v1\/delivery\/:campaignId\/ad",status="200"\} [1-9]/,
      );
    } finally {
      api.edge.app.server.close();
    }
  });

  it('serves only the segment asked for, in the campaign’s first format by default', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const res = await api.request('GET', adUrl('segment=retirees'), { key: platform });
      expect(res.body.format).toBe('9x16');
      served.add(res.body.variantId);
    }
    expect([...served].sort()).toEqual(
      variantsOf('retirees')
        .map((v) => v.id)
        .sort(),
    );
  });

  it('gives a viewer the same variant every time, and spreads viewers over the variants', async () => {
    const first = await api.request('GET', adUrl('segment=young-urban&viewer=viewer-42'), { key: platform });
    for (let i = 0; i < 20; i++) {
      const again = await api.request('GET', adUrl('segment=young-urban&viewer=viewer-42'), {
        key: platform,
      });
      expect(again.body.variantId).toBe(first.body.variantId);
      expect(again.body.adServingId).not.toBe(first.body.adServingId);
    }
    const byViewer = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const res = await api.request('GET', adUrl(`segment=young-urban&viewer=v${i}`), { key: platform });
      byViewer.add(res.body.variantId);
    }
    expect(byViewer.size).toBe(3);
  });

  it('honours the optimiser’s weights over many requests, and campaign.changed applies them at once', async () => {
    const [a, b, c] = variantsOf('young-urban').map((v) => v.id);
    await db.query(
      `INSERT INTO allocation (campaign_id, segment_key, weights) VALUES ($1, 'young-urban', $2)`,
      [campaign.campaignId, JSON.stringify({ [a]: 0.7, [b]: 0.3, [c]: 0 })],
    );
    await api.changed(campaign.campaignId);
    const counts: Record<string, number> = { [a]: 0, [b]: 0, [c]: 0 };
    const total = 1000;
    for (let i = 0; i < total; i++) {
      const res = await api.request('GET', adUrl('segment=young-urban'), { key: platform });
      counts[res.body.variantId]++;
    }
    expect(Math.abs(counts[a] / total - 0.7)).toBeLessThan(0.05);
    expect(Math.abs(counts[b] / total - 0.3)).toBeLessThan(0.05);
    expect(counts[c]).toBe(0);

    const catalog = await api.request(
      'GET',
      `/v1/delivery/${campaign.campaignId}/catalog?segment=young-urban`,
      {
        key: platform,
      },
    );
    const weights = Object.fromEntries(
      catalog.body.segments[0].formats[0].renders.map((r: { variantId: string; weight: number }) => [
        r.variantId,
        r.weight,
      ]),
    );
    expect(weights[a]).toBeCloseTo(0.7);
    expect(weights[b]).toBeCloseTo(0.3);
    expect(weights[c]).toBe(0);
    await db.query(`DELETE FROM allocation WHERE campaign_id = $1`, [campaign.campaignId]);
    await api.changed(campaign.campaignId);
  });

  it('writes VAST 4.2 that validates against the IAB schema and carries the media, tracking and clicks', async () => {
    const res = await api.request(
      'GET',
      `/v1/delivery/${campaign.campaignId}/vast?segment=retirees&format=9x16`,
      {
        key: platform,
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    const xml = res.text;
    expect(validateVast(xml)).toEqual({ valid: true, output: expect.stringContaining('validates') });
    expect(xml).toContain('<VAST version="4.2" xmlns="http://www.iab.com/VAST">');

    const inLine = `/${el('VAST')}/${el('Ad')}/${el('InLine')}`;
    const creative = `${inLine}/${el('Creatives')}/${el('Creative')}`;
    const linear = `${creative}/${el('Linear')}`;
    const variantId = xpath(xml, `/${el('VAST')}/${el('Ad')}/@id`);
    expect(variantsOf('retirees').map((v) => v.id)).toContain(variantId);
    expect(xpath(xml, `${inLine}/${el('AdServingId')}`)).toMatch(/^[0-9a-f-]{36}$/);
    expect(xpath(xml, `${inLine}/${el('AdTitle')}`)).toMatch(/^Spring running shoes: Run retirees #\d$/);
    expect(xpath(xml, `${inLine}/${el('Impression')}`)).toContain('/t/');
    expect(xpath(xml, `${linear}/${el('Duration')}`)).toBe('00:00:06.000');
    // The chosen format first, then the variant's other ready formats.
    const media = `${linear}/${el('MediaFiles')}/${el('MediaFile')}[1]`;
    expect(xpath(xml, `count(${linear}/${el('MediaFiles')}/${el('MediaFile')})`)).toBe('2');
    expect(xpath(xml, `${linear}/${el('MediaFiles')}/${el('MediaFile')}[2]/@width`)).toBe('1920');
    expect(xpath(xml, `${media}/@width`)).toBe('1080');
    expect(xpath(xml, `${media}/@height`)).toBe('1920');
    expect(xpath(xml, `${media}/@bitrate`)).toBe('2000');
    expect(xpath(xml, `${media}/@codec`)).toBe('avc1.640028, mp4a.40.2');
    expect(xpath(xml, `${media}/@delivery`)).toBe('progressive');
    expect(xpath(xml, `${media}/@type`)).toBe('video/mp4');
    for (const event of ['start', 'firstQuartile', 'midpoint', 'thirdQuartile', 'complete']) {
      expect(
        xpath(xml, `count(${linear}/${el('TrackingEvents')}/${el('Tracking')}[@event='${event}'])`),
      ).toBe('1');
    }
    expect(xpath(xml, `${linear}/${el('VideoClicks')}/${el('ClickTracking')}`)).toContain('/t/');
    expect(xpath(xml, `${linear}/${el('VideoClicks')}/${el('ClickThrough')}`)).toBe(
      'https://shop.example/spring?utm_source=adloom',
    );
    expect(
      xpath(
        xml,
        `${linear}/${el('MediaFiles')}/${el('ClosedCaptionFiles')}/${el('ClosedCaptionFile')}/@language`,
      ),
    ).toBe('en-US');
    expect(xpath(xml, `${creative}/*[last()]/@idRegistry`)).toBe('adloom.dev');
    expect(xpath(xml, `${creative}/${el('UniversalAdId')}`)).toBe(variantId);
  });

  it('answers an empty VAST, still valid, when the segment has nothing in the format', async () => {
    const res = await api.request(
      'GET',
      `/v1/delivery/${campaign.campaignId}/vast?segment=retirees&format=1x1`,
      {
        key: platform,
      },
    );
    expect(res.status).toBe(200);
    expect(validateVast(res.text).valid).toBe(true);
    expect(res.text).not.toContain('<Ad');
  });

  it('lists every approved render by segment and format in the catalog, with an ETag that answers 304', async () => {
    const url = `/v1/delivery/${campaign.campaignId}/catalog`;
    const res = await api.request('GET', url, { key: platform });
    expect(res.status).toBe(200);
    expect(res.body.segments.map((s: { segment: string }) => s.segment)).toEqual(['retirees', 'young-urban']);
    for (const segment of res.body.segments) {
      expect(segment.formats.map((f: { format: string }) => f.format)).toEqual(['9x16', '16x9']);
      for (const format of segment.formats) {
        expect(format.renders).toHaveLength(3);
        for (const render of format.renders) expect(render.weight).toBeCloseTo(1 / 3);
      }
    }
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);

    const again = await api.request('GET', url, { key: platform, headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');

    // A variant leaves delivery when it is no longer approved: the catalog and its ETag change.
    const gone = variantsOf('retirees')[0].id;
    await db.query(`UPDATE variant SET state = 'paused' WHERE id = $1`, [gone]);
    await api.changed(campaign.campaignId);
    const changed = await api.request('GET', url, { key: platform, headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(
      changed.body.segments[0].formats[0].renders.map((r: { variantId: string }) => r.variantId),
    ).not.toContain(gone);
    await db.query(`UPDATE variant SET state = 'approved' WHERE id = $1`, [gone]);
    await api.changed(campaign.campaignId);
  });

  it('answers 404 to another workspace’s platform key and 403 to a marketer key', async () => {
    const otherPlatform = await api.key('platform', 'brand-b');
    const foreign = await api.request('GET', adUrl('segment=young-urban'), { key: otherPlatform });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ code: 'campaign_not_found', status: 404 });
    const vast = await api.request('GET', `/v1/delivery/${campaign.campaignId}/vast?segment=young-urban`, {
      key: otherPlatform,
    });
    expect(vast.status).toBe(404);
    const catalog = await api.request('GET', `/v1/delivery/${campaign.campaignId}/catalog`, {
      key: otherPlatform,
    });
    expect(catalog.status).toBe(404);

    const marketer = await api.key('marketer', 'brand-a');
    const forbidden = await api.request('GET', adUrl('segment=young-urban'), { key: marketer });
    expect(forbidden.status).toBe(403);

    const unknown = await api.request(
      'GET',
      adUrl('segment=young-urban', '00000000-0000-4000-8000-000000000000'),
      {
        key: platform,
      },
    );
    expect(unknown.status).toBe(404);
  });

  it('names the segment or format when there is nothing to serve', async () => {
    const segment = await api.request('GET', adUrl('segment=nobody'), { key: platform });
    expect(segment.status).toBe(404);
    expect(segment.body).toMatchObject({ code: 'no_ad', field: 'query.segment' });
    const format = await api.request('GET', adUrl('segment=retirees&format=1x1'), { key: platform });
    expect(format.body).toMatchObject({ code: 'no_ad', field: 'query.format' });
    const bad = await api.request('GET', adUrl('segment=retirees&format=tall'), { key: platform });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('query.format');
  });

  it('answers 404 "paused" as soon as a pause is followed by campaign.changed', async () => {
    await db.query(`UPDATE campaign SET status = 'paused' WHERE id = $1`, [campaign.campaignId]);
    await api.changed(campaign.campaignId);
    const res = await api.request('GET', adUrl('segment=young-urban'), { key: platform });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'campaign_paused' });
    await db.query(`UPDATE campaign SET status = 'live' WHERE id = $1`, [campaign.campaignId]);
    await api.changed(campaign.campaignId);
    expect((await api.request('GET', adUrl('segment=young-urban'), { key: platform })).status).toBe(200);
  });

  it('answers 404 "paused" about a second after a pause written without campaign.changed, and serves again on launch', async () => {
    await db.query(`UPDATE campaign SET status = 'paused' WHERE id = $1`, [campaign.campaignId]);
    const pausedAt = Date.now();
    let res = await api.request('GET', adUrl('segment=young-urban'), { key: platform });
    while (res.status === 200 && Date.now() - pausedAt < 3000) {
      await sleep(20);
      res = await api.request('GET', adUrl('segment=young-urban'), { key: platform });
    }
    // The refresh runs every DELIVERY_CACHE_REFRESH (1 s); the margin is for a loaded machine.
    expect(Date.now() - pausedAt).toBeLessThan(1600);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'campaign_paused', status: 404 });
    expect(res.body.detail).toMatch(/is paused/);
    const vast = await api.request('GET', `/v1/delivery/${campaign.campaignId}/vast?segment=young-urban`, {
      key: platform,
    });
    expect(vast.body).toMatchObject({ code: 'campaign_paused' });

    await db.query(`UPDATE campaign SET status = 'live' WHERE id = $1`, [campaign.campaignId]);
    await api.changed(campaign.campaignId);
    expect((await api.request('GET', adUrl('segment=young-urban'), { key: platform })).status).toBe(200);
  });
});

describe('delivery presigned URLs', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await TestApi.start({ PRESIGN_TTL: '2s' });
  });
  afterAll(() => api.close());

  it('downloads the exact render bytes, and is refused once expired', async () => {
    const db = api.app.get(Db);
    const platform = await api.key('platform', 'brand-a');
    const campaign = await seedCampaign(db, {
      workspaceId: await workspaceIdOf(db, 'brand-a'),
      segments: ['young-urban'],
      variantsPerSegment: 1,
    });
    const [render] = campaign.variants[0].renders;
    const bytes = randomBytes(256 * 1024);
    await api.app.get(ObjectStore).put(render.s3Key, bytes, { contentType: 'video/mp4' });

    const res = await api.request('GET', `/v1/delivery/${campaign.campaignId}/ad?segment=young-urban`, {
      key: platform,
    });
    expect(res.status).toBe(200);
    const expiresAt = Date.parse(res.body.expiresAt);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(2000);

    const download = await fetch(res.body.url);
    expect(download.status).toBe(200);
    const downloaded = Buffer.from(await download.arrayBuffer());
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );

    // S3 counts the lifetime from the signing second, which may be up to a second after the one reported.
    await sleep(expiresAt - Date.now() + 1_100);
    const late = await fetch(res.body.url);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('expired');
  });
});

describe('campaign.changed across edge processes', () => {
  let api: TestApi;
  let second: Edge;

  beforeAll(async () => {
    // A long refresh interval: only the campaign.changed event can make the edges notice.
    api = await TestApi.start({ DELIVERY_CACHE_REFRESH: '60s' });
    second = await createEdge(api.config, { logs: false });
  });
  afterAll(async () => {
    await second?.close();
    await api?.close();
  });

  it('reloads a campaign in every edge when the API publishes the event', async () => {
    const db = api.app.get(Db);
    const platform = await api.key('platform', 'brand-a');
    const campaign = await seedCampaign(db, {
      workspaceId: await workspaceIdOf(db, 'brand-a'),
      segments: ['young-urban'],
      variantsPerSegment: 1,
    });
    const url = `/v1/delivery/${campaign.campaignId}/ad?segment=young-urban`;
    const headers = { authorization: `Bearer ${platform}` };
    const ask = (edge: Edge) => edge.app.inject({ method: 'GET', url, headers });
    expect((await ask(api.edge)).statusCode).toBe(200);
    expect((await ask(second)).statusCode).toBe(200);

    await db.query(`UPDATE campaign SET status = 'paused' WHERE id = $1`, [campaign.campaignId]);
    const sent = Date.now();
    await api.app.get(CampaignEvents).changed(campaign.campaignId);
    for (const edge of [api.edge, second]) {
      let res = await ask(edge);
      while (res.statusCode === 200 && Date.now() - sent < 5000) {
        await sleep(10);
        res = await ask(edge);
      }
      expect(res.json()).toMatchObject({ code: 'campaign_paused' });
    }
    expect(Date.now() - sent).toBeLessThan(1000);
  });
});
