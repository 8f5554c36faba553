import { INestApplicationContext } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROCEDURAL_MODEL } from '@adloom/generation';
import { baseClipSize, promptHash } from '@adloom/planner';
import { generateSigningKey, verifySignedManifest } from '@adloom/provenance';
import { ObjectStore } from '@adloom/storage';
import { createWorker } from '../apps/worker/src/worker';
import { TestApi } from './support/harness';
import { eventually, seedCampaign, sql } from './support/fixtures';

const run = promisify(execFile);
const FORMATS = ['9x16', '1x1', '16x9', '4x5'] as const;
const SIZES: Record<string, [number, number]> = {
  '9x16': [1080, 1920],
  '1x1': [1080, 1080],
  '16x9': [1920, 1080],
  '4x5': [1080, 1350],
};
const DURATION_MS = 2500;

interface RenderRow {
  id: string;
  variant_id: string;
  format: string;
  s3_key: string;
  width: number;
  height: number;
  bytes: string;
  sha256: string;
  poster_key: string;
  captions_vtt_key: string;
  captions_srt_key: string;
  manifest_key: string;
  manifest: unknown;
}

interface Probe {
  streams: {
    codec_type: string;
    codec_name: string;
    profile?: string;
    pix_fmt?: string;
    width?: number;
    height?: number;
  }[];
  format: { duration: string; tags?: Record<string, string> };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function ffprobe(file: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    file,
  ]);
  return JSON.parse(stdout) as Probe;
}

/** The top-level boxes of an MP4, in file order. */
function topLevelAtoms(bytes: Buffer): string[] {
  const types: string[] = [];
  for (let offset = 0; offset + 8 <= bytes.length;) {
    let size = bytes.readUInt32BE(offset);
    if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
    if (size === 0) size = bytes.length - offset;
    types.push(bytes.toString('latin1', offset + 4, offset + 8));
    if (size < 8) break;
    offset += size;
  }
  return types;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function waveDone(api: TestApi, campaignId: string, timeoutMs: number) {
  return eventually(
    async () => {
      const [row] = await sql<{ status: string }>(
        api.config.DATABASE_URL!,
        'SELECT status FROM campaign WHERE id = $1',
        [campaignId],
      );
      return row.status === 'review' ? row : undefined;
    },
    timeoutMs,
    'the wave to complete',
  );
}

describe('compose and provenance', () => {
  const signer = generateSigningKey();
  let api: TestApi;
  let worker: INestApplicationContext;
  let store: ObjectStore;
  let scratch: string;
  let marketer: string;
  let analyst: string;
  let platform: string;
  let outsider: string;
  let workspaceId: string;
  let campaignId: string;
  let renders: RenderRow[];
  const bytesOf = new Map<string, Buffer>();

  beforeAll(async () => {
    api = await TestApi.start({ PROVENANCE_SIGNING_KEY: signer.privateKeyPem });
    worker = await createWorker(api.config, ['generate', 'compose', 'wave', 'webhooks'], { logs: false });
    store = api.app.get(ObjectStore);
    scratch = await mkdtemp(path.join(tmpdir(), 'adloom-compose-e2e-'));
    marketer = await api.key('marketer');
    analyst = await api.key('analyst');
    platform = await api.key('platform');
    outsider = await api.key('platform', 'elsewhere');

    const seeded = await seedCampaign(api.config.DATABASE_URL!, {
      prompts: ['A trail runner crossing a ridge at first light'],
      segments: [{ key: 'runners', name: 'Runners', locales: ['en-US'], attributes: {} }],
      formats: [...FORMATS],
      durationMs: DURATION_MS,
    });
    workspaceId = seeded.workspaceId;
    campaignId = seeded.campaignId;
    const res = await api.request('POST', `/v1/campaigns/${campaignId}/generate`, { key: marketer });
    expect(res.status).toBe(202);
    await waveDone(api, campaignId, 90_000);
    renders = await sql<RenderRow>(
      api.config.DATABASE_URL!,
      `SELECT id, variant_id, format, s3_key, width, height, bytes, sha256, poster_key, captions_vtt_key,
              captions_srt_key, manifest_key, manifest
       FROM render WHERE campaign_id = $1 ORDER BY format`,
      [campaignId],
    );
    for (const render of renders) bytesOf.set(render.format, await readAll(await store.get(render.s3_key)));
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const renderOf = (format: string) => renders.find((render) => render.format === format)!;

  it('makes every format, each passing ffprobe for its platform spec, hashed as recorded', async () => {
    const [variant] = await sql<{ state: string; failure_reason: string | null }>(
      api.config.DATABASE_URL!,
      'SELECT state, failure_reason FROM variant WHERE campaign_id = $1',
      [campaignId],
    );
    expect(variant).toEqual({ state: 'ready', failure_reason: null });
    expect(renders.map((render) => render.format).sort()).toEqual([...FORMATS].sort());

    for (const render of renders) {
      const bytes = bytesOf.get(render.format)!;
      expect(sha256(bytes)).toBe(render.sha256);
      expect(bytes.length).toBe(Number(render.bytes));

      const file = path.join(scratch, `${render.format}.mp4`);
      await writeFile(file, bytes);
      const probe = await ffprobe(file);
      const video = probe.streams.find((stream) => stream.codec_type === 'video')!;
      const audio = probe.streams.find((stream) => stream.codec_type === 'audio');
      const [width, height] = SIZES[render.format];
      expect({ format: render.format, ...video }).toMatchObject({
        format: render.format,
        codec_name: 'h264',
        profile: 'High',
        pix_fmt: 'yuv420p',
        width,
        height,
      });
      expect([render.width, render.height]).toEqual([width, height]);
      expect(Math.abs(Number(probe.format.duration) - DURATION_MS / 1000)).toBeLessThanOrEqual(0.1);
      expect(audio?.codec_name).toBe('aac');
      const atoms = topLevelAtoms(bytes);
      expect(atoms).toContain('mdat');
      expect(atoms.indexOf('moov')).toBeGreaterThanOrEqual(0);
      expect(atoms.indexOf('moov')).toBeLessThan(atoms.indexOf('mdat'));
      expect(probe.format.tags?.comment).toBe(`adloom:render=${render.variant_id}`);

      const poster = await readAll(await store.get(render.poster_key));
      expect(poster.subarray(0, 3).toString('hex')).toBe('ffd8ff');
      expect((await store.head(render.poster_key))?.contentType).toBe('image/jpeg');

      const manifestObject = JSON.parse(
        (await readAll(await store.get(render.manifest_key))).toString('utf8'),
      );
      expect(manifestObject).toEqual(render.manifest);
    }

    const vtt = (await readAll(await store.get(renders[0].captions_vtt_key))).toString('utf8');
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    expect(vtt).toContain('Ready when you are');
    const srt = (await readAll(await store.get(renders[0].captions_srt_key))).toString('utf8');
    expect(srt).toMatch(/^1\r?\n00:00:00,000 --> /);
  });

  it('shows a render its signed manifest and a check of the stored bytes', async () => {
    const render = renderOf('9x16');
    for (const key of [marketer, analyst, platform]) {
      const res = await api.request('GET', `/v1/renders/${render.id}/provenance`, { key });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        renderId: render.id,
        variantId: render.variant_id,
        campaignId,
        format: '9x16',
        sha256: render.sha256,
        verification: {
          verdict: 'valid',
          reason: 'signature_valid',
          sha256: render.sha256,
          keyId: signer.keyId,
        },
      });
      expect(res.body.manifest.manifest.hash).toEqual({ alg: 'sha256', value: render.sha256 });
      expect(verifySignedManifest(res.body.manifest, [signer.publicKeyPem])).toEqual({
        status: 'valid',
        keyId: signer.keyId,
      });
    }
    const elsewhere = await api.request('GET', `/v1/renders/${render.id}/provenance`, { key: outsider });
    expect(elsewhere.status).toBe(404);
    const malformed = await api.request('GET', '/v1/renders/not-a-uuid/provenance', { key: marketer });
    expect(malformed.status).toBe(400);
  });

  it('verifies an untouched render as valid, one flipped byte as tampered, an unrelated file as unknown', async () => {
    const render = renderOf('1x1');
    const original = bytesOf.get('1x1')!;
    const upload = (payload: Buffer, key = platform, type = 'video/mp4') =>
      api.request('POST', '/v1/provenance/verify', { key, payload, headers: { 'content-type': type } });

    const valid = await upload(original, marketer);
    expect(valid.status).toBe(200);
    expect(valid.body).toMatchObject({
      verdict: 'valid',
      sha256: render.sha256,
      renderId: render.id,
      variantId: render.variant_id,
      format: '1x1',
      keyId: signer.keyId,
      owned: true,
      campaignId,
    });
    expect(valid.body.manifest).toEqual(render.manifest);

    // Another workspace learns that the file is authentic and which render it is, not the campaign behind it.
    const seenElsewhere = await upload(original, outsider, 'application/octet-stream');
    expect(seenElsewhere.body).toMatchObject({ verdict: 'valid', renderId: render.id, owned: false });
    expect(seenElsewhere.body.manifest).toBeUndefined();
    expect(seenElsewhere.body.campaignId).toBeUndefined();

    // One byte flipped in the middle of the picture data; the metadata still names the variant.
    const flipped = Buffer.from(original);
    const middle = Math.floor(flipped.length * 0.7);
    flipped[middle] ^= 0xff;
    const tampered = await upload(flipped, marketer);
    expect(tampered.status).toBe(200);
    expect(tampered.body).toMatchObject({
      verdict: 'tampered',
      reason: 'hash_mismatch',
      sha256: sha256(flipped),
      reference: render.variant_id,
      renderId: render.id,
      format: '1x1',
      expectedSha256: render.sha256,
    });

    const other = path.join(scratch, 'unrelated.mp4');
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=10:duration=0.5',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-y',
      other,
    ]);
    const unknown = await upload(await readFile(other));
    expect(unknown.body).toMatchObject({ verdict: 'unknown', reason: 'no_manifest', owned: false });
    expect(unknown.body.renderId).toBeUndefined();

    const notMedia = await upload(randomBytes(4096), platform, 'application/octet-stream');
    expect(notMedia.body).toMatchObject({ verdict: 'unknown', reason: 'no_manifest' });
  });

  it('verifies a hash sent as JSON', async () => {
    const render = renderOf('16x9');
    const verify = (body: unknown, key = analyst) =>
      api.request('POST', '/v1/provenance/verify', { key, body });

    const valid = await verify({ sha256: render.sha256.toUpperCase() });
    expect(valid.status).toBe(200);
    expect(valid.body).toMatchObject({ verdict: 'valid', sha256: render.sha256, renderId: render.id });

    const random = await verify({ sha256: randomBytes(32).toString('hex') });
    expect(random.body).toMatchObject({ verdict: 'unknown', reason: 'no_manifest' });

    const bad = await verify({ sha256: 'abc' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', field: 'sha256' });
  });

  it('refuses uploads it cannot take, and callers without a key', async () => {
    const post = (options: Parameters<TestApi['request']>[2]) =>
      api.request('POST', '/v1/provenance/verify', options);
    const anonymous = await post({ body: { sha256: renders[0].sha256 } });
    expect(anonymous.status).toBe(401);

    const empty = await post({
      key: platform,
      payload: Buffer.alloc(0),
      headers: { 'content-type': 'video/mp4' },
    });
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('empty_upload');

    const huge = await post({
      key: platform,
      payload: Buffer.alloc(1024),
      headers: { 'content-type': 'video/mp4', 'content-length': String(201 * 1024 * 1024) },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('upload_too_large');

    const text = await post({ key: platform, payload: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);

    const replayable = await post({
      key: platform,
      payload: bytesOf.get('1x1')!,
      headers: { 'content-type': 'video/mp4', 'idempotency-key': 'verify-1' },
    });
    expect(replayable.status).toBe(400);
    expect(replayable.body.field).toBe('Idempotency-Key');
  });

  it('documents both routes in the OpenAPI document', async () => {
    const docs = await api.request('GET', '/docs-json');
    expect(docs.body.paths['/v1/renders/{id}/provenance'].get).toBeDefined();
    const verify = docs.body.paths['/v1/provenance/verify'].post;
    expect(Object.keys(verify.requestBody.content)).toEqual(
      expect.arrayContaining(['application/json', 'video/mp4', 'application/octet-stream']),
    );
  });

  it('calls a render rewritten in storage tampered on its provenance page', async () => {
    const render = renderOf('4x5');
    const altered = Buffer.from(bytesOf.get('4x5')!);
    altered[Math.floor(altered.length / 2)] ^= 0x01;
    await store.put(render.s3_key, altered, { contentType: 'video/mp4' });

    const res = await api.request('GET', `/v1/renders/${render.id}/provenance`, { key: marketer });
    expect(res.body.sha256).toBe(render.sha256);
    expect(res.body.verification).toEqual({
      verdict: 'tampered',
      reason: 'hash_mismatch',
      sha256: sha256(altered),
      keyId: signer.keyId,
      expectedSha256: render.sha256,
    });
  });

  it('fails a variant whose clip is empty or not media, says why, and leaves nothing in S3', async () => {
    const cases = [
      // Not random bytes: now and then those parse as some audio format, which fails differently.
      {
        prompt: 'A climber on a granite wall, wide shot',
        clip: Buffer.alloc(64 * 1024, 'not a video; '),
        why: /Invalid data/,
      },
      { prompt: 'A cyclist on a coastal road, drone shot', clip: Buffer.alloc(0), why: /empty \(0 bytes\)/ },
    ];
    const campaigns: { campaignId: string; clipKey: string; hash: string }[] = [];
    for (const [index, example] of cases.entries()) {
      // A clip the cache says is ready, so generation reuses it and compose receives these bytes.
      const hash = promptHash(
        'procedural',
        PROCEDURAL_MODEL,
        { durationMs: DURATION_MS, ...baseClipSize([...FORMATS]) },
        example.prompt,
      );
      const clipKey = `clips/${workspaceId}/${hash}.mp4`;
      await store.put(clipKey, example.clip, { contentType: 'video/mp4' });
      await sql(
        api.config.DATABASE_URL!,
        `INSERT INTO clip (workspace_id, prompt_hash, generator, model, status, s3_key, sha256, bytes, width, height,
                           duration_ms)
         VALUES ($1, $2, 'procedural', $7, 'ready', $3, $4, $5, 1280, 720, $6)`,
        [
          workspaceId,
          hash,
          clipKey,
          sha256(example.clip),
          example.clip.length,
          DURATION_MS,
          PROCEDURAL_MODEL,
        ],
      );
      const seeded = await seedCampaign(api.config.DATABASE_URL!, {
        prompts: [example.prompt],
        segments: [{ key: `broken-${index}`, name: 'Broken', locales: ['en-US'], attributes: {} }],
        formats: [...FORMATS],
        durationMs: DURATION_MS,
      });
      const res = await api.request('POST', `/v1/campaigns/${seeded.campaignId}/generate`, { key: marketer });
      expect(res.status).toBe(202);
      campaigns.push({ campaignId: seeded.campaignId, clipKey, hash });
    }

    for (const [index, { campaignId: id, clipKey, hash }] of campaigns.entries()) {
      await waveDone(api, id, 30_000);
      const [variant] = await sql<{ state: string; failure_reason: string; prompt_hash: string }>(
        api.config.DATABASE_URL!,
        'SELECT state, failure_reason, prompt_hash FROM variant WHERE campaign_id = $1',
        [id],
      );
      expect(variant.prompt_hash).toBe(hash);
      expect(variant.state).toBe('failed');
      expect(variant.failure_reason).toContain(`the generated clip ${clipKey} is not readable media`);
      expect(variant.failure_reason).toMatch(cases[index].why);
      expect(variant.failure_reason).not.toContain(tmpdir());
      expect(await store.list(`renders/${workspaceId}/${id}/`)).toEqual([]);
      const rows = await sql(api.config.DATABASE_URL!, 'SELECT id FROM render WHERE campaign_id = $1', [id]);
      expect(rows).toEqual([]);
      // The cache no longer offers the broken clip: the next wave with this prompt generates it again.
      const [clip] = await sql<{ status: string }>(
        api.config.DATABASE_URL!,
        'SELECT status FROM clip WHERE workspace_id = $1 AND prompt_hash = $2',
        [workspaceId, hash],
      );
      expect(clip.status).toBe('failed');
    }
  }, 60_000);
});
