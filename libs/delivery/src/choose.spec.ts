import { randomUUID } from 'node:crypto';
import { buildWeightTable, chooseForViewer, chooseVariant, viewerUnit, WeightTable } from './choose';

const CAMPAIGN = '6f1c2a9e-5b7d-4c1e-9f3a-2d4b6c8e0a11';
const WEIGHTS = [
  { variantId: 'a', weight: 0.5 },
  { variantId: 'b', weight: 0.3 },
  { variantId: 'c', weight: 0.15 },
  { variantId: 'd', weight: 0.05 },
];

function shares(choices: Iterable<string | undefined>): Record<string, number> {
  const counts: Record<string, number> = {};
  let total = 0;
  for (const choice of choices) {
    counts[String(choice)] = (counts[String(choice)] ?? 0) + 1;
    total++;
  }
  return Object.fromEntries(Object.entries(counts).map(([key, count]) => [key, count / total]));
}

function* viewers(count: number, makeId: (index: number) => string) {
  for (let i = 0; i < count; i++) yield makeId(i);
}

describe('chooseVariant', () => {
  it('walks the cumulative weights', () => {
    expect(chooseVariant(WEIGHTS, 0)).toBe('a');
    expect(chooseVariant(WEIGHTS, 0.4999)).toBe('a');
    expect(chooseVariant(WEIGHTS, 0.5)).toBe('b');
    expect(chooseVariant(WEIGHTS, 0.79)).toBe('b');
    expect(chooseVariant(WEIGHTS, 0.81)).toBe('c');
    expect(chooseVariant(WEIGHTS, 0.96)).toBe('d');
    expect(chooseVariant(WEIGHTS, 1 - Number.EPSILON)).toBe('d');
  });

  it('needs no normalised weights', () => {
    expect(
      chooseVariant(
        [
          { variantId: 'x', weight: 3 },
          { variantId: 'y', weight: 1 },
        ],
        0.74,
      ),
    ).toBe('x');
    expect(
      chooseVariant(
        [
          { variantId: 'x', weight: 3 },
          { variantId: 'y', weight: 1 },
        ],
        0.76,
      ),
    ).toBe('y');
  });

  it('never chooses a variant with weight zero', () => {
    const weights = [
      { variantId: 'paused', weight: 0 },
      { variantId: 'live', weight: 1 },
      { variantId: 'paused-too', weight: 0 },
    ];
    for (const rand of [0, 0.25, 0.5, 0.999999]) expect(chooseVariant(weights, rand)).toBe('live');
  });

  it('has nothing to serve when no variant has weight', () => {
    expect(chooseVariant([], 0.3)).toBeUndefined();
    expect(chooseVariant([{ variantId: 'paused', weight: 0 }], 0.3)).toBeUndefined();
  });

  it.each([-0.1, 1, Number.NaN])('refuses the random number %p', (rand) => {
    expect(() => chooseVariant(WEIGHTS, rand)).toThrow(RangeError);
  });

  it.each([-1, Number.NaN, Infinity])('refuses the weight %p', (weight) => {
    expect(() => buildWeightTable([{ variantId: 'a', weight }])).toThrow(RangeError);
  });
});

describe('chooseForViewer', () => {
  it('gives the same viewer the same variant while the weights stand', () => {
    const table = new WeightTable(WEIGHTS);
    for (const viewer of ['v-1', 'v-2', randomUUID(), 'ü-viewer']) {
      const first = chooseForViewer(WEIGHTS, CAMPAIGN, 'young-urban', viewer);
      for (let i = 0; i < 5; i++) expect(table.pickForViewer(CAMPAIGN, 'young-urban', viewer)).toBe(first);
    }
  });

  it.each([
    ['sequential ids', (i: number) => `viewer-${i}`],
    ['numeric ids', (i: number) => String(i)],
    ['UUIDs', () => randomUUID()],
  ])('splits 100k viewers with %s within ±1 point of the weights', (_, makeId) => {
    const table = buildWeightTable(WEIGHTS);
    const split = shares(
      [...viewers(100_000, makeId)].map((viewer) => table.pickForViewer(CAMPAIGN, 'young-urban', viewer)),
    );
    for (const { variantId, weight } of WEIGHTS)
      expect(Math.abs(split[variantId] - weight)).toBeLessThan(0.01);
  });

  it('splits independently across campaigns and segments', () => {
    const even = buildWeightTable([
      { variantId: 'a', weight: 1 },
      { variantId: 'b', weight: 1 },
    ]);
    let sameInOtherCampaign = 0;
    let sameInOtherSegment = 0;
    const count = 100_000;
    for (let i = 0; i < count; i++) {
      const viewer = `viewer-${i}`;
      const here = even.pickForViewer(CAMPAIGN, 'young-urban', viewer);
      if (even.pickForViewer('other-campaign', 'young-urban', viewer) === here) sameInOtherCampaign++;
      if (even.pickForViewer(CAMPAIGN, 'retirees', viewer) === here) sameInOtherSegment++;
    }
    expect(Math.abs(sameInOtherCampaign / count - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(sameInOtherSegment / count - 0.5)).toBeLessThan(0.01);
  });

  it('keeps most viewers where they were when a weight moves a little', () => {
    const before = buildWeightTable(WEIGHTS);
    const after = buildWeightTable(WEIGHTS.map((w) => (w.variantId === 'a' ? { ...w, weight: 0.52 } : w)));
    let moved = 0;
    for (let i = 0; i < 10_000; i++) {
      const viewer = `viewer-${i}`;
      if (before.pickForViewer(CAMPAIGN, 's', viewer) !== after.pickForViewer(CAMPAIGN, 's', viewer)) moved++;
    }
    expect(moved / 10_000).toBeLessThan(0.05);
  });
});

describe('viewerUnit', () => {
  it('stays in [0, 1) and spreads evenly over ten buckets', () => {
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const unit = viewerUnit(CAMPAIGN, 'seg', `v${i}`);
      if (unit < 0 || unit >= 1) outside++;
      else buckets[Math.floor(unit * 10)]++;
    }
    expect(outside).toBe(0);
    for (const bucket of buckets) expect(Math.abs(bucket / 100_000 - 0.1)).toBeLessThan(0.005);
  });
});
