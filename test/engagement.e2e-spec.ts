import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import { Db } from '@adloom/db';
import { DedupeWindow, EngagementConsumer, EventIntake, signToken, verifyToken } from '@adloom/engagement';
import { createApi } from '../apps/api/src/app';
import { seedCampaign, SeededCampaign, workspaceIdOf } from '../bench/delivery/seed';
import { TestApi } from './support/harness';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Totals {
  impressions: number;
  starts: number;
  q25: number;
  q50: number;
  q75: number;
  completes: number;
  clicks: number;
  conversions: number;
  conversion_value: number;
}

async function totals(db: Db, variantId: string, hour?: number): Promise<Totals> {
  const row = await db.one<Totals>(
    `SELECT coalesce(sum(impressions), 0)::int AS impressions, coalesce(sum(starts), 0)::int AS starts,
            coalesce(sum(q25), 0)::int AS q25, coalesce(sum(q50), 0)::int AS q50, coalesce(sum(q75), 0)::int AS q75,
            coalesce(sum(completes), 0)::int AS completes, coalesce(sum(clicks), 0)::int AS clicks,
            coalesce(sum(conversions), 0)::int AS conversions,
            coalesce(sum(conversion_value), 0)::float8 AS conversion_value
     FROM metric_rollup WHERE variant_id = $1 AND ($2::timestamptz IS NULL OR hour = $2)`,
    [variantId, hour === undefined ? null : new Date(hour).toISOString()],
  );
  return row!;
}

/** The figure summed over the API's and the edge's /metrics (pixels are counted by the edge). */
async function metric(api: TestApi, name: string, labels: string): Promise<number> {
  let sum = 0;
  for (const res of [
    await api.request('GET', '/metrics'),
    await api.edge.app.inject({ method: 'GET', url: '/metrics' }),
  ]) {
    const text = 'text' in res ? res.text : res.body;
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    sum += line ? Number(line.split(' ').pop()) : 0;
  }
  return sum;
}

describe('engagement', () => {
  let api: TestApi;
  let db: Db;
  let platform: string;
  let campaign: SeededCampaign;
  let variantId: string;

  beforeAll(async () => {
    api = await TestApi.start();
    db = api.app.get(Db);
    platform = await api.key('platform', 'brand-a');
    campaign = await seedCampaign(db, {
      workspaceId: await workspaceIdOf(db, 'brand-a'),
      segments: ['young-urban', 'retirees'],
      variantsPerSegment: 2,
    });
    variantId = campaign.variants[0].id;
  });
  afterAll(() => api.close());

  /** Counts what the log holds, as a worker would (no worker runs beside this API). */
  const counted = () => api.app.get(EngagementConsumer).drain();
  const duplicatesCounted = () =>
    metric(api, 'adloom_engagement_events_total', 'source="api",outcome="duplicate"');

  const event = (overrides: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    type: 'impression',
    variantId,
    segment: 'young-urban',
    ts: Date.now(),
    ...overrides,
  });

  it('counts the same 10,000 events once when they are sent twice', async () => {
    const target = campaign.variants[1];
    const types = [
      'impression',
      'start',
      'firstQuartile',
      'midpoint',
      'thirdQuartile',
      'complete',
      'click',
      'conversion',
    ];
    const events = Array.from({ length: 10_000 }, (_, i) =>
      event({ variantId: target.id, type: types[i % types.length], ...(i % 8 === 7 ? { value: 2.5 } : {}) }),
    );
    const first = await api.request('POST', '/v1/events', { key: platform, body: { events } });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ accepted: 10_000, duplicates: 0, rejected: [] });
    await counted();
    const duplicatesBefore = await duplicatesCounted();

    // Taken again (the log cannot know), counted never again.
    const second = await api.request('POST', '/v1/events', { key: platform, body: { events } });
    expect(second.body).toEqual({ accepted: 10_000, duplicates: 0, rejected: [] });
    await counted();
    expect((await duplicatesCounted()) - duplicatesBefore).toBe(10_000);

    expect(await totals(db, target.id)).toEqual({
      impressions: 1250,
      starts: 1250,
      q25: 1250,
      q50: 1250,
      q75: 1250,
      completes: 1250,
      clicks: 1250,
      conversions: 1250,
      conversion_value: 3125,
    });
  });

  it('counts only the new events of a batch that mixes new and already counted ones', async () => {
    const target = campaign.variants[2];
    const before = await totals(db, target.id);
    const old = Array.from({ length: 300 }, () =>
      event({ variantId: target.id, segment: 'retirees', type: 'start' }),
    );
    await api.request('POST', '/v1/events', { key: platform, body: { events: old } });
    await counted();
    const duplicatesBefore = await duplicatesCounted();
    const fresh = Array.from({ length: 200 }, () =>
      event({ variantId: target.id, segment: 'retirees', type: 'click' }),
    );
    const mixed = await api.request('POST', '/v1/events', {
      key: platform,
      body: { events: [...old, ...fresh] },
    });
    expect(mixed.body).toEqual({ accepted: 500, duplicates: 0, rejected: [] });
    await counted();
    expect((await duplicatesCounted()) - duplicatesBefore).toBe(300);
    const after = await totals(db, target.id);
    expect(after.starts - before.starts).toBe(300);
    expect(after.clicks - before.clicks).toBe(200);
  });

  it('counts a repeated id within one batch once', async () => {
    const target = campaign.variants[2];
    const repeated = event({ variantId: target.id, segment: 'retirees' });
    const res = await api.request('POST', '/v1/events', {
      key: platform,
      body: { events: [repeated, repeated] },
    });
    expect(res.body).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
    await counted();
    expect((await totals(db, target.id)).impressions).toBe(1);
  });

  it('keeps ids exactly as sent, whatever characters they hold', async () => {
    const ids = ['a"b', 'c\\d', '{x,y}', 'NULL', ' spaced ', 'ünï-cödé', "it's", 'tab\there'];
    const events = ids.map((id) => event({ id }));
    const first = await api.request('POST', '/v1/events', { key: platform, body: { events } });
    expect(first.body).toEqual({ accepted: ids.length, duplicates: 0, rejected: [] });
    await counted();
    const duplicatesBefore = await duplicatesCounted();
    await api.request('POST', '/v1/events', { key: platform, body: { events } });
    await counted();
    expect((await duplicatesCounted()) - duplicatesBefore).toBe(ids.length);
    const stored = await db.query<{ id: string }>('SELECT id FROM event_seen WHERE id = ANY($1::text[])', [
      ids,
    ]);
    expect(stored.map((row) => row.id).sort()).toEqual([...ids].sort());
  });

  it('puts late events in the hour they happened, not the hour they arrived', async () => {
    const target = campaign.variants[3];
    const now = Date.now();
    const late = now - 5 * HOUR;
    const res = await api.request('POST', '/v1/events', {
      key: platform,
      body: {
        events: [
          event({ variantId: target.id, segment: 'retirees', ts: late }),
          event({ variantId: target.id, segment: 'retirees', ts: new Date(late).toISOString() }),
          event({ variantId: target.id, segment: 'retirees', ts: now }),
        ],
      },
    });
    expect(res.body.accepted).toBe(3);
    await counted();
    const lateHour = Math.floor(late / HOUR) * HOUR;
    const thisHour = Math.floor(now / HOUR) * HOUR;
    expect((await totals(db, target.id, lateHour)).impressions).toBe(2);
    expect((await totals(db, target.id, thisHour)).impressions).toBe(1);
  });

  it('rejects bad events one by one, naming the field, and counts the rest', async () => {
    const other = await api.key('platform', 'brand-b');
    const before = (await totals(db, variantId)).impressions;
    const res = await api.request('POST', '/v1/events', {
      key: platform,
      body: {
        events: [
          event(),
          event({ type: 'view' }),
          event({ variantId: randomUUID() }),
          event({ segment: 'retirees' }),
          event({ ts: 1_700_000_000 }),
          event({ ts: Date.now() + 3 * HOUR }),
          event(),
        ],
      },
    });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected.map((r: { index: number; field: string }) => [r.index, r.field])).toEqual([
      [1, 'events[1].type'],
      [2, 'events[2].variantId'],
      [3, 'events[3].segment'],
      [4, 'events[4].ts'],
      [5, 'events[5].ts'],
    ]);
    await counted();
    expect((await totals(db, variantId)).impressions).toBe(before + 2);

    // Another workspace's key cannot count events for this workspace's variants.
    const foreign = await api.request('POST', '/v1/events', { key: other, body: { events: [event()] } });
    expect(foreign.body).toMatchObject({ accepted: 0, rejected: [{ index: 0, reason: 'unknown variant' }] });
    await counted();
    expect((await totals(db, variantId)).impressions).toBe(before + 2);
  });

  it('refuses an event older than the dedupe window as late, and takes one just inside it', async () => {
    const target = campaign.variants[3];
    const inside = Date.now() - 6 * DAY;
    const before = (await totals(db, target.id, Math.floor(inside / HOUR) * HOUR)).impressions;
    const res = await api.request('POST', '/v1/events', {
      key: platform,
      body: {
        events: [
          event({ variantId: target.id, segment: 'retirees', ts: Date.now() - 8 * DAY }),
          event({ variantId: target.id, segment: 'retirees', ts: inside }),
        ],
      },
    });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([
      expect.objectContaining({
        index: 0,
        field: 'events[0].ts',
        reason: expect.stringMatching(/^late: .*7-day dedupe window/),
      }),
    ]);
    await counted();
    expect((await totals(db, target.id, Math.floor(inside / HOUR) * HOUR)).impressions).toBe(before + 1);
  });

  it('refuses batches over 10,000 events and keys without the platform role', async () => {
    const tooMany = Array.from({ length: 10_001 }, () => event());
    const big = await api.request('POST', '/v1/events', { key: platform, body: { events: tooMany } });
    expect(big.status).toBe(400);
    expect(big.body.field).toBe('events');
    const marketer = await api.key('marketer', 'brand-a');
    expect(
      (await api.request('POST', '/v1/events', { key: marketer, body: { events: [event()] } })).status,
    ).toBe(403);
  });

  it('feeds the same rollups from pixels and the batch API, once per ad serving and event', async () => {
    const target = campaign.variants[0];
    const before = await totals(db, target.id);
    const ad = await api.request(
      'GET',
      `/v1/delivery/${campaign.campaignId}/ad?segment=young-urban&viewer=v-7`,
      {
        key: platform,
      },
    );
    const servedVariant = ad.body.variantId as string;
    const baseline = await totals(db, servedVariant);
    const tracking = ad.body.tracking as Record<string, string>;
    const pixel = (url: string) => api.request('GET', new URL(url).pathname + new URL(url).search);

    // A HEAD request (link checkers, prefetchers) answers the same but counts nothing.
    const head = await api.request('HEAD', new URL(tracking.click).pathname);
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('image/gif');
    for (const name of ['impression', 'impression', 'start', 'firstQuartile', 'midpoint', 'complete']) {
      const res = await pixel(tracking[name]);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/gif');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-length']).toBe('43');
    }
    await counted();
    await api.request('POST', '/v1/events', {
      key: platform,
      body: { events: [event({ variantId: servedVariant, type: 'impression' })] },
    });
    await counted();

    const after = await totals(db, servedVariant);
    expect(after.impressions - baseline.impressions).toBe(2);
    expect(after.starts - baseline.starts).toBe(1);
    expect(after.q25 - baseline.q25).toBe(1);
    expect(after.q50 - baseline.q50).toBe(1);
    expect(after.completes - baseline.completes).toBe(1);
    expect(after.clicks - baseline.clicks).toBe(0);
    if (servedVariant !== target.id) expect(await totals(db, target.id)).toEqual(before);
  });

  it('redirects a click pixel to the landing page when asked, counting the click once', async () => {
    const ad = await api.request('GET', `/v1/delivery/${campaign.campaignId}/ad?segment=young-urban`, {
      key: platform,
    });
    const baseline = (await totals(db, ad.body.variantId)).clicks;
    const click = new URL(ad.body.clickUrl);
    const res = await api.request('GET', click.pathname + click.search);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://shop.example/spring?utm_source=adloom');
    const beacon = await api.request('GET', new URL(ad.body.tracking.click).pathname);
    expect(beacon.headers['content-type']).toBe('image/gif');
    await counted();
    expect((await totals(db, ad.body.variantId)).clicks).toBe(baseline + 1);
  });

  it('counts a forged, altered or expired token as rejected, never as an event', async () => {
    const ad = await api.request('GET', `/v1/delivery/${campaign.campaignId}/ad?segment=retirees`, {
      key: platform,
    });
    const token = (ad.body.tracking.impression as string).split('/t/')[1];
    const payload = verifyToken(token, api.config.TRACKING_SECRET!, Math.floor(Date.now() / 1000));
    if (!payload.ok) throw new Error('the served token does not verify');
    const baseline = await totals(db, ad.body.variantId);
    const rejectedBefore = await metric(api, 'adloom_tracking_pixels_total', 'result="bad_signature"');
    const expiredBefore = await metric(api, 'adloom_tracking_pixels_total', 'result="expired"');

    const forged = signToken(payload.payload, 'an-attacker-guessing-the-secret-0123456789');
    const altered = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    const past = Math.floor(Date.now() / 1000) - 7200;
    const expired = signToken(
      { ...payload.payload, issuedAt: past, expiresAt: past + 60 },
      api.config.TRACKING_SECRET!,
    );
    for (const bad of [forged, altered, expired, 'not-a-token']) {
      const res = await api.request('GET', `/t/${bad}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/gif');
    }
    await counted();

    expect(await totals(db, ad.body.variantId)).toEqual(baseline);
    expect(await metric(api, 'adloom_tracking_pixels_total', 'result="bad_signature"')).toBe(
      rejectedBefore + 2,
    );
    expect(await metric(api, 'adloom_tracking_pixels_total', 'result="expired"')).toBe(expiredBefore + 1);
  });

  it('imports a platform’s daily CSV at 00:00 UTC of each day, once per file', async () => {
    const [a, b] = campaign.variants;
    const csv = [
      'Date,Ad ID,Ad name,Impressions,Video plays,Video plays at 25%,Video plays at 50%,Video plays at 75%,Video completions,Link clicks,Conversions,Conversion value',
      `2024-03-01,${a.id},Spring A,"1,200",900,700,500,300,200,12,3,29.97`,
      `2024-03-01,${b.id},Spring B,800,600,400,300,200,100,8,1,9.99`,
      `2024-03-02,${a.id},Spring A,100,80,60,40,20,10,1,0,0`,
    ].join('\n');
    const day = Date.UTC(2024, 2, 1);
    const first = await api.request('POST', '/v1/events/import', {
      key: platform,
      payload: csv,
      headers: { 'content-type': 'text/csv; charset=utf-8' },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ imported: true, rows: 3, ignoredColumns: ['Ad name'] });
    expect(await totals(db, a.id, day)).toEqual({
      impressions: 1200,
      starts: 900,
      q25: 700,
      q50: 500,
      q75: 300,
      completes: 200,
      clicks: 12,
      conversions: 3,
      conversion_value: 29.97,
    });
    expect((await totals(db, a.id, day + 24 * HOUR)).impressions).toBe(100);
    expect((await totals(db, b.id, day)).impressions).toBe(800);

    const again = await api.request('POST', '/v1/events/import', {
      key: platform,
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ imported: false, rows: 3, sha256: first.body.sha256 });
    expect((await totals(db, a.id, day)).impressions).toBe(1200);
  });

  it('refuses a CSV naming a variant it does not know, by line and column, importing nothing', async () => {
    const csv = `date,ad_id,impressions\n2024-04-01,${campaign.variants[0].id},10\n2024-04-01,${randomUUID()},5\n`;
    const res = await api.request('POST', '/v1/events/import', {
      key: platform,
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_csv', field: 'body' });
    expect(res.body.detail).toMatch(/^line 3, column "ad_id": no variant is known by the ad id/);
    expect((await totals(db, campaign.variants[0].id, Date.UTC(2024, 3, 1))).impressions).toBe(0);
  });

  it('gives EventIntake.record to other code: same dedupe and rollups as the API', async () => {
    const workspaceId = await workspaceIdOf(db, 'brand-a');
    const target = campaign.variants[1];
    const before = (await totals(db, target.id)).clicks;
    const events = [1, 2, 3].map(() => ({
      id: randomUUID(),
      type: 'click' as const,
      variantId: target.id,
      segment: 'young-urban',
      ts: Date.now(),
    }));
    const intake = api.app.get(EventIntake);
    expect(await intake.record(workspaceId, events)).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect(await intake.record(workspaceId, events)).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    expect((await totals(db, target.id)).clicks).toBe(before + 3);
  });
});

/** An API of its own, a platform key of workspace brand-a and a campaign of one variant. */
async function apiWithCampaign() {
  const api = await TestApi.start();
  const db = api.app.get(Db);
  const platform = await api.key('platform', 'brand-a');
  const workspaceId = await workspaceIdOf(db, 'brand-a');
  const campaign = await seedCampaign(db, { workspaceId, segments: ['young-urban'], variantsPerSegment: 1 });
  return { api, db, platform, campaign };
}

describe('engagement after the API stops', () => {
  it('keeps the pixels it answered in the log, for a consumer started later to count', async () => {
    const { api, platform, campaign } = await apiWithCampaign();
    let variantId: string;
    try {
      const ad = await api.request('GET', `/v1/delivery/${campaign.campaignId}/ad?segment=young-urban`, {
        key: platform,
      });
      variantId = ad.body.variantId;
      for (const name of ['impression', 'start', 'complete'])
        expect((await api.request('GET', new URL(ad.body.tracking[name]).pathname)).status).toBe(200);
    } finally {
      await api.close();
    }

    const client = new Client({ connectionString: api.config.DATABASE_URL });
    await client.connect();
    const later = await createApi(api.config, { logs: false });
    try {
      const sums = async () =>
        (
          await client.query(
            'SELECT coalesce(sum(impressions), 0)::int AS impressions, coalesce(sum(starts), 0)::int AS starts, coalesce(sum(completes), 0)::int AS completes FROM metric_rollup WHERE variant_id = $1',
            [variantId],
          )
        ).rows[0];
      expect(await sums()).toEqual({ impressions: 0, starts: 0, completes: 0 });
      await later.get(EngagementConsumer).drain();
      expect(await sums()).toEqual({ impressions: 1, starts: 1, completes: 1 });
    } finally {
      await later.close();
      await client.end();
    }
  });
});

describe('dedupe window housekeeping', () => {
  it('makes the partitions ahead and drops the days past the window, forgetting their ids', async () => {
    const { api, db, platform, campaign } = await apiWithCampaign();
    try {
      const id = randomUUID();
      const body = {
        events: [
          {
            id,
            type: 'impression',
            variantId: campaign.variants[0].id,
            segment: 'young-urban',
            ts: Date.now(),
          },
        ],
      };
      expect((await api.request('POST', '/v1/events', { key: platform, body })).status).toBe(202);
      await api.app.get(EngagementConsumer).drain();
      const partitions = async () =>
        (
          await db.query<{ name: string }>(
            `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'event_seen'::regclass ORDER BY 1`,
          )
        ).map((row) => row.name);
      const today = new Date().toISOString().slice(0, 10);
      const name = (ms: number) => `event_seen_${new Date(ms).toISOString().slice(0, 10).replace(/-/g, '')}`;
      const seen = await db.query<{ day: string }>('SELECT day::text AS day FROM event_seen WHERE id = $1', [
        id,
      ]);
      expect(seen.map((row) => row.day)).toEqual([today]);
      expect(await partitions()).toContain(name(Date.now()));

      // Eight days on, today is past the 7-day window.
      const later = Date.now() + 8 * DAY;
      const result = await api.app.get(DedupeWindow).housekeep(later);
      expect(result.dropped).toContain(today);
      const after = await partitions();
      expect(after).not.toContain(name(Date.now()));
      expect(after).toEqual(expect.arrayContaining([name(later), name(later + DAY), name(later + 2 * DAY)]));
      expect(after[0] >= name(later - 7 * DAY)).toBe(true);
      expect(await db.query('SELECT 1 FROM event_seen WHERE id = $1', [id])).toEqual([]);
    } finally {
      await api.close();
    }
  });
});
