import { betaQuantile } from '@adloom/optimizer';
import { bucketRange, buildTimeseries, RatePoint } from './timeseries';

const header = { campaignId: 'c1', from: null, to: null, segment: null };
const at = (iso: string) => new Date(iso);

describe('buildTimeseries', () => {
  it('puts every variant on one gap-free axis, counting missing buckets as 0', () => {
    const series = buildTimeseries(
      { ...header, metric: 'clicks', bucket: 'hour' },
      [
        { variantId: 'b', bucket: at('2025-03-10T22:00:00Z'), successes: 3, trials: 0 },
        { variantId: 'a', bucket: at('2025-03-11T01:00:00Z'), successes: 5, trials: 0 },
        { variantId: 'a', bucket: at('2025-03-10T23:00:00Z'), successes: 2, trials: 0 },
      ],
      ['a', 'b'],
    );
    expect(series.buckets).toEqual([
      '2025-03-10T22:00:00.000Z',
      '2025-03-10T23:00:00.000Z',
      '2025-03-11T00:00:00.000Z',
      '2025-03-11T01:00:00.000Z',
    ]);
    expect(series.series.map((s) => [s.variantId, s.points.map((p) => p.value)])).toEqual([
      ['a', [0, 2, 0, 5]],
      ['b', [3, 0, 0, 0]],
    ]);
  });

  it('gives rates with the Beta(1 + x, 1 + n − x) band, and no rate where there were no trials', () => {
    const series = buildTimeseries({ ...header, metric: 'ctr', bucket: 'day' }, [
      { variantId: 'a', bucket: at('2025-03-10T00:00:00Z'), successes: 4, trials: 120 },
      { variantId: 'a', bucket: at('2025-03-12T00:00:00Z'), successes: 0, trials: 30 },
    ]);
    const [first, gap, last] = series.series[0].points as RatePoint[];
    expect(first).toMatchObject({
      at: '2025-03-10T00:00:00.000Z',
      value: 4 / 120,
      successes: 4,
      trials: 120,
    });
    expect(first.low).toBeCloseTo(betaQuantile(0.025, { alpha: 5, beta: 117 }), 12);
    expect(first.high).toBeCloseTo(betaQuantile(0.975, { alpha: 5, beta: 117 }), 12);
    expect(gap).toEqual({
      at: '2025-03-11T00:00:00.000Z',
      value: null,
      low: null,
      high: null,
      successes: 0,
      trials: 0,
    });
    expect(last.value).toBe(0);
    expect(last.low).toBeCloseTo(1 - 0.975 ** (1 / 31), 12);
    expect(last.high).toBeCloseTo(1 - 0.025 ** (1 / 31), 12);
  });

  it('is empty without data and refuses a time that is not a bucket start', () => {
    expect(buildTimeseries({ ...header, metric: 'vtr', bucket: 'hour' }, [])).toMatchObject({
      buckets: [],
      series: [],
    });
    expect(() =>
      buildTimeseries({ ...header, metric: 'starts', bucket: 'day' }, [
        { variantId: 'a', bucket: at('2025-03-10T00:00:00Z'), successes: 1, trials: 0 },
        { variantId: 'a', bucket: at('2025-03-11T05:00:00Z'), successes: 1, trials: 0 },
      ]),
    ).toThrow(RangeError);
  });

  it('steps whole days in UTC', () => {
    expect(
      bucketRange(at('2025-03-30T00:00:00Z'), at('2025-04-01T00:00:00Z'), 'day').map((d) => d.toISOString()),
    ).toEqual(['2025-03-30T00:00:00.000Z', '2025-03-31T00:00:00.000Z', '2025-04-01T00:00:00.000Z']);
  });
});
