import { planSegments } from './optimize';
import { EngagementCounts } from './posteriors';

const row = (variantId: string, segment: string, impressions: number, clicks: number): EngagementCounts => ({
  variantId,
  segment,
  impressions,
  starts: 0,
  completes: 0,
  clicks,
  conversions: 0,
});

describe('planSegments', () => {
  it('allocates per segment, names a clear winner and pauses the clear loser', () => {
    const plans = planSegments(
      [
        row('bold', 'gamers', 20_000, 600),
        row('calm', 'gamers', 20_000, 300),
        row('bold', 'parents', 150, 2),
        row('calm', 'parents', 150, 3),
      ],
      'ctr',
    );
    const gamers = plans.find((plan) => plan.segment === 'gamers')!;
    expect(gamers.burnIn).toBe(false);
    expect(gamers.winner).toBe('bold');
    expect(gamers.pauseCandidates).toEqual(['calm']);
    expect(gamers.arms.map((arm) => arm.weight)).toEqual([expect.closeTo(0.99, 6), expect.closeTo(0.01, 6)]);

    const parents = plans.find((plan) => plan.segment === 'parents')!;
    expect(parents.winner).toBeNull();
    expect(parents.pauseCandidates).toEqual([]);
    // Pooling pulls each variant's sparse "parents" cell toward its own rate elsewhere (3% vs 1.5%).
    const bold = parents.arms.find((arm) => arm.variantId === 'bold')!;
    const calm = parents.arms.find((arm) => arm.variantId === 'calm')!;
    expect(bold.mean).toBeGreaterThan(calm.mean);
    expect(bold.probabilityBest + calm.probabilityBest).toBeCloseTo(1, 6);
  });

  it('keeps equal weights while a segment is in burn-in', () => {
    const [plan] = planSegments([row('a', 'all', 80, 10), row('b', 'all', 500, 1)], 'ctr');
    expect(plan.burnIn).toBe(true);
    expect(plan.arms.map((arm) => arm.weight)).toEqual([0.5, 0.5]);
  });
});
