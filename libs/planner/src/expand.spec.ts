import { baseClipSize, budgetProblems, estimateSecondsLeft, promptHash } from './expand';

describe('promptHash', () => {
  const params = { durationMs: 6000, width: 1280, height: 720 };

  it('is the same for the same generator, model, parameters and prompt', () => {
    expect(promptHash('procedural', '', params, 'a runner at dawn')).toBe(
      promptHash('procedural', '', { height: 720, width: 1280, durationMs: 6000 }, 'a runner at dawn'),
    );
  });

  it('changes with any of them', () => {
    const base = promptHash('procedural', '', params, 'a runner at dawn');
    expect(promptHash('openai-videos', '', params, 'a runner at dawn')).not.toBe(base);
    expect(promptHash('procedural', 'sora-2', params, 'a runner at dawn')).not.toBe(base);
    expect(promptHash('procedural', '', { ...params, durationMs: 8000 }, 'a runner at dawn')).not.toBe(base);
    expect(promptHash('procedural', '', params, 'a runner at dusk')).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('baseClipSize', () => {
  it('goes vertical when most formats are tall', () => {
    expect(baseClipSize(['9x16', '4x5', '1x1'])).toEqual({ width: 720, height: 1280 });
    expect(baseClipSize(['9x16', '16x9'])).toEqual({ width: 1280, height: 720 });
    expect(baseClipSize(['16x9', '1x1', '9x16', '4x5'])).toEqual({ width: 1280, height: 720 });
  });
});

describe('budgetProblems', () => {
  it('names both caps with their numbers', () => {
    const problems = budgetProblems({
      variants: 24,
      maxVariants: 20,
      uniquePrompts: 18,
      cachedPrompts: 2,
      generationSeconds: 96,
      maxGenerationSeconds: 60,
    });
    expect(problems).toEqual([
      'the plan has 24 variants; the budget allows 20',
      'the plan needs 96 s of generation (16 new clips); the budget allows 60 s',
    ]);
  });

  it('passes a plan within budget', () => {
    expect(
      budgetProblems({
        variants: 4,
        maxVariants: 4,
        uniquePrompts: 4,
        cachedPrompts: 0,
        generationSeconds: 24,
        maxGenerationSeconds: 24,
      }),
    ).toEqual([]);
  });
});

describe('estimateSecondsLeft', () => {
  it('extrapolates from the pace so far', () => {
    expect(estimateSecondsLeft(10, 30, 20_000)).toBe(60);
    expect(estimateSecondsLeft(0, 30, 20_000)).toBeNull();
    expect(estimateSecondsLeft(10, 0, 20_000)).toBe(0);
  });
});

describe('budgetProblems with a money cap', () => {
  const base = {
    variants: 4,
    maxVariants: 10,
    uniquePrompts: 2,
    cachedPrompts: 0,
    generationSeconds: 6,
    maxGenerationSeconds: 100,
  };
  it('refuses a plan whose estimated cost is over the cap, naming the price it used', () => {
    expect(
      budgetProblems({ ...base, estimatedCost: 0.48, maxCost: 0.4, pricedAt: 'fal:wan-2.2 720p at 0.08/s' }),
    ).toEqual(['the plan would cost 0.48 (6 s at fal:wan-2.2 720p at 0.08/s); the budget allows 0.4']);
    expect(budgetProblems({ ...base, estimatedCost: 0.48, maxCost: 0.48 })).toEqual([]);
    expect(budgetProblems({ ...base, estimatedCost: 99, maxCost: null })).toEqual([]);
  });
});

describe('promptHash', () => {
  it('differs by provider and by model, so each one’s clip has its own address', () => {
    const parameters = { durationMs: 3000, width: 1280, height: 720 };
    const wan = promptHash('fal', 'wan-2.2', parameters, 'p');
    expect(promptHash('fal', 'wan-2.2', parameters, 'p')).toBe(wan);
    expect(promptHash('fal', 'ltx-video', parameters, 'p')).not.toBe(wan);
    expect(promptHash('gemini-veo', 'wan-2.2', parameters, 'p')).not.toBe(wan);
  });
});
