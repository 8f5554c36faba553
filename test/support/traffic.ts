import { EngagementConsumer } from '@adloom/engagement';
import { TestApi } from './harness';

/**
 * An ad platform's side of a test: ads from the delivery API, engagement into the events API. The one
 * place tests name those routes, so moving them to the edge process is a change here only.
 */
export async function serveAds(
  api: TestApi,
  key: string,
  campaignId: string,
  segment: string,
  count: number,
  format = '1x1',
): Promise<string[]> {
  const served: string[] = [];
  for (let done = 0; done < count; done += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - done) }, () =>
        api.request('GET', `/v1/delivery/${campaignId}/ad?segment=${segment}&format=${format}`, { key }),
      ),
    );
    for (const ad of batch) {
      if (ad.status !== 200) throw new Error(`delivery answered ${ad.status}: ${ad.text}`);
      served.push(ad.body.variantId as string);
    }
  }
  return served;
}

/** Posts events in batches and waits until they are counted; throws unless every one was accepted. */
export async function sendEvents(api: TestApi, key: string, events: object[]): Promise<void> {
  for (let i = 0; i < events.length; i += 5000) {
    const slice = events.slice(i, i + 5000);
    const sent = await api.request('POST', '/v1/events', { key, body: { events: slice } });
    if (sent.status >= 300 || sent.body.accepted !== slice.length)
      throw new Error(`events answered ${sent.status}: ${sent.text}`);
  }
  await api.app.get(EngagementConsumer).drain();
}
