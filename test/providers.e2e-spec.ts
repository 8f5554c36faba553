import { INestApplicationContext } from '@nestjs/common';
import { createWorker } from '../apps/worker/src/worker';
import { createApi } from '../apps/api/src/app';
import { FAL_REFUSAL_MESSAGE, FalPeer, startFalPeer } from './support/peers/fal-peer';
import { GeminiPeer, startGeminiPeer } from './support/peers/gemini-peer';
import { sampleMedia } from './support/peers/sample-media';
import { TestApi } from './support/harness';
import { campaignInReview, seedCampaign, sql } from './support/fixtures';

const VEO = 'veo-3.1-fast-generate-preview';
const PRICES = {
  'fal:wan-2.2': { '480p': 0.04, '720p': 0.08 },
  'fal:ltx-video': 0.02,
  [`gemini-veo:${VEO}`]: 0.15,
};

/** 2 templates × 2 segments whose prompts come out the same: 4 variants, 2 unique prompts. */
const twins = (tag: string, prompts: string[]) => ({
  prompts,
  segments: ['a', 'b'].map((k) => ({
    key: `${tag}-${k}`,
    name: `${tag} ${k}`,
    locales: ['en-US'],
    attributes: { sport: `${tag} sport` },
  })),
  durationMs: 3000,
});

describe('provider routing with failover', () => {
  let fal: FalPeer;
  let gemini: GeminiPeer;
  let api: TestApi;
  let worker: INestApplicationContext;
  let marketer: string;
  let analyst: string;

  beforeAll(async () => {
    const video = (await sampleMedia()).mp4;
    fal = await startFalPeer({ video, submitStatus: 503 });
    gemini = await startGeminiPeer({ video, runningPolls: 2 });
    api = await TestApi.start({
      FAL_BASE_URL: fal.baseUrl,
      FAL_KEY: fal.apiKey,
      FAL_POLL_INTERVAL: '20ms',
      GEMINI_BASE_URL: gemini.baseUrl,
      GEMINI_API_KEY: gemini.apiKey,
      GEMINI_POLL_INTERVAL: '20ms',
      GENERATION_PRICES: JSON.stringify(PRICES),
      GENERATE_PROVIDER_ATTEMPTS: '3',
      GENERATE_RETRY_DELAY: '50ms',
      GENERATE_CONCURRENCY: '2',
    });
    worker = await createWorker(api.config, ['generate', 'compose', 'wave'], { logs: false });
    marketer = await api.key('marketer');
    analyst = await api.key('analyst');
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await fal?.close();
    await gemini?.close();
  });

  const waveDone = (campaignId: string) => campaignInReview(api.config.DATABASE_URL!, campaignId, 120_000);

  const variantsOf = (campaignId: string) =>
    sql<{
      state: string;
      failure_reason: string | null;
      prompt: string;
      prompt_hash: string;
      provider: string | null;
      model: string | null;
      clip_hash: string | null;
    }>(
      api.config.DATABASE_URL!,
      `SELECT v.state, v.failure_reason, v.prompt, v.prompt_hash, c.generator AS provider, c.model, c.prompt_hash AS clip_hash
       FROM variant v LEFT JOIN clip c ON c.id = v.clip_id WHERE v.campaign_id = $1`,
      [campaignId],
    );

  it('takes a generator or an ordered list through the API, and refuses an unknown one naming the field', async () => {
    const seeded = await seedCampaign(api.config.DATABASE_URL!, twins('api', ['Kayak on a lake']));
    const url = `/v1/campaigns/${seeded.campaignId}`;
    const current = await api.request('GET', url, { key: marketer });
    const routed = await api.request('PATCH', url, {
      key: marketer,
      body: {
        generator: ['fal:wan-2.2', `gemini-veo:${VEO}`, 'procedural'],
        budget: { maxVariants: 10, maxGenerationSeconds: 100, maxCost: 5 },
      },
      headers: { 'if-match': current.headers.etag as string },
    });
    expect(routed.status).toBe(200);
    expect(routed.body).toMatchObject({
      generator: 'fal',
      model: 'wan-2.2',
      route: ['fal:wan-2.2', `gemini-veo:${VEO}`, 'procedural'],
      budget: { maxVariants: 10, maxGenerationSeconds: 100, maxCost: 5 },
    });
    const bad = await api.request('PATCH', url, {
      key: marketer,
      body: { generator: ['fal', 'runway:gen-4'] },
      headers: { 'if-match': routed.headers.etag as string },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('generator');
    const after = await api.request('GET', url, { key: marketer });
    expect(after.body.route).toEqual(routed.body.route);

    // The money cap is checked at the first provider's price: 1 clip × 3 s × 0.08 = 0.24 > 0.2.
    const capped = await api.request('PATCH', url, {
      key: marketer,
      body: { budget: { maxVariants: 10, maxGenerationSeconds: 100, maxCost: 0.2 } },
      headers: { 'if-match': after.headers.etag as string },
    });
    expect(capped.status).toBe(200);
    const over = await api.request('POST', `${url}/generate`, { key: marketer });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({
      code: 'over_budget',
      field: 'budget',
      estimatedCost: 0.24,
      maxCost: 0.2,
    });
    expect(over.body.detail).toContain('fal:wan-2.2 720p at 0.08/s');
  });

  it('moves every variant past a provider answering 503s to the next one, making each clip once', async () => {
    fal.setSubmitStatus(503);
    const seeded = await seedCampaign(
      api.config.DATABASE_URL!,
      twins('failover', [
        'Trail shoes for {{segment.attributes.sport}} in rain',
        'Sunrise {{segment.attributes.sport}} run',
      ]),
    );
    await sql(
      api.config.DATABASE_URL!,
      `UPDATE campaign SET generator = 'fal', fallbacks = '{gemini-veo}' WHERE id = $1`,
      [seeded.campaignId],
    );
    const planned = await api.request('POST', `/v1/campaigns/${seeded.campaignId}/generate`, {
      key: marketer,
    });
    expect(planned.status).toBe(202);
    expect(planned.body).toMatchObject({
      variants: 4,
      uniquePrompts: 2,
      route: [
        { provider: 'fal', model: 'wan-2.2' },
        { provider: 'gemini-veo', model: VEO },
      ],
      // The budget is priced at the first provider: 2 clips × 3 s × 0.08.
      estimatedCost: 0.48,
    });
    await waveDone(seeded.campaignId);

    const variants = await variantsOf(seeded.campaignId);
    expect(variants.map((v) => v.state)).toEqual(['ready', 'ready', 'ready', 'ready']);
    expect(variants.every((v) => v.provider === 'gemini-veo' && v.model === VEO)).toBe(true);
    // The variant carries the address of the clip the second provider made.
    expect(variants.every((v) => v.prompt_hash === v.clip_hash)).toBe(true);
    // fal was tried (3 times per clip at least) and made nothing; Veo made each unique prompt exactly once.
    const prompts = [...new Set(variants.map((v) => v.prompt))];
    expect(prompts).toHaveLength(2);
    for (const prompt of prompts) {
      const tries = fal.requests.filter(
        (r) => r.method === 'POST' && (r.body as { prompt?: string }).prompt === prompt,
      );
      expect(tries.length).toBeGreaterThanOrEqual(3);
      expect([...gemini.operations.values()].filter((o) => o.prompt === prompt)).toHaveLength(1);
    }
    expect(fal.submitted()).toHaveLength(0);
    const clips = await sql<{ generations: number }>(
      api.config.DATABASE_URL!,
      `SELECT generations FROM clip WHERE generator = 'gemini-veo'`,
    );
    expect(clips.map((c) => c.generations)).toEqual([1, 1]);

    // Spend per provider = the seconds Veo was asked for × the configured price.
    const seconds = [...gemini.operations.values()]
      .filter((o) => prompts.includes(o.prompt))
      .reduce((sum, o) => sum + Number(o.parameters.durationSeconds), 0);
    expect(seconds).toBe(8);
    const expected = [
      { provider: 'gemini-veo', model: VEO, clips: 2, generationSeconds: seconds, cost: seconds * 0.15 },
    ];
    const progress = await api.request('GET', `/v1/campaigns/${seeded.campaignId}/progress`, {
      key: marketer,
    });
    expect(progress.body.generationByProvider).toEqual(expected);
    expect(progress.body.generationCost).toBeCloseTo(1.2, 6);
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await fetch(
      `${(await api.app.getUrl()).replace('[::1]', '127.0.0.1')}/v1/campaigns/${seeded.campaignId}/progress/stream`,
      { headers: { authorization: `Bearer ${marketer}` } },
    );
    const events = (await stream.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)));
    expect(events.at(-1)).toMatchObject({ status: 'review', generationByProvider: expected });
    const report = await api.request('GET', `/v1/campaigns/${seeded.campaignId}/report?by=variant`, {
      key: analyst,
    });
    expect(report.status).toBe(200);
    expect(report.body.generationByProvider).toEqual(expected);
  }, 180_000);

  it('fails a variant the first provider refuses, with its reason, without trying the next', async () => {
    fal.setSubmitStatus(undefined);
    const seeded = await seedCampaign(api.config.DATABASE_URL!, {
      prompts: ['A forbidden scene [refuse]'],
      segments: [{ key: 'refused', name: 'Refused', locales: ['en-US'], attributes: {} }],
      durationMs: 3000,
      generator: 'fal',
      fallbacks: ['gemini-veo'],
    });
    await api.request('POST', `/v1/campaigns/${seeded.campaignId}/generate`, { key: marketer });
    await waveDone(seeded.campaignId);
    const [variant] = await variantsOf(seeded.campaignId);
    expect(variant.state).toBe('failed');
    expect(variant.failure_reason).toContain('content_refused');
    expect(variant.failure_reason).toContain(FAL_REFUSAL_MESSAGE);
    expect(fal.submitted().filter((j) => j.prompt === 'A forbidden scene [refuse]')).toHaveLength(1);
    expect([...gemini.operations.values()].some((o) => o.prompt.includes('forbidden'))).toBe(false);
  }, 120_000);

  it('addresses clips by the resolved model: a new default model makes new clips, the same one reuses them', async () => {
    fal.setSubmitStatus(undefined);
    const options = twins('models', ['Harbour at dusk for {{segment.attributes.sport}}']);
    const first = await seedCampaign(api.config.DATABASE_URL!, { ...options, generator: 'fal' });
    const planned = await api.request('POST', `/v1/campaigns/${first.campaignId}/generate`, {
      key: marketer,
    });
    expect(planned.body).toMatchObject({
      uniquePrompts: 1,
      cachedPrompts: 0,
      route: [{ provider: 'fal', model: 'wan-2.2' }],
    });
    await waveDone(first.campaignId);
    const made = await variantsOf(first.campaignId);
    expect(made.every((v) => v.state === 'ready' && v.provider === 'fal' && v.model === 'wan-2.2')).toBe(
      true,
    );
    const wanJobs = fal.submitted().filter((j) => j.prompt.startsWith('Harbour at dusk'));
    expect(wanJobs.map((j) => j.endpoint)).toEqual(['fal-ai/wan/v2.2-a14b/text-to-video']);

    // Same settings: the clip is in the cache.
    const again = await seedCampaign(api.config.DATABASE_URL!, {
      ...options,
      generator: 'fal',
      segments: options.segments.map((s) => ({ ...s, key: `${s.key}-2` })),
    });
    const reused = await api.request('POST', `/v1/campaigns/${again.campaignId}/generate`, { key: marketer });
    expect(reused.body).toMatchObject({ uniquePrompts: 1, cachedPrompts: 1, generationSeconds: 0 });
    await waveDone(again.campaignId);
    expect(fal.submitted().filter((j) => j.prompt.startsWith('Harbour at dusk'))).toHaveLength(1);

    // Another configured default model: a new address, so a new clip is needed (planned by an API with that setting).
    const ltxConfig = Object.freeze({
      ...api.config,
      FAL_MODEL: 'ltx-video',
      QUEUE_PREFIX: `${api.config.QUEUE_PREFIX}ltx`,
    });
    const ltxApi = await createApi(ltxConfig, { logs: false });
    try {
      const third = await seedCampaign(api.config.DATABASE_URL!, {
        ...options,
        generator: 'fal',
        segments: options.segments.map((s) => ({ ...s, key: `${s.key}-3` })),
      });
      const res = await ltxApi.inject({
        method: 'POST',
        url: `/v1/campaigns/${third.campaignId}/generate`,
        headers: { authorization: `Bearer ${marketer}` },
      });
      expect(res.json()).toMatchObject({
        uniquePrompts: 1,
        cachedPrompts: 0,
        route: [{ provider: 'fal', model: 'ltx-video' }],
      });
      const [wan] = await variantsOf(first.campaignId);
      const [ltx] = await variantsOf(third.campaignId);
      expect(ltx.prompt).toBe(wan.prompt);
      expect(ltx.prompt_hash).not.toBe(wan.prompt_hash);
    } finally {
      await ltxApi.close();
    }
  }, 180_000);
});
