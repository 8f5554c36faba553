import { PromptError } from './errors';
import { assertContentPolicy, checkContentPolicy, type ContentPolicy } from './policy';

const policy: ContentPolicy = {
  blockedTerms: ['ass', 'cheapest ever', 'Guaranteed'],
  realPeople: [
    { name: 'Beyoncé', consent: false },
    { name: 'Serena Williams', consent: true },
    { name: 'Jean-Luc Godard', consent: false },
  ],
};

describe('checkContentPolicy', () => {
  it('passes clean copy', () => {
    expect(
      checkContentPolicy([{ field: 'headline', text: 'A first-class pass for your classic run' }], policy),
    ).toEqual({
      ok: true,
      violations: [],
    });
  });

  it('matches whole words only: "class", "passage" and "assist" are not "ass"', () => {
    const result = checkContentPolicy(
      [{ field: 'prompt', text: 'Classy bass passage, assist, Glass. Massachusetts' }],
      policy,
    );
    expect(result.ok).toBe(true);
  });

  it('quotes the offending words and the field, ignoring case', () => {
    const result = checkContentPolicy(
      [
        { field: 'headline', text: 'Results GUARANTEED.' },
        { field: 'captions[1]', text: 'Kick ass shoes' },
      ],
      policy,
    );

    expect(result.ok).toBe(false);
    expect(result.violations).toEqual([
      {
        field: 'headline',
        term: 'Guaranteed',
        kind: 'blocked_term',
        match: 'GUARANTEED',
        excerpt: 'Results GUARANTEED.',
        index: 8,
      },
      {
        field: 'captions[1]',
        term: 'ass',
        kind: 'blocked_term',
        match: 'ass',
        excerpt: 'Kick ass shoes',
        index: 5,
      },
    ]);
  });

  it('matches multi-word terms across any spacing', () => {
    const [violation] = checkContentPolicy(
      [{ field: 'cta', text: 'The cheapest\n  ever!' }],
      policy,
    ).violations;

    expect(violation).toMatchObject({ term: 'cheapest ever', match: 'cheapest\n  ever' });
  });

  it('matches names with and without accents, in either direction', () => {
    const withAccent = checkContentPolicy(
      [{ field: 'prompt', text: 'A dancer who looks like Beyoncé.' }],
      policy,
    );
    const withoutAccent = checkContentPolicy(
      [{ field: 'prompt', text: 'dancing like BEYONCE tonight' }],
      policy,
    );
    const decomposed = checkContentPolicy([{ field: 'prompt', text: 'Beyonce\u0301!' }], policy);

    expect(withAccent.violations).toEqual([
      expect.objectContaining({ kind: 'real_person_without_consent', term: 'Beyoncé', match: 'Beyoncé' }),
    ]);
    expect(withoutAccent.violations).toEqual([expect.objectContaining({ match: 'BEYONCE' })]);
    expect(decomposed.violations).toEqual([expect.objectContaining({ match: 'Beyonce\u0301' })]);
  });

  it('allows a real person with recorded consent', () => {
    expect(checkContentPolicy([{ field: 'prompt', text: 'Serena Williams serves' }], policy).ok).toBe(true);
  });

  it('treats letters of any script as word characters', () => {
    const strict: ContentPolicy = { blockedTerms: ['über'], realPeople: [] };

    expect(checkContentPolicy([{ field: 'prompt', text: 'Überall gut' }], strict).ok).toBe(true);
    expect(checkContentPolicy([{ field: 'prompt', text: 'ÜBER alles' }], strict).ok).toBe(false);
    expect(checkContentPolicy([{ field: 'prompt', text: 'Fahrtüber' }], strict).ok).toBe(true);
  });

  it('matches a hyphenated name written with a space', () => {
    const result = checkContentPolicy([{ field: 'prompt', text: 'in the style of jean luc godard' }], policy);

    expect(result.violations).toEqual([
      expect.objectContaining({ term: 'Jean-Luc Godard', match: 'jean luc godard' }),
    ]);
  });

  it('keeps excerpts short around the match in long texts', () => {
    const text = `${'calm '.repeat(40)}results guaranteed${' calm'.repeat(40)}`;
    const [violation] = checkContentPolicy([{ field: 'prompt', text }], policy).violations;

    expect(violation.excerpt.startsWith('…')).toBe(true);
    expect(violation.excerpt.endsWith('…')).toBe(true);
    expect(violation.excerpt).toContain('results guaranteed');
    expect(violation.excerpt.length).toBeLessThan(90);
  });
});

describe('assertContentPolicy', () => {
  it('throws policy_violation with every violation', () => {
    try {
      assertContentPolicy([{ field: 'headline', text: 'Guaranteed, like Beyonce' }], policy);
      throw new Error('expected a violation');
    } catch (error) {
      expect(error).toBeInstanceOf(PromptError);
      const problem = error as PromptError;
      expect(problem.code).toBe('policy_violation');
      expect(problem.status).toBe(422);
      expect(problem.extras.field).toBe('headline');
      expect(problem.extras.violations).toHaveLength(2);
      expect(problem.message).toContain('"Beyonce"');
    }
  });
});
