import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { ApiKeysService } from '@adloom/auth';
import { CampaignsService, exampleDir, loadExample, type ExampleIds } from '@adloom/campaigns';
import { ObjectStore } from '@adloom/storage';
import { TestApi, TestResponse } from './support/harness';

type Attributes = {
  persona: string;
  scene: string;
  weather: string;
  product?: string;
  distanceKm: number;
  interests: string[];
  groupSize: number;
};
type ExampleSegment = { key: string; name: string; locales: string[]; attributes: Attributes };

const EXAMPLE = exampleDir();
const SEGMENTS = JSON.parse(readFileSync(join(EXAMPLE, 'segments.json'), 'utf8')) as ExampleSegment[];
const SETTING: Record<string, string> = {
  'en-US': 'an American small town in the background',
  'de-DE': 'a German small town with half-timbered houses in the background',
};

/** What each example template asks the video model for, written out independently of the templates. */
const EXPECTED_PROMPT: Record<string, (a: Attributes, locale: string) => string> = {
  'morning-ritual': (a, locale) =>
    `Cinematic tracking shot of ${a.persona} wearing ${a.product ?? 'Stride Pro running shoes'} on ${a.scene}, ` +
    `${a.weather}, ${SETTING[locale]}, vertical framing, no text on screen`,
  'all-weather': (a) =>
    `Close-up of a Loomwear shell jacket in ${a.weather}, fabric rippling in the wind, slow motion, ` +
    'shallow depth of field, no text on screen',
  'weekend-together': (a) =>
    `Warm handheld footage of ${a.groupSize} ${a.groupSize === 1 ? 'person' : 'people'} enjoying ` +
    `${a.interests.join(' and ')} at ${a.scene}, golden light, everyone in Loomwear gear, no text on screen`,
};

const TABLES = [
  'brand_kit',
  'template',
  'template_version',
  'segment',
  'campaign',
  'campaign_template',
  'campaign_segment',
  'variant',
];

function expectProblem(res: TestResponse, status: number, field: string, code?: string) {
  expect({ status: res.status, field: res.body?.field }).toEqual({ status, field });
  expect(res.headers['content-type']).toContain('application/problem+json');
  if (code) expect(res.body.code).toBe(code);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('campaign admin API', () => {
  let api: TestApi;
  let db: Client;
  let marketer: string;
  let other: string;
  let workspaceId: string;
  let example: ExampleIds;
  let baseUrl: string;

  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of TABLES)
      out[table] = (await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
    return out;
  };
  const post = (url: string, body: unknown, key = marketer, headers: Record<string, string> = {}) =>
    api.request('POST', url, { key, body, headers });
  const get = (url: string, key = marketer) => api.request('GET', url, { key });
  const template = (overrides: Record<string, unknown> = {}) => ({
    name: `t-${randomUUID().slice(0, 8)}`,
    prompt: 'A runner on {{segment.attributes.scene}}',
    headline: 'Go',
    cta: 'Shop',
    ...overrides,
  });
  const campaign = (overrides: Record<string, unknown> = {}) => ({
    name: `c-${randomUUID().slice(0, 8)}`,
    objective: 'ctr',
    templates: [{ templateId: example.templates['all-weather'] }],
    segmentIds: [example.segments.runners, example.segments.commuters],
    formats: ['9x16'],
    budget: { maxVariants: 10, maxGenerationSeconds: 120 },
    landingUrl: 'https://example.com/autumn',
    ...overrides,
  });

  /** A wave of variants in the given states, written as the planner and pipeline would. */
  const seedVariants = async (campaignId: string, states: string[], segmentId = example.segments.runners) => {
    const { rows: versions } = await db.query(
      'SELECT template_version_id FROM campaign_template WHERE campaign_id = $1 ORDER BY position',
      [campaignId],
    );
    const { rows: waves } = await db.query(
      `INSERT INTO wave (workspace_id, campaign_id, number)
       SELECT $1, $2, coalesce(max(number), 0) + 1 FROM wave WHERE campaign_id = $2 RETURNING id`,
      [workspaceId, campaignId],
    );
    const ids: string[] = [];
    for (const [index, state] of states.entries()) {
      const { rows } = await db.query(
        `INSERT INTO variant (workspace_id, campaign_id, wave_id, template_version_id, segment_id, locale, state,
           prompt, prompt_hash, copy)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'a prompt', $8, '{"headline": "Go"}') RETURNING id`,
        [
          workspaceId,
          campaignId,
          waves[0].id,
          versions[0].template_version_id,
          segmentId,
          index % 2 ? 'de-DE' : 'en-US',
          state,
          `hash-${index}`,
        ],
      );
      ids.push(rows[0].id);
    }
    return ids;
  };

  beforeAll(async () => {
    api = await TestApi.start();
    db = new Client({ connectionString: api.config.DATABASE_URL });
    await db.connect();
    marketer = await api.key('marketer');
    other = await api.key('marketer', 'other');
    workspaceId = (await api.app.get(ApiKeysService).verify(marketer)).workspaceId;
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
    example = await loadExample({ baseUrl, key: marketer });
  });
  afterAll(async () => {
    await db?.end();
    await api?.close();
  });

  describe('the example', () => {
    it('is created through the HTTP API: a brand kit with its logo, three templates, four segments, a campaign', async () => {
      expect(Object.keys(example.templates).sort()).toEqual([
        'all-weather',
        'morning-ritual',
        'weekend-together',
      ]);
      expect(Object.keys(example.segments).sort()).toEqual(['commuters', 'families', 'runners', 'students']);
      const locales = new Set(SEGMENTS.flatMap((segment) => segment.locales));
      expect([...locales].sort()).toEqual(['de-DE', 'en-US']);

      const kit = await get(`/v1/brand-kits/${example.brandKitId}`);
      expect(kit.status).toBe(200);
      expect(kit.body).toMatchObject({ name: 'Loomwear', logo: { contentType: 'image/png' } });
      expect(kit.body.logo.key).toBe(`brand/${workspaceId}/${example.brandKitId}/logo.png`);
      // Decoded and written again as a PNG: not the bytes sent, the image they hold.
      const stored = await readAll(await api.app.get(ObjectStore).get(kit.body.logo.key));
      expect(stored.subarray(0, 8).equals(readFileSync(join(EXAMPLE, 'logo.png')).subarray(0, 8))).toBe(true);
      expect(stored.readUInt32BE(16)).toBe(readFileSync(join(EXAMPLE, 'logo.png')).readUInt32BE(16));

      const created = await get(`/v1/campaigns/${example.campaignId}`);
      expect(created.body).toMatchObject({
        status: 'draft',
        brandKitId: example.brandKitId,
        formats: ['9x16', '1x1'],
      });
      expect(created.body.templates).toHaveLength(3);
      expect(created.body.segmentIds).toHaveLength(4);
    });

    it('loads again into the same workspace without duplicates (idempotent requests)', async () => {
      const before = await counts();
      expect(await loadExample({ baseUrl, key: marketer })).toEqual(example);
      expect(await counts()).toEqual(before);
    });

    it('previews the expected prompt for every template × segment × locale', async () => {
      const prompts = new Map<string, string>();
      let previews = 0;
      for (const [name, templateId] of Object.entries(example.templates)) {
        for (const segment of SEGMENTS) {
          for (const locale of segment.locales) {
            const res = await post(`/v1/templates/${templateId}/preview`, {
              segmentId: example.segments[segment.key],
              locale,
            });
            expect(res.status).toBe(200);
            expect(res.body).toMatchObject({ templateId, version: 1, locale, segmentKey: segment.key });
            expect(res.body.prompt).toBe(EXPECTED_PROMPT[name](segment.attributes, locale));
            prompts.set(`${name}/${segment.key}/${locale}`, res.body.prompt);
            previews++;
          }
        }
      }
      expect(previews).toBe(18);
      // Runners and commuters share the weather, so all-weather asks the model for the very same clip.
      expect(prompts.get('all-weather/runners/en-US')).toBe(prompts.get('all-weather/commuters/de-DE'));
      expect(prompts.get('all-weather/runners/en-US')).not.toBe(prompts.get('all-weather/students/en-US'));
      expect(await db.query('SELECT 1 FROM variant')).toMatchObject({ rowCount: 0 });
    });

    it('renders copy and timed captions in the locale, with brand fields', async () => {
      const res = await post(`/v1/templates/${example.templates['morning-ritual']}/preview`, {
        segmentId: example.segments.runners,
        locale: 'de-DE',
      });
      expect(res.body).toMatchObject({
        headline: '21,1 km. Jeder einzelne gehört dir.',
        cta: 'Jetzt kaufen',
        brandKitId: example.brandKitId,
        captions: [
          { startMs: 0, endMs: 2500, text: 'Der Wecker klingelt um sechs.' },
          { startMs: 2500, endMs: 5500, text: 'Stride Pro trail shoes. Gemacht für den langen Weg.' },
          { startMs: 5500, endMs: 8000, text: 'Mit KI erstellt' },
        ],
      });
      const english = await post(`/v1/templates/${example.templates['all-weather']}/preview`, {
        segmentId: example.segments.students,
      });
      expect(english.body).toMatchObject({
        locale: 'en-US',
        headline: 'Weather is not an excuse.',
        cta: 'SEE THE JACKET',
        captions: [
          { text: 'Rain, wind, sun: you go anyway.' },
          { text: 'Loomwear GmbH, Berlin. While stocks last.' },
        ],
      });
      const wrongLocale = await post(`/v1/templates/${example.templates['all-weather']}/preview`, {
        segmentId: example.segments.students,
        locale: 'de-DE',
      });
      expectProblem(wrongLocale, 422, 'locale', 'locale_not_in_segment');
    });
  });

  describe('bad input: a 4xx problem naming the field, and no row changed', () => {
    let before: Record<string, number>;
    beforeAll(async () => {
      before = await counts();
    });

    it.each<[string, Record<string, unknown>, number, string, string?]>([
      ['an unclosed {{#if', { headline: '{{#if segment.name}}Go' }, 422, 'headline', 'template_syntax'],
      ['an unknown variable', { prompt: 'A {{colour}} shoe' }, 422, 'prompt', 'unknown_variable'],
      [
        '{{constructor.constructor}}',
        { prompt: '{{constructor.constructor}}' },
        422,
        'prompt',
        'unsafe_expression',
      ],
      [
        '{{lookup this "__proto__"}}',
        { cta: '{{lookup this "__proto__"}}' },
        422,
        'cta',
        'unsafe_expression',
      ],
      ['a 5 MB template', { prompt: 'x'.repeat(5 * 1024 * 1024) }, 413, 'prompt', 'template_too_large'],
      [
        'a default of the wrong type',
        { variables: [{ name: 'distanceKm', type: 'number', default: 'ten' }] },
        422,
        'variables[0].default',
        'variable_type',
      ],
      [
        'a caption of the wrong type',
        { captions: [{ startMs: 0, endMs: '2s', text: 'x' }] },
        400,
        'captions[0].endMs',
        'validation_failed',
      ],
      [
        'a missing translation',
        { cta: '{{t "cta"}}', locales: { 'en-US': { cta: 'Shop' }, 'de-DE': {} } },
        422,
        'locales.de-DE.cta',
        'missing_translation',
      ],
    ])('refuses a template with %s', async (_, overrides, status, field, code) => {
      expectProblem(await post('/v1/templates', template(overrides)), status, field, code);
      const version = await post(`/v1/templates/${example.templates['all-weather']}/versions`, {
        ...template(overrides),
        name: undefined,
      });
      expectProblem(version, status, field, code);
    });

    it('refuses wrong types in a segment and a campaign', async () => {
      expectProblem(
        await post('/v1/segments', { key: 'x', name: 'X', locales: 'en-US' }),
        400,
        'locales',
        'validation_failed',
      );
      expectProblem(
        await post('/v1/segments', { key: 'x', name: 'X', locales: ['english'] }),
        400,
        'locales[0]',
      );
      expectProblem(
        await post('/v1/campaigns', campaign({ budget: { maxVariants: 'ten', maxGenerationSeconds: 1 } })),
        400,
        'budget.maxVariants',
      );
      expectProblem(await post('/v1/campaigns', campaign({ formats: ['9x16', '3x2'] })), 400, 'formats[1]');
      expectProblem(await post('/v1/campaigns', campaign({ objective: 'likes' })), 400, 'objective');
    });

    it('refuses an unknown segment id', async () => {
      const unknown = randomUUID();
      const res = await post('/v1/campaigns', campaign({ segmentIds: [example.segments.runners, unknown] }));
      expectProblem(res, 404, 'segmentIds[1]', 'segment_not_found');
      const preview = await post(`/v1/templates/${example.templates['all-weather']}/preview`, {
        segmentId: unknown,
      });
      expectProblem(preview, 404, 'segmentId', 'segment_not_found');
      const unknownTemplate = await post('/v1/campaigns', campaign({ templates: [{ templateId: unknown }] }));
      expectProblem(unknownTemplate, 404, 'templates[0].templateId', 'template_not_found');
      const unknownVersion = await post(
        '/v1/campaigns',
        campaign({ templates: [{ templateId: example.templates['all-weather'], version: 99 }] }),
      );
      expectProblem(unknownVersion, 404, 'templates[0].version', 'template_version_not_found');
    });

    it('refuses a campaign with zero segments', async () => {
      expectProblem(
        await post('/v1/campaigns', campaign({ segmentIds: [] })),
        400,
        'segmentIds',
        'validation_failed',
      );
    });

    it('refuses an illegal state transition with 409 naming from and to', async () => {
      const res = await post(`/v1/campaigns/${example.campaignId}/launch`, undefined);
      expectProblem(res, 409, 'status', 'illegal_transition');
      expect(res.body).toMatchObject({ from: 'draft', to: 'live' });
      expect(res.body.detail).toContain('draft');
      const pause = await post(`/v1/campaigns/${example.campaignId}/pause`, undefined);
      expect(pause.body).toMatchObject({ code: 'illegal_transition', from: 'draft', to: 'paused' });
      expect((await get(`/v1/campaigns/${example.campaignId}`)).body.status).toBe('draft');
    });

    it('refuses a logo that is not an image, whatever its Content-Type says', async () => {
      const kitBefore = (await get(`/v1/brand-kits/${example.brandKitId}`)).body;
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>');
      const put = (payload: Buffer, contentType: string) =>
        api.request('PUT', `/v1/brand-kits/${example.brandKitId}/logo`, {
          key: marketer,
          payload,
          headers: { 'content-type': contentType },
        });
      expectProblem(await put(svg, 'image/png'), 422, 'body', 'undecodable_media');
      expectProblem(await put(svg, 'image/svg+xml'), 415, 'Content-Type', 'unsupported_media_type');
      const huge = Buffer.concat([readFileSync(join(EXAMPLE, 'logo.png')), Buffer.alloc(3 * 1024 * 1024)]);
      expectProblem(await put(huge, 'image/png'), 413, 'body', 'media_too_large');
      const kitAfter = (await get(`/v1/brand-kits/${example.brandKitId}`)).body;
      expect({ ...kitAfter, logo: kitAfter.logo.key }).toEqual({ ...kitBefore, logo: kitBefore.logo.key });
    });

    it('changed no row in any of the above', async () => {
      expect(await counts()).toEqual(before);
    });
  });

  describe('workspaces', () => {
    it("answers 404, never 403, for another workspace's ids", async () => {
      const ids = {
        'brand-kits': example.brandKitId,
        templates: example.templates['all-weather'],
        segments: example.segments.runners,
        campaigns: example.campaignId,
      };
      for (const [resource, id] of Object.entries(ids)) {
        expect((await get(`/v1/${resource}/${id}`, other)).status).toBe(404);
        expect((await get(`/v1/${resource}`, other)).body.items).toEqual([]);
      }
      expect(
        (await api.request('PATCH', `/v1/segments/${ids.segments}`, { key: other, body: { name: 'x' } }))
          .status,
      ).toBe(404);
      expect(
        (
          await api.request('PATCH', `/v1/brand-kits/${ids['brand-kits']}`, {
            key: other,
            body: { name: 'x' },
          })
        ).status,
      ).toBe(404);
      expect((await post(`/v1/campaigns/${ids.campaigns}/archive`, undefined, other)).status).toBe(404);
      expect((await get(`/v1/campaigns/${ids.campaigns}/variants`, other)).status).toBe(404);
      const logo = await api.request('PUT', `/v1/brand-kits/${ids['brand-kits']}/logo`, {
        key: other,
        payload: readFileSync(join(EXAMPLE, 'logo.png')),
        headers: { 'content-type': 'image/png' },
      });
      expect(logo.status).toBe(404);

      // Their own template, our segment: the segment does not exist for them.
      const theirs = await post('/v1/templates', template(), other);
      expect(theirs.status).toBe(201);
      const preview = await post(
        `/v1/templates/${theirs.body.id}/preview`,
        { segmentId: ids.segments },
        other,
      );
      expectProblem(preview, 404, 'segmentId');
      expect(preview.body.detail).not.toMatch(/workspace .*other|forbidden/i);
      const ours = await post(`/v1/templates/${ids.templates}/preview`, { segmentId: ids.segments }, other);
      expectProblem(ours, 404, 'id', 'template_not_found');
      const borrowed = await post(
        '/v1/campaigns',
        campaign({ templates: [{ templateId: theirs.body.id }], segmentIds: [ids.segments] }),
        other,
      );
      expectProblem(borrowed, 404, 'segmentIds[0]');
      const [variant] = await seedVariants(example.campaignId!, ['ready']);
      expect((await post(`/v1/variants/${variant}/approve`, undefined, other)).status).toBe(404);
      expect((await get(`/v1/variants/${variant}`)).body.state).toBe('ready');
      await db.query('DELETE FROM variant WHERE id = $1', [variant]);
    });

    it('lets an analyst read but not write', async () => {
      const analyst = await api.key('analyst');
      expect((await get(`/v1/templates/${example.templates['all-weather']}`, analyst)).status).toBe(200);
      expect((await post('/v1/segments', { key: 'a', name: 'A', locales: ['en-US'] }, analyst)).status).toBe(
        403,
      );
    });
  });

  describe('requests', () => {
    it('replays the first response for a repeated Idempotency-Key', async () => {
      const before = await counts();
      const body = { key: 'cyclists', name: 'Cyclists', locales: ['de-DE'], attributes: { weather: 'wind' } };
      const headers = { 'idempotency-key': 'segment-cyclists' };
      const first = await post('/v1/segments', body, marketer, headers);
      const second = await post('/v1/segments', body, marketer, headers);
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect((await counts()).segment).toBe(before.segment + 1);
      const without = await post('/v1/segments', body);
      expectProblem(without, 409, 'key', 'key_taken');
    });

    it('pages through every list with a cursor', async () => {
      for (const resource of ['segments', 'templates', 'campaigns', 'brand-kits']) {
        const all = (await get(`/v1/${resource}?limit=500`)).body.items.map(
          (item: { id: string }) => item.id,
        );
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: TestResponse = await get(`/v1/${resource}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
          expect(page.body.items.length).toBeLessThanOrEqual(2);
          seen.push(...page.body.items.map((item: { id: string }) => item.id));
          cursor = page.body.nextCursor;
          pages++;
        } while (cursor);
        expect(seen).toEqual(all);
        expect(pages).toBe(Math.max(1, Math.ceil(all.length / 2)));
      }
      expect((await get('/v1/segments?key=students')).body.items).toMatchObject([{ key: 'students' }]);
    });

    it('refuses a PATCH with a stale If-Match with 412 and keeps the row', async () => {
      const url = `/v1/segments/${example.segments.families}`;
      const read = await get(url);
      const etag = read.headers.etag as string;
      expect(etag).toMatch(/^".+"$/);
      const patch = (body: unknown, ifMatch: string) =>
        api.request('PATCH', url, { key: marketer, body, headers: { 'if-match': ifMatch } });
      const first = await patch({ name: 'Families on the move' }, etag);
      expect(first.status).toBe(200);
      expect(first.body.name).toBe('Families on the move');
      expect(first.headers.etag).not.toBe(etag);
      const stale = await patch({ name: 'Lost update' }, etag);
      expectProblem(stale, 412, 'If-Match', 'precondition_failed');
      expect((await get(url)).body.name).toBe('Families on the move');
      await patch({ name: 'Active families' }, first.headers.etag as string);

      const kitUrl = `/v1/brand-kits/${example.brandKitId}`;
      const kit = await get(kitUrl);
      const renamed = await api.request('PATCH', kitUrl, {
        key: marketer,
        body: { disclaimer: 'Loomwear GmbH, Berlin. While stocks last.' },
        headers: { 'if-match': kit.headers.etag as string },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body.version).toBe(kit.body.version + 1);
      const staleKit = await api.request('PATCH', kitUrl, {
        key: marketer,
        body: { font: 'Comic Sans' },
        headers: { 'if-match': kit.headers.etag as string },
      });
      expectProblem(staleKit, 412, 'If-Match');
      expect((await get(kitUrl)).body.font).toBe('DejaVu Sans');
    });

    it('serves the routes in the OpenAPI document', async () => {
      const doc = await api.request('GET', '/docs-json');
      expect(doc.status).toBe(200);
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining([
          '/v1/templates/{id}/preview',
          '/v1/segments/import',
          '/v1/campaigns/{id}/variants/approve',
          '/v1/brand-kits/{id}/logo',
          '/v1/content-policy',
        ]),
      );
    });
  });

  describe('templates', () => {
    it('keeps numbered immutable versions and previews any of them', async () => {
      const templateId = example.templates['weekend-together'];
      const source = JSON.parse(readFileSync(join(EXAMPLE, 'templates', 'weekend-together.json'), 'utf8'));
      const { name: _name, ...content } = source;
      const second = await post(`/v1/templates/${templateId}/versions`, {
        ...content,
        prompt: 'Drone shot of {{groupSize}} friends at {{segment.attributes.scene}}',
      });
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ templateId, version: 2 });
      const third = await post(`/v1/templates/${templateId}/versions`, content);
      expect(third.body.version).toBe(3);

      const read = await get(`/v1/templates/${templateId}`);
      expect(read.body.latestVersion).toBe(3);
      expect(read.body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
      expect(read.body.versions[0].prompt).toBe(source.prompt);
      expect(read.headers.etag).toBeDefined();

      const preview = (version?: number) =>
        post(`/v1/templates/${templateId}/preview`, { segmentId: example.segments.families, version });
      expect((await preview(2)).body.prompt).toBe(
        'Drone shot of 4 friends at a riverside park on a Sunday morning',
      );
      expect((await preview()).body).toMatchObject({ version: 3, prompt: (await preview(1)).body.prompt });
      expectProblem(await preview(7), 404, 'version', 'template_version_not_found');
    });
  });

  describe('content policy', () => {
    afterAll(async () => {
      await api.request('PUT', '/v1/content-policy', {
        key: marketer,
        body: { blockedTerms: [], realPeople: [] },
      });
    });

    it('refuses a preview with 422 quoting the blocked words, and allows a real person once consent is recorded', async () => {
      const put = (body: unknown, headers: Record<string, string> = {}) =>
        api.request('PUT', '/v1/content-policy', { key: marketer, body, headers });
      const policy = await put({
        blockedTerms: ['light rain'],
        realPeople: [{ name: 'Serena Williams', consent: false }],
      });
      expect(policy.status).toBe(200);
      expect((await get('/v1/content-policy')).body).toMatchObject({ blockedTerms: ['light rain'] });

      const blocked = await post(`/v1/templates/${example.templates['all-weather']}/preview`, {
        segmentId: example.segments.runners,
      });
      expectProblem(blocked, 422, 'prompt', 'policy_violation');
      expect(blocked.body.detail).toContain('"light rain"');
      expect(blocked.body.violations[0]).toMatchObject({ match: 'light rain', kind: 'blocked_term' });
      const fine = await post(`/v1/templates/${example.templates['all-weather']}/preview`, {
        segmentId: example.segments.students,
      });
      expect(fine.status).toBe(200);

      const celebrity = await post(
        '/v1/templates',
        template({ prompt: 'Serena Williams jogging through {{segment.attributes.scene}}' }),
      );
      const previewCelebrity = () =>
        post(`/v1/templates/${celebrity.body.id}/preview`, { segmentId: example.segments.students });
      const withoutConsent = await previewCelebrity();
      expectProblem(withoutConsent, 422, 'prompt', 'policy_violation');
      expect(withoutConsent.body.detail).toContain('"Serena Williams"');

      const stale = await put({ blockedTerms: [], realPeople: [] }, { 'if-match': '"stale"' });
      expectProblem(stale, 412, 'If-Match');
      const consented = await put(
        { blockedTerms: ['light rain'], realPeople: [{ name: 'Serena Williams', consent: true }] },
        { 'if-match': policy.headers.etag as string },
      );
      expect(consented.status).toBe(200);
      const allowed = await previewCelebrity();
      expect(allowed.status).toBe(200);
      expect(allowed.body.prompt).toBe('Serena Williams jogging through a sunny university campus');
    });
  });

  describe('segments from CSV', () => {
    const importCsv = (csv: string, contentType = 'text/csv') =>
      api.request('POST', '/v1/segments/import', {
        key: marketer,
        payload: csv,
        headers: { 'content-type': contentType },
      });

    it('creates every row, with typed attributes from the JSON column and text from attributes.* columns', async () => {
      const csv = [
        'key,name,locales,attributes,attributes.scene,attributes.weather',
        'hikers,Hikers,en-US;de-DE,"{""distanceKm"": 12, ""groupSize"": 3, ""interests"": [""hiking""]}",an alpine ridge,fog',
        'swimmers,Open-water swimmers,de-DE,,a cold lake at dawn,mist',
        'yogis,Yoga at home,en-US,"{""groupSize"": 1}",a sunlit living room,',
      ].join('\r\n');
      const res = await importCsv(csv, 'text/csv; charset=utf-8');
      expect(res.status).toBe(201);
      expect(res.body.created).toBe(3);
      const hikers = res.body.items.find((segment: { key: string }) => segment.key === 'hikers');
      expect(hikers).toMatchObject({
        locales: ['en-US', 'de-DE'],
        attributes: {
          distanceKm: 12,
          groupSize: 3,
          interests: ['hiking'],
          scene: 'an alpine ridge',
          weather: 'fog',
        },
      });
      const yogis = res.body.items.find((segment: { key: string }) => segment.key === 'yogis');
      expect(yogis.attributes).toEqual({ groupSize: 1, scene: 'a sunlit living room' });

      const preview = await post(`/v1/templates/${example.templates['weekend-together']}/preview`, {
        segmentId: hikers.id,
        version: 1,
        locale: 'de-DE',
      });
      expect(preview.body.prompt).toBe(
        'Warm handheld footage of 3 people enjoying hiking at an alpine ridge, golden light, everyone in Loomwear gear, no text on screen',
      );
    });

    it('creates nothing when one row is bad or a key is taken', async () => {
      const before = await counts();
      const badLocale = await importCsv(
        'key,name,locales\ncanoeists,Canoeists,en-US\nkayakers,Kayakers,english',
      );
      expectProblem(badLocale, 400, 'rows[1].locales[0]', 'validation_failed');
      const taken = await importCsv(
        'key,name,locales\ncanoeists,Canoeists,en-US\nrunners,Runners again,en-US',
      );
      expectProblem(taken, 409, 'rows[1].key', 'key_taken');
      const twice = await importCsv('key,name,locales\ncanoeists,Canoeists,en-US\ncanoeists,Canoeists,de-DE');
      expectProblem(twice, 409, 'rows[1].key', 'key_taken');
      const unknownColumn = await importCsv('key,name,locales,colour\ncanoeists,Canoeists,en-US,red');
      expectProblem(unknownColumn, 400, 'columns[3]', 'invalid_csv');
      expect(await counts()).toEqual(before);
      expect((await get('/v1/segments?key=canoeists')).body.items).toEqual([]);
    });
  });

  describe('campaign lifecycle and review', () => {
    it('walks draft → generating → review → live ⇄ paused → archived, refusing illegal moves', async () => {
      const created = await post('/v1/campaigns', campaign());
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        status: 'draft',
        generator: 'procedural',
        durationMs: 8000,
        segmentIds: [example.segments.runners, example.segments.commuters],
        templates: [{ templateId: example.templates['all-weather'], version: 1, name: 'All weather' }],
      });
      const id = created.body.id;
      const campaigns = api.app.get(CampaignsService);

      // Draft: any field; PATCH with If-Match.
      const renamed = await api.request('PATCH', `/v1/campaigns/${id}`, {
        key: marketer,
        body: { formats: ['9x16', '4x5'], name: 'Autumn rain' },
        headers: { 'if-match': created.headers.etag as string },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ formats: ['9x16', '4x5'], name: 'Autumn rain', version: 2 });
      const staleCampaign = await api.request('PATCH', `/v1/campaigns/${id}`, {
        key: marketer,
        body: { name: 'Lost' },
        headers: { 'if-match': created.headers.etag as string },
      });
      expectProblem(staleCampaign, 412, 'If-Match');

      // The planner's doors: draft → generating → review.
      expect((await campaigns.startGeneration(workspaceId, id)).status).toBe('generating');
      const generating = await api.request('PATCH', `/v1/campaigns/${id}`, {
        key: marketer,
        body: { name: 'x' },
      });
      expectProblem(generating, 409, 'name', 'campaign_locked');
      const [ready1, ready2, failed] = await seedVariants(id, ['ready', 'ready', 'failed']);
      await expect(campaigns.startGeneration(workspaceId, id)).rejects.toMatchObject({
        code: 'illegal_transition',
      });
      expect((await campaigns.finishGeneration(workspaceId, id)).status).toBe('review');

      // Review: only name, budget and landing URL may change.
      const locked = await api.request('PATCH', `/v1/campaigns/${id}`, {
        key: marketer,
        body: { segmentIds: [example.segments.students] },
      });
      expectProblem(locked, 409, 'segmentIds', 'campaign_locked');
      const budget = await api.request('PATCH', `/v1/campaigns/${id}`, {
        key: marketer,
        body: { budget: { maxVariants: 20, maxGenerationSeconds: 240.5 } },
      });
      expect(budget.body.budget).toEqual({ maxVariants: 20, maxGenerationSeconds: 240.5 });

      const noneApproved = await post(`/v1/campaigns/${id}/launch`, undefined);
      expectProblem(noneApproved, 409, 'variants', 'nothing_approved');

      const approved = await post(`/v1/variants/${ready1}/approve`, undefined);
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ id: ready1, state: 'approved', reviewReason: null });
      expect(approved.headers.etag).toBe((await get(`/v1/variants/${ready1}`)).headers.etag);
      expectProblem(
        await post(`/v1/variants/${failed}/approve`, undefined),
        409,
        'state',
        'illegal_transition',
      );

      const live = await post(`/v1/campaigns/${id}/launch`, undefined);
      expect(live.status).toBe(200);
      expect(live.body).toMatchObject({
        status: 'live',
        variantCounts: { approved: 1, ready: 1, failed: 1 },
      });
      expectProblem(await post(`/v1/campaigns/${id}/launch`, undefined), 409, 'status', 'illegal_transition');
      const liveEdit = await api.request('PATCH', `/v1/campaigns/${id}`, {
        key: marketer,
        body: { name: 'x' },
      });
      expectProblem(liveEdit, 409, 'name', 'campaign_locked');

      expect((await post(`/v1/campaigns/${id}/pause`, undefined)).body.status).toBe('paused');
      expect((await post(`/v1/campaigns/${id}/launch`, undefined)).body.status).toBe('live');
      expect((await post(`/v1/campaigns/${id}/pause`, undefined)).body.status).toBe('paused');
      const archived = await post(`/v1/campaigns/${id}/archive`, undefined);
      expect(archived.body.status).toBe('archived');
      const resume = await post(`/v1/campaigns/${id}/launch`, undefined);
      expectProblem(resume, 409, 'status', 'illegal_transition');
      expect(resume.body).toMatchObject({ from: 'archived', to: 'live' });
      expectProblem(
        await post(`/v1/variants/${ready2}/approve`, undefined),
        409,
        'campaign',
        'campaign_locked',
      );
      expect(
        (await get(`/v1/campaigns?status=archived`)).body.items.map((c: { id: string }) => c.id),
      ).toContain(id);
    });

    it('approves and rejects with a reason, approves in bulk all or nothing, and filters the list', async () => {
      const created = await post('/v1/campaigns', campaign());
      const id = created.body.id;
      const campaigns = api.app.get(CampaignsService);
      await campaigns.startGeneration(workspaceId, id);
      const runners = await seedVariants(id, ['ready', 'ready', 'ready', 'queued']);
      const commuters = await seedVariants(id, ['ready', 'ready'], example.segments.commuters);
      await campaigns.finishGeneration(workspaceId, id);

      const rejected = await post(`/v1/variants/${runners[0]}/reject`, {
        reason: 'The jacket colour is off-brand.',
      });
      expect(rejected.body).toMatchObject({
        state: 'rejected',
        reviewReason: 'The jacket colour is off-brand.',
      });
      expectProblem(await post(`/v1/variants/${runners[1]}/reject`, {}), 400, 'reason');
      expect((await post(`/v1/variants/${runners[0]}/approve`, undefined)).body.state).toBe('approved');
      expect((await post(`/v1/variants/${runners[0]}/reject`, { reason: 'Withdrawn.' })).body.state).toBe(
        'rejected',
      );

      const before = await db.query('SELECT id, state FROM variant WHERE campaign_id = $1 ORDER BY id', [id]);
      const refused = await post(`/v1/campaigns/${id}/variants/approve`, {
        variantIds: [runners[1], runners[3]],
      });
      expectProblem(refused, 409, 'variantIds[1]', 'illegal_transition');
      const foreign = await post(`/v1/campaigns/${id}/variants/approve`, {
        variantIds: [runners[1], randomUUID()],
      });
      expectProblem(foreign, 404, 'variantIds[1]', 'variant_not_found');
      expect(
        (await db.query('SELECT id, state FROM variant WHERE campaign_id = $1 ORDER BY id', [id])).rows,
      ).toEqual(before.rows);

      const some = await post(`/v1/campaigns/${id}/variants/approve`, { variantIds: [commuters[0]] });
      expect(some.body).toEqual({ approved: 1, variantIds: [commuters[0]] });
      const rest = await post(`/v1/campaigns/${id}/variants/approve`, {});
      expect(rest.status).toBe(200);
      expect(rest.body.variantIds.sort()).toEqual([runners[1], runners[2], commuters[1]].sort());

      const list = (query: string) => get(`/v1/campaigns/${id}/variants?${query}`);
      expect((await list('state=approved')).body.items).toHaveLength(4);
      expect((await list('state=queued')).body.items.map((v: { id: string }) => v.id)).toEqual([runners[3]]);
      const forCommuters = await list(`segmentId=${example.segments.commuters}`);
      expect(forCommuters.body.items.map((v: { id: string }) => v.id).sort()).toEqual([...commuters].sort());
      const german = await list('locale=de-DE');
      expect(german.body.items.every((v: { locale: string }) => v.locale === 'de-DE')).toBe(true);
      expect(german.body.items).toHaveLength(3);
      expectProblem(await list('state=shiny'), 400, 'query.state');

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: TestResponse = await list(`limit=4${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.body.items.map((v: { id: string }) => v.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual([...runners, ...commuters].sort());
    });
  });

  describe('brand kit media', () => {
    it('stores a JPEG logo (as a PNG) and an MP3 music bed, each decoded and encoded again', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'brand-'));
      const make = (name: string, args: string[]) => {
        execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, join(dir, name)]);
        return readFileSync(join(dir, name));
      };
      const jpeg = make('logo.jpg', ['-f', 'lavfi', '-i', 'color=c=0x1A73E8:s=64x64', '-frames:v', '1']);
      const mp3 = make('music.mp3', ['-f', 'lavfi', '-i', 'sine=d=0.5']);
      const kit = await post('/v1/brand-kits', {
        name: 'Second brand',
        colors: { primary: '#000000', accent: '#FFFFFF', text: '#FFFFFF' },
        font: 'DejaVu Sans',
      });
      expect(kit.status).toBe(201);
      expect(kit.body).toMatchObject({
        disclaimer: null,
        aiDisclosure: {},
        logo: null,
        music: null,
        version: 1,
      });
      const put = (path: string, payload: Buffer, contentType: string) =>
        api.request('PUT', `/v1/brand-kits/${kit.body.id}/${path}`, {
          key: marketer,
          payload,
          headers: { 'content-type': contentType },
        });
      const logo = await put('logo', jpeg, 'image/jpeg');
      expect(logo.status).toBe(200);
      expect(logo.body.logo).toMatchObject({
        key: `brand/${workspaceId}/${kit.body.id}/logo.png`,
        contentType: 'image/png',
      });
      const music = await put('music', mp3, 'audio/mpeg');
      expect(music.body.music).toMatchObject({ contentType: 'audio/mpeg' });
      const store = api.app.get(ObjectStore);
      const storedMusic = await readAll(await store.get(music.body.music.key));
      writeFileSync(join(dir, 'stored.mp3'), storedMusic);
      const streams = JSON.parse(
        execFileSync('ffprobe', [
          '-v',
          'error',
          '-print_format',
          'json',
          '-show_streams',
          join(dir, 'stored.mp3'),
        ]).toString(),
      ).streams;
      expect(streams).toEqual([expect.objectContaining({ codec_type: 'audio', codec_name: 'mp3' })]);
      const fetched = Buffer.from(await (await fetch(logo.body.logo.url)).arrayBuffer());
      expect(fetched.readUInt32BE(16)).toBe(64);
      expect(fetched.subarray(1, 4).toString()).toBe('PNG');
      expectProblem(await put('music', jpeg, 'audio/mpeg'), 422, 'body', 'undecodable_media');

      const duplicate = await post('/v1/brand-kits', {
        name: 'Second brand',
        colors: { primary: '#000000', accent: '#FFFFFF', text: '#FFFFFF' },
        font: 'DejaVu Sans',
      });
      expectProblem(duplicate, 409, 'name', 'name_taken');
      expectProblem(
        await post('/v1/brand-kits', { name: 'Third', colors: { primary: 'blue' }, font: 'x' }),
        400,
        'colors.primary',
      );
    });
  });
});
