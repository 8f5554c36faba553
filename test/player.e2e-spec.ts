import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Browser, chromium, Request } from 'playwright-core';
import { Db } from '@adloom/db';
import { EngagementConsumer } from '@adloom/engagement';
import { ObjectStore } from '@adloom/storage';
import { seedCampaign, SeededCampaign, workspaceIdOf } from '../bench/delivery/seed';
import { TestApi } from './support/harness';

const VAST_CLIENT = path.resolve(
  __dirname,
  '../node_modules/@dailymotion/vast-client/dist/vast-client.min.js',
);
const CLIP_SECONDS = 2;

/** A port nobody listens on now, for the edge's public URL (tag URLs must name it before it starts). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The publisher's page, on its own origin: loads the tag with the real VAST client (credentials on,
 * as player SDKs do), plays the first MediaFile in a <video>, and reports impression, quartiles and
 * completion through the client's tracker. `?error=1` reports a VAST error instead of playing.
 */
const PAGE = `<!doctype html>
<html><body><video id="v" muted playsinline width="180" height="320"></video>
<script type="module">
import { VASTClient, VASTTracker } from '/vast-client.js';
const params = new URLSearchParams(location.search);
const tag = params.get('tag')
  .replace('[CACHEBUSTING]', String(Math.floor(Math.random() * 1e8)))
  .replace('[TIMESTAMP]', encodeURIComponent(new Date().toISOString()));
const client = new VASTClient();
try {
  const response = await client.get(tag, { withCredentials: true });
  const ad = response.ads[0];
  const creative = ad.creatives.find((c) => c.type === 'linear');
  const tracker = new VASTTracker(client, ad, creative);
  if (params.get('error')) {
    tracker.error({ ERRORCODE: 405 });
    window.done = { error: true };
  } else {
    const media = creative.mediaFiles[0];
    const video = document.getElementById('v');
    window.media = creative.mediaFiles.map((m) => ({ type: m.mimeType, width: m.width, height: m.height, bitrate: m.bitrate, delivery: m.deliveryType }));
    tracker.trackImpression();
    video.addEventListener('timeupdate', () => tracker.setProgress(video.currentTime));
    video.addEventListener('ended', () => {
      tracker.complete();
      window.done = { played: video.currentTime, src: video.currentSrc, variant: ad.id };
    });
    video.addEventListener('error', () => (window.done = { videoError: video.error && video.error.code }));
    video.src = media.fileURL;
    await video.play();
  }
} catch (error) {
  window.done = { failed: String(error) };
}
</script></body></html>`;

describe('a player page on another origin', () => {
  let api: TestApi;
  let db: Db;
  let campaign: SeededCampaign;
  let page: Server;
  let pageOrigin: string;
  let browser: Browser;
  let workDir: string;

  beforeAll(async () => {
    const edgePort = await freePort();
    api = await TestApi.start({
      EDGE_PORT: String(edgePort),
      PUBLIC_EDGE_URL: `http://127.0.0.1:${edgePort}`,
    });
    await api.edge.app.listen({ port: edgePort, host: '127.0.0.1' });
    db = api.app.get(Db);
    await api.key('platform', 'brand-a');
    campaign = await seedCampaign(db, {
      workspaceId: await workspaceIdOf(db, 'brand-a'),
      segments: ['young-urban'],
      variantsPerSegment: 1,
      formats: ['9x16', '16x9'],
    });

    // A real MP4 for every render, and their durations as they are.
    workDir = mkdtempSync(path.join(tmpdir(), 'adloom-player-'));
    const clip = path.join(workDir, 'clip.mp4');
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=180x320:rate=25:duration=${CLIP_SECONDS}`],
      ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-profile:v', 'high', '-movflags', '+faststart', clip],
    ]);
    const store = api.app.get(ObjectStore);
    for (const render of campaign.variants[0].renders) {
      await store.put(render.s3Key, readFileSync(clip), { contentType: 'video/mp4' });
    }
    await db.query(`UPDATE render SET duration_ms = $2 WHERE variant_id = $1`, [
      campaign.variants[0].id,
      CLIP_SECONDS * 1000,
    ]);

    const script = readFileSync(VAST_CLIENT);
    page = createServer((request, response) => {
      if (request.url?.startsWith('/vast-client.js')) {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      } else response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    await new Promise<void>((resolve) => page.listen(0, 'localhost', resolve));
    pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    page?.closeAllConnections();
    await new Promise((resolve) => page?.close(resolve));
    await api?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  /** Opens the page on the tag; resolves with what it reported and the pixels it fired, once all are answered. */
  async function play(vastUrl: string, query = '', pixels = 0) {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const fired: string[] = [];
    let settle: () => void = () => undefined;
    const allFired = new Promise<void>((resolve) => (settle = resolve));
    if (pixels === 0) settle();
    tab.on('requestfinished', (request: Request) => {
      if (!new URL(request.url()).pathname.startsWith('/t/')) return;
      fired.push(request.url());
      if (fired.length === pixels) settle();
    });
    await tab.goto(`${pageOrigin}/?tag=${encodeURIComponent(vastUrl)}${query}`);
    await tab.waitForFunction(() => (globalThis as unknown as { done?: unknown }).done, undefined, {
      timeout: 30_000,
    });
    const done = await tab.evaluate(() => (globalThis as unknown as { done: Record<string, unknown> }).done);
    const media = await tab.evaluate(() => (globalThis as unknown as { media?: unknown }).media);
    await Promise.race([allFired, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await context.close();
    return { done, media, fired };
  }

  it('loads the tag, plays the MediaFile, fires impression and quartiles, and the report counts them exactly', async () => {
    const marketer = await api.key('marketer', 'brand-a');
    const analyst = await api.key('analyst', 'brand-a');
    const tag = await api.request('POST', `/v1/campaigns/${campaign.campaignId}/tags`, {
      key: marketer,
      body: { segment: 'young-urban' },
    });
    expect(tag.status).toBe(201);

    const { done, media, fired } = await play(tag.body.vastUrl, '', 6);
    expect(done).toMatchObject({ variant: campaign.variants[0].id });
    expect(done.played).toBeGreaterThanOrEqual(CLIP_SECONDS - 0.1);
    expect(String(done.src)).toContain(encodeURI(campaign.variants[0].renders[0].s3Key).split('/').pop());
    expect(media).toEqual([
      { type: 'video/mp4', width: 1080, height: 1920, bitrate: 2000, delivery: 'progressive' },
      { type: 'video/mp4', width: 1920, height: 1080, bitrate: expect.any(Number), delivery: 'progressive' },
    ]);
    expect(fired).toHaveLength(6);

    // Answered pixels are in the engagement stream; the consumer counts them into the rollups.
    await api.app.get(EngagementConsumer).drain();
    const report = await api.request('GET', `/v1/campaigns/${campaign.campaignId}/report?by=variant`, {
      key: analyst,
    });
    expect(report.status).toBe(200);
    const row = report.body.rows.find((r: { variantId: string }) => r.variantId === campaign.variants[0].id);
    expect(row).toMatchObject({ impressions: 1, starts: 1, q25: 1, q50: 1, q75: 1, completes: 1, clicks: 0 });
  }, 90_000);

  it('counts an [ERRORCODE] ping from the player, for the variant', async () => {
    const marketer = await api.key('marketer', 'brand-a');
    const tag = await api.request('POST', `/v1/campaigns/${campaign.campaignId}/tags`, {
      key: marketer,
      body: { segment: 'young-urban' },
    });
    const counted = async () => {
      const text = (await api.edge.app.inject({ method: 'GET', url: '/metrics' })).body;
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('adloom_vast_errors_total{') &&
            l.includes(`variant="${campaign.variants[0].id}"`) &&
            l.includes('code="405"'),
        );
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await counted();
    const { done, fired } = await play(tag.body.vastUrl, '&error=1', 1);
    expect(done).toEqual({ error: true });
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatch(/\?error=405$/);
    expect(await counted()).toBe(before + 1);
  }, 60_000);
});
