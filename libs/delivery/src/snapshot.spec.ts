import { buildSnapshot, CampaignRow, RenderRow } from './snapshot';

const campaign: CampaignRow = {
  id: '6f1c2a9e-5b7d-4c1e-9f3a-2d4b6c8e0a11',
  workspaceId: 'ws',
  status: 'live',
  name: 'Spring',
  landingUrl: 'https://shop.example',
  version: 3,
  formats: ['9x16', '16x9'],
  advertiser: null,
  adVerifications: [],
};

function render(variantId: string, segmentKey: string, format: string): RenderRow {
  return {
    id: `${variantId}-${format}`,
    variantId,
    segmentKey,
    locale: 'en-US',
    headline: null,
    format,
    s3Key: `renders/${variantId}/${format}.mp4`,
    width: 1080,
    height: 1920,
    durationMs: 6000,
    bytes: 1000,
    bitrateKbps: 2000,
    sha256: 'x',
    posterKey: `renders/${variantId}/${format}.jpg`,
    captionsKey: null,
  };
}

const renders = [
  render('a', 'young', '9x16'),
  render('a', 'young', '16x9'),
  render('b', 'young', '9x16'),
  render('c', 'young', '9x16'),
  render('d', 'old', '9x16'),
];

function shares(snapshot: ReturnType<typeof buildSnapshot>, segment: string, format: string) {
  return Object.fromEntries(snapshot.segments.get(segment)!.formats.get(format)!.shares);
}

describe('buildSnapshot', () => {
  it('shares equally among a segment’s variants in each format when there is no allocation', () => {
    const snapshot = buildSnapshot(campaign, 'f', renders, []);
    expect(shares(snapshot, 'young', '9x16')).toEqual({ a: 1 / 3, b: 1 / 3, c: 1 / 3 });
    expect(shares(snapshot, 'young', '16x9')).toEqual({ a: 1 });
    expect(shares(snapshot, 'old', '9x16')).toEqual({ d: 1 });
    expect(snapshot.segments.get('young')!.weighting).toBe('equal');
  });

  it('uses the optimiser’s weights, normalised within each format', () => {
    const snapshot = buildSnapshot(campaign, 'f', renders, [
      { segmentKey: 'young', weights: { a: 0.5, b: 0.3, c: 0.2 } },
    ]);
    expect(shares(snapshot, 'young', '9x16')).toEqual({ a: 0.5, b: 0.3, c: 0.2 });
    expect(shares(snapshot, 'young', '16x9')).toEqual({ a: 1 });
    expect(snapshot.segments.get('young')!.weighting).toBe('allocation');
  });

  it('gives nothing to a variant the allocation leaves out or weighs wrongly', () => {
    const snapshot = buildSnapshot(campaign, 'f', renders, [
      { segmentKey: 'young', weights: { a: 3, b: -1, c: 'lots', gone: 5 } },
    ]);
    expect(shares(snapshot, 'young', '9x16')).toEqual({ a: 1, b: 0, c: 0 });
    const table = snapshot.segments.get('young')!.formats.get('9x16')!.table;
    for (const unit of [0, 0.5, 0.999]) expect(table.pick(unit)).toBe('a');
  });

  it('falls back to equal shares when the allocation weighs none of the servable variants', () => {
    const snapshot = buildSnapshot(campaign, 'f', renders, [
      { segmentKey: 'young', weights: { gone: 1, a: 0 } },
    ]);
    expect(shares(snapshot, 'young', '9x16')).toEqual({ a: 1 / 3, b: 1 / 3, c: 1 / 3 });
  });

  it('holds nothing for a campaign without approved renders', () => {
    expect(buildSnapshot(campaign, 'f', [], []).segments.size).toBe(0);
  });
});
