import { analyzeTemplate } from './analyze';
import { PromptError } from './errors';
import { buildRenderContext, checkDeclaredVariables, type DeclaredVariable } from './variables';

function failure(action: () => unknown): PromptError {
  try {
    action();
  } catch (error) {
    if (error instanceof PromptError) return error;
    throw error;
  }
  throw new Error('expected a PromptError');
}

const declared: DeclaredVariable[] = [
  { name: 'product', type: 'string', default: 'running shoes' },
  { name: 'discount', type: 'number' },
  { name: 'features', type: 'string[]', default: [] },
  { name: 'premium', type: 'boolean', default: false },
];

const segment = {
  key: 'paris-commuters',
  name: 'Paris commuters',
  locale: 'fr-FR',
  attributes: { city: 'Paris', discount: 20, features: ['waterproof', 'light'] },
};

describe('checkDeclaredVariables', () => {
  it('accepts templates that read only declared variables and the context roots', () => {
    const analysis = analyzeTemplate(
      '{{product}} {{discount}} {{#each features}}{{this}}{{/each}} {{features.length}} {{#if premium}}!{{/if}} ' +
        '{{segment.key}} {{segment.attributes.anything.deep}} {{brand.colors.primary}} {{locale}}',
    );
    expect(() => checkDeclaredVariables(analysis, declared)).not.toThrow();
  });

  it('names a variable used but not declared, with its position', () => {
    const error = failure(() =>
      checkDeclaredVariables(analyzeTemplate('{{product}} for\n  {{audience}}'), declared),
    );

    expect(error.code).toBe('unknown_variable');
    expect(error.status).toBe(422);
    expect(error.extras).toMatchObject({ variable: 'audience', line: 2, column: 5 });
    expect(error.message).toContain('"audience"');
  });

  it('lists every unknown variable, including those used inside blocks', () => {
    const error = failure(() =>
      checkDeclaredVariables(
        analyzeTemplate('{{#with offer}}{{title}}{{/with}} {{#each items}}{{x}}{{/each}}'),
        declared,
      ),
    );

    expect(error.extras.variables).toEqual(['offer', 'offer.title', 'items', 'items[].x']);
  });

  it('points a misplaced segment field at segment.attributes', () => {
    const error = failure(() => checkDeclaredVariables(analyzeTemplate('{{segment.city}}'), declared));

    expect(error.code).toBe('unknown_variable');
    expect(error.message).toContain('segment.attributes.city');
  });

  it('refuses a declaration named like a helper or a context root', () => {
    const analysis = analyzeTemplate('{{product}}');
    expect(failure(() => checkDeclaredVariables(analysis, [{ name: 'number', type: 'number' }])).code).toBe(
      'invalid_declaration',
    );
    expect(failure(() => checkDeclaredVariables(analysis, [{ name: 'segment', type: 'string' }])).code).toBe(
      'invalid_declaration',
    );
  });

  it('refuses a default of the wrong type, naming the variable', () => {
    const error = failure(() =>
      checkDeclaredVariables(analyzeTemplate('{{discount}}'), [
        { name: 'discount', type: 'number', default: '10%' },
      ]),
    );

    expect(error.code).toBe('variable_type');
    expect(error.extras.variable).toBe('discount');
  });
});

describe('buildRenderContext', () => {
  it('takes values from segment attributes first, then declared defaults', () => {
    const context = buildRenderContext({ segment, brand: { name: 'Stride' }, declared });

    expect(context).toEqual({
      segment,
      brand: { name: 'Stride' },
      locale: 'fr-FR',
      product: 'running shoes',
      discount: 20,
      features: ['waterproof', 'light'],
      premium: false,
    });
  });

  it('leaves out a declared variable with no value and no default', () => {
    const context = buildRenderContext({
      segment: { ...segment, attributes: {} },
      declared,
      locale: 'en-GB',
    });

    expect('discount' in context).toBe(false);
    expect(context.locale).toBe('en-GB');
  });

  it('refuses a segment attribute of the wrong type, naming the variable and the segment', () => {
    const error = failure(() =>
      buildRenderContext({ segment: { ...segment, attributes: { discount: '20' } }, declared }),
    );

    expect(error.code).toBe('variable_type');
    expect(error.extras).toMatchObject({ variable: 'discount', expected: 'number', actual: 'string' });
    expect(error.message).toContain('paris-commuters');
  });

  it('refuses a list with a non-text item for string[]', () => {
    const error = failure(() =>
      buildRenderContext({ segment: { ...segment, attributes: { features: ['light', 3] } }, declared }),
    );

    expect(error.extras).toMatchObject({ variable: 'features', expected: 'string[]', actual: 'array' });
  });
});
