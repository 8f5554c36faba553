import { rateAxisMax, timeTicks } from './ticks';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('time axis ticks', () => {
  it('puts ticks on whole hours within the range, at most as many as asked', () => {
    const ticks = timeTicks(at('2024-11-23T04:59:00Z'), at('2024-11-23T15:59:00Z'), 7);
    expect(ticks.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual([
      '06:00',
      '08:00',
      '10:00',
      '12:00',
      '14:00',
    ]);
  });

  it('aligns to local hours when the zone is not whole hours from UTC', () => {
    const offset = 5.5 * HOUR; // India
    const ticks = timeTicks(at('2024-11-23T00:10:00Z'), at('2024-11-23T03:10:00Z'), 4, offset);
    expect(ticks.map((t) => new Date(t + offset).toISOString().slice(11, 16))).toEqual([
      '06:00',
      '07:00',
      '08:00',
    ]);
  });

  it('steps in days for long ranges', () => {
    const ticks = timeTicks(at('2024-11-01T00:00:00Z'), at('2024-11-30T00:00:00Z'), 6);
    expect(ticks.length).toBeLessThanOrEqual(6);
    expect(ticks.every((t) => new Date(t).getUTCHours() === 0)).toBe(true);
  });
});

describe('rate axis', () => {
  it('leaves room above the largest rate, on a round number', () => {
    expect(rateAxisMax([0.012, 0.045, 0.031])).toBeCloseTo(0.1);
    expect(rateAxisMax([0.6])).toBe(1);
    expect(rateAxisMax([0.11])).toBeCloseTo(0.25);
    expect(rateAxisMax([])).toBe(0.05);
  });
});
