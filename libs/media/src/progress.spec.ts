import { createProgressReader } from './progress';

describe('createProgressReader', () => {
  it('turns out_time_us into rising fractions, split across chunks, and ends at 1', () => {
    const seen: number[] = [];
    const read = createProgressReader(4000, (fraction) => seen.push(fraction));
    read('frame=10\nout_time_us=1000');
    read('000\nprogress=continue\nout_time_us=500000\n');
    read('out_time_ms=3000000\nout_time_us=N/A\nprogress=continue\n');
    read('out_time_us=4000000\nprogress=end\n');
    expect(seen).toEqual([0.25, 0.75, 0.999, 1]);
  });

  it('reports only the end when the duration is unknown', () => {
    const seen: number[] = [];
    const read = createProgressReader(0, (fraction) => seen.push(fraction));
    read('out_time_us=1000000\nprogress=end\n');
    expect(seen).toEqual([1]);
  });
});
