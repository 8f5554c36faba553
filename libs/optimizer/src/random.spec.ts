import { SeededRandom, sampleBeta, sampleGamma } from './random';

function moments(draw: () => number, count: number) {
  let mean = 0;
  let squares = 0;
  for (let i = 0; i < count; i++) {
    const value = draw();
    mean += value;
    squares += value * value;
  }
  mean /= count;
  return { mean, variance: squares / count - mean * mean };
}

describe('SeededRandom', () => {
  it('repeats a sequence for a seed and differs across seeds', () => {
    const first = new SeededRandom(42);
    const again = new SeededRandom(42);
    const other = new SeededRandom(43);
    const a = Array.from({ length: 5 }, () => first.nextUint32());
    expect(Array.from({ length: 5 }, () => again.nextUint32())).toEqual(a);
    expect(Array.from({ length: 5 }, () => other.nextUint32())).not.toEqual(a);
  });

  it('draws uniforms strictly inside (0, 1) with mean ½ and variance 1/12', () => {
    const random = new SeededRandom(1);
    let low = 1;
    let high = 0;
    const { mean, variance } = moments(() => {
      const u = random.next();
      low = Math.min(low, u);
      high = Math.max(high, u);
      return u;
    }, 1_000_000);
    expect(low).toBeGreaterThan(0);
    expect(high).toBeLessThan(1);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 12, 3);
  });

  it('draws standard normals', () => {
    const random = new SeededRandom(2);
    const { mean, variance } = moments(() => random.nextNormal(), 1_000_000);
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(variance).toBeCloseTo(1, 2);
  });
});

describe('gamma and beta sampling', () => {
  it.each([0.3, 1, 4.5, 250])('Gamma(%d) has mean and variance equal to its shape', (shape) => {
    const random = new SeededRandom(3);
    const { mean, variance } = moments(() => sampleGamma(random, shape), 400_000);
    expect(Math.abs(mean - shape) / shape).toBeLessThan(0.01);
    expect(Math.abs(variance - shape) / shape).toBeLessThan(0.03);
  });

  it('Beta(4, 4) has mean ½ and variance 1/36', () => {
    const random = new SeededRandom(4);
    const { mean, variance } = moments(() => sampleBeta(random, 4, 4), 400_000);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 36, 3);
  });

  it('rejects a non-positive shape', () => {
    expect(() => sampleGamma(new SeededRandom(5), 0)).toThrow(/positive/);
  });
});
