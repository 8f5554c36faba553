import { SingleBar } from 'cli-progress';
import { loadExample } from '@adloom/campaigns';
import { SeededRandom } from '@adloom/optimizer';

/** Click-through rates the simulated audience has: one variant per segment is planted three times better. */
const PLANTED_CTR = 0.06;
const BASE_CTR = 0.02;
const IMPRESSIONS_PER_ROUND = 300;
const MAX_ROUNDS = 20;
const CONCURRENCY = 16;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

class Client {
  constructor(
    readonly base: string,
    private readonly key: string,
  ) {}

  async call(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Json> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        accept,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
    return accept === 'application/json' && text ? JSON.parse(text) : { text };
  }
}

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const bar = (weight: number, width = 20) => '█'.repeat(Math.round(weight * width)).padEnd(width, '·');

export interface DemoKeys {
  marketer: string;
  platform: string;
  analyst: string;
  admin: string;
}

/**
 * The whole loop as a newcomer sees it: the example loaded through the API, every variant generated
 * and composed, approved and launched, then an ad platform that pulls ads by segment from the edge
 * (JSON, and VAST through a tag URL with no header), fires tracking pixels from an audience with a
 * planted winner, and the optimiser moving the weights.
 */
export async function runDemo(
  base: string,
  edgeBase: string,
  keys: DemoKeys,
  log: (line: string) => void,
): Promise<{ ok: boolean }> {
  const marketer = new Client(base, keys.marketer);
  const platform = new Client(edgeBase, keys.platform);
  const analyst = new Client(base, keys.analyst);

  log('\n1. Loading the example brand kit, templates and segments through the API');
  const example = await loadExample({ baseUrl: base, key: keys.marketer });
  const campaignId = example.campaignId!;
  log(
    `   ${Object.keys(example.templates).length} templates, ${Object.keys(example.segments).length} segments, campaign ${campaignId}`,
  );

  log('\n2. Generating every variant (procedural generator) and composing every format');
  const campaign = await marketer.call('GET', `/v1/campaigns/${campaignId}`);
  if (campaign.status === 'draft') {
    const plan = await marketer.call('POST', `/v1/campaigns/${campaignId}/generate`);
    log(`   planned ${plan.variants} variants from ${plan.uniquePrompts} unique prompts`);
  }
  await follow(marketer, campaignId, log);

  log('\n3. Approving and launching');
  const approved = await marketer.call('POST', `/v1/campaigns/${campaignId}/variants/approve`, {});
  log(`   approved ${approved.approved ?? approved.count ?? approved.items?.length ?? 'all ready'} variants`);
  await marketer.call('POST', `/v1/campaigns/${campaignId}/launch`);

  const variants: Json[] = [];
  for (let cursor: string | null = null; ;) {
    const page: Json = await marketer.call(
      'GET',
      `/v1/campaigns/${campaignId}/variants?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    variants.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  const segmentKeys = Object.keys(example.segments);
  const segmentOf = (v: Json) =>
    v.segmentKey ?? v.segment?.key ?? segmentKeys.find((k) => example.segments[k] === v.segmentId);
  const planted = new Map<string, string>();
  for (const [i, key] of segmentKeys.entries()) {
    const mine = variants.filter((v) => segmentOf(v) === key && v.state === 'approved');
    if (mine.length) planted.set(key, mine[(i + 1) % mine.length].id);
  }

  log('\n4. Playing an ad platform: ads by segment, VAST, tracking pixels; the optimiser moves the weights');
  for (const key of segmentKeys) {
    const tag = await marketer.call('POST', `/v1/campaigns/${campaignId}/tags`, {
      segment: key,
      format: '9x16',
    });
    const vastUrl = String(tag.vastUrl)
      .replace('[CACHEBUSTING]', String(Date.now()))
      .replace('[TIMESTAMP]', encodeURIComponent(new Date().toISOString()));
    const vast = await fetch(vastUrl);
    const xml = await vast.text();
    if (!vast.ok) throw new Error(`GET ${tag.vastUrl} → ${vast.status}: ${xml.slice(0, 300)}`);
    log(
      `   VAST tag for ${key} (no header): ${xml.length} bytes, ${(xml.match(/<MediaFile /g) ?? []).length} media files, ` +
        `${(xml.match(/<Tracking /g) ?? []).length} tracking events`,
    );
  }
  const random = new SeededRandom(2026);
  let viewer = 0;
  const everWon = new Set<string>();
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const requests = segmentKeys.flatMap((segment) =>
      Array.from({ length: IMPRESSIONS_PER_ROUND }, () => ({ segment, viewer: `viewer-${++viewer}` })),
    );
    await pool(requests, CONCURRENCY, async ({ segment, viewer: id }) => {
      const ad = await platform.call(
        'GET',
        `/v1/delivery/${campaignId}/ad?segment=${segment}&format=9x16&viewer=${id}`,
      );
      const ctr = planted.get(segment) === ad.variantId ? PLANTED_CTR : BASE_CTR;
      const fired = ['impression', 'start'];
      const watched = random.next();
      if (watched < 0.8) fired.push('firstQuartile');
      if (watched < 0.6) fired.push('midpoint');
      if (watched < 0.45) fired.push('thirdQuartile');
      if (watched < 0.35) fired.push('complete');
      if (random.next() < ctr) fired.push('click');
      for (const event of fired)
        await fetch(event === 'click' ? ad.clickUrl : ad.tracking[event], { redirect: 'manual' });
    });
    await new Promise((r) => setTimeout(r, 400)); // pixels are written in batches every 250 ms
    const pass = await marketer.call('POST', `/v1/campaigns/${campaignId}/optimize`);
    for (const s of pass.segments as Json[]) if (s.winner) everWon.add(s.segment);
    log(`   round ${String(round).padStart(2)}: ${round * IMPRESSIONS_PER_ROUND} impressions per segment`);
    for (const s of pass.segments as Json[]) {
      const lead = Object.entries(s.weights as Record<string, number>).sort((a, b) => b[1] - a[1])[0];
      const mark = lead[0] === planted.get(s.segment) ? '(planted)' : '';
      log(
        `     ${s.segment.padEnd(10)} ${bar(lead[1])} ${pct(lead[1]).padStart(6)} to ${lead[0].slice(0, 8)} ${mark}${s.winner ? '  winner' : s.burnIn ? '  burn-in' : ''}`,
      );
    }
    if (segmentKeys.every((k) => everWon.has(k))) break;
  }

  log('\n5. Report (per segment: winner, P(best), CTR with 95% interval)');
  const report = await analyst.call('GET', `/v1/campaigns/${campaignId}/report?by=variant,segment`);
  let ok = true;
  log(
    `   ${'segment'.padEnd(10)} ${'leader'.padEnd(9)} ${'P(best)'.padStart(7)}  ${'CTR'.padStart(6)}  95% interval       planted?`,
  );
  for (const key of segmentKeys) {
    const rows = (report.rows as Json[]).filter((r) => r.segment === key && r.probabilityBest !== null);
    if (!rows.length) continue;
    const leader = rows.reduce((a, b) => ((b.probabilityBest ?? 0) > (a.probabilityBest ?? 0) ? b : a));
    const right = leader.variantId === planted.get(key);
    ok &&= right;
    const interval: [number, number] = leader.posterior.interval;
    log(
      `   ${key.padEnd(10)} ${String(leader.variantId).slice(0, 8).padEnd(9)} ${(leader.probabilityBest ?? 0).toFixed(3).padStart(7)}  ${pct(leader.ctr ?? 0).padStart(6)}  [${pct(interval[0])}, ${pct(interval[1])}]`.padEnd(
        62,
      ) + (right ? 'yes' : 'NO'),
    );
  }
  log(
    report.srmPValue !== undefined ? `   sample-ratio check p = ${Number(report.srmPValue).toFixed(3)}` : '',
  );
  return { ok };
}

/** A progress bar (or, without a terminal, a line every 10%) until the wave is done. */
async function follow(client: Client, campaignId: string, log: (line: string) => void): Promise<void> {
  const tty = Boolean(process.stdout.isTTY);
  const progressBar = tty
    ? new SingleBar({
        format: '   {bar} {percentage}% | {value}/{total} variants | {states}',
        hideCursor: true,
      })
    : null;
  let started = false;
  let lastTenth = -1;
  for (;;) {
    const p = await client.call('GET', `/v1/campaigns/${campaignId}/progress`);
    const states = Object.entries(p.states as Record<string, number>)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    if (progressBar) {
      if (!started) progressBar.start(p.total, p.done, { states });
      else progressBar.update(p.done, { states });
    } else if (Math.floor(p.fraction * 10) > lastTenth) {
      lastTenth = Math.floor(p.fraction * 10);
      log(`   ${Math.round(p.fraction * 100)}% (${p.done}/${p.total}): ${states}`);
    }
    started = true;
    if (p.status !== 'generating') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  progressBar?.stop();
}
