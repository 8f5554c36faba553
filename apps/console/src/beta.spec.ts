import { betaPdf, densityCurve, plotRange } from './beta';

describe('Beta densities', () => {
  it('gives the textbook densities', () => {
    expect(betaPdf(0.3, { alpha: 1, beta: 1 })).toBeCloseTo(1, 12);
    expect(betaPdf(0.5, { alpha: 2, beta: 2 })).toBeCloseTo(1.5, 12);
    expect(betaPdf(0.25, { alpha: 2, beta: 1 })).toBeCloseTo(0.5, 12);
    expect(betaPdf(1.2, { alpha: 2, beta: 2 })).toBe(0);
  });

  it('integrates to one over the plot range, even for posteriors with thousands of trials', () => {
    const posterior = { alpha: 1 + 61, beta: 1 + 2000 - 61 };
    const range = plotRange([posterior]);
    expect(range[0]).toBeGreaterThan(0.01);
    expect(range[1]).toBeLessThan(0.05);
    const curve = densityCurve(posterior, range, 2001);
    const step = curve[1].x - curve[0].x;
    const area = curve.reduce(
      (sum, point, i) => sum + (i === 0 || i === curve.length - 1 ? 0.5 : 1) * point.y * step,
      0,
    );
    expect(area).toBeCloseTo(1, 3);
  });
});
