import { Clock } from '@adloom/common';
import { loadConfig } from '@adloom/config';
import { ObjectStore } from '@adloom/storage';
import { ObjectUrl, RenderUrls } from './render-urls';

const START = Date.UTC(2026, 4, 1, 12, 0, 0, 250);

/** An object store that signs by counting, and a clock moved by hand. */
function setup(settings: Record<string, string> = {}) {
  let now = START;
  const signed: { key: string; ttlMs: number }[] = [];
  const store = {
    presign: async (key: string, ttlMs: number) => {
      signed.push({ key, ttlMs });
      return `https://s3.example/${key}?signature=${signed.length}`;
    },
  } as unknown as ObjectStore;
  const clock = { nowMs: () => now } as Clock;
  const urls = new RenderUrls(loadConfig({ PRESIGN_TTL: '60s', ...settings }), store, clock);
  return { urls, signed, advance: (ms: number) => (now += ms) };
}

const settle = (url: ObjectUrl | Promise<ObjectUrl>) => Promise.resolve(url);

describe('RenderUrls', () => {
  it('signs a render once, then answers from memory until half the lifetime is gone', async () => {
    const { urls, signed, advance } = setup();
    const first = await settle(urls.urlFor('renders/a/9x16.mp4'));
    expect(first).toMatchObject({
      url: 'https://s3.example/renders/a/9x16.mp4?signature=1',
      // From the signing second, as S3 counts it.
      expiresAt: Date.UTC(2026, 4, 1, 12, 1, 0),
      expiresAtIso: '2026-05-01T12:01:00.000Z',
    });
    expect(signed).toEqual([{ key: 'renders/a/9x16.mp4', ttlMs: 60_000 }]);

    advance(29_000);
    const held = urls.urlFor('renders/a/9x16.mp4');
    expect(held).not.toBeInstanceOf(Promise);
    expect(held).toMatchObject({ url: first.url });
    expect(signed).toHaveLength(1);
  });

  it('keeps serving the held URL while a fresh one is signed, then serves the fresh one', async () => {
    const { urls, signed, advance } = setup();
    const first = await settle(urls.urlFor('k'));
    advance(35_000);
    expect(urls.urlFor('k')).toMatchObject({ url: first.url });
    await Promise.resolve();
    expect(signed).toHaveLength(2);
    expect(urls.urlFor('k')).toMatchObject({ url: 'https://s3.example/k?signature=2' });
  });

  it('waits for a fresh URL once three quarters of the lifetime are gone', async () => {
    const { urls, advance } = setup();
    await settle(urls.urlFor('k'));
    advance(50_000);
    const late = urls.urlFor('k');
    expect(late).toBeInstanceOf(Promise);
    const fresh = await late;
    expect(fresh.url).toBe('https://s3.example/k?signature=2');
    expect(fresh.expiresAt! - (START + 50_000)).toBeGreaterThan(59_000);
  });

  it('signs a render requested many times at once only once', async () => {
    const { urls, signed } = setup();
    const all = await Promise.all(Array.from({ length: 20 }, () => settle(urls.urlFor('k'))));
    expect(new Set(all.map((url) => url.url)).size).toBe(1);
    expect(signed).toHaveLength(1);
  });

  it('serves CDN URLs that never expire when PUBLIC_RENDER_BASE_URL is set', () => {
    const { urls, signed } = setup({ PUBLIC_RENDER_BASE_URL: 'https://cdn.example/media/' });
    expect(urls.urlFor('renders/w 1/a+b.mp4')).toEqual({
      url: 'https://cdn.example/media/renders/w%201/a%2Bb.mp4',
      expiresAt: null,
      expiresAtIso: null,
    });
    expect(signed).toHaveLength(0);
  });
});
