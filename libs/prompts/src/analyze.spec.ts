import { MAX_TEMPLATE_BYTES, analyzeTemplate } from './analyze';
import { PromptError } from './errors';

function failure(action: () => unknown): PromptError {
  try {
    action();
  } catch (error) {
    if (error instanceof PromptError) return error;
    throw error;
  }
  throw new Error('expected a PromptError');
}

describe('analyzeTemplate', () => {
  describe('syntax errors', () => {
    it('points an unclosed {{#if at the line and column where it opens', () => {
      const error = failure(() =>
        analyzeTemplate('A video about {{product}}\n\n  {{#if segment.attributes.city}}\nin the city\n'),
      );

      expect(error.code).toBe('template_syntax');
      expect(error.status).toBe(422);
      expect(error.extras).toMatchObject({ line: 3, column: 3 });
      expect(error.message).toContain('line 3, column 3');
      expect(error.message).toContain('{{/if}}');
    });

    it('locates an unterminated mustache from the lexer', () => {
      const error = failure(() => analyzeTemplate('first line\nsecond {{product'));

      expect(error.code).toBe('template_syntax');
      expect(error.extras.line).toBe(2);
      expect(error.extras.column).toBeGreaterThanOrEqual(8);
      expect(error.message).toMatch(/line 2, column \d+/);
    });

    it('names both blocks when a block is closed by the wrong name', () => {
      const error = failure(() => analyzeTemplate('x\n{{#if a}}y{{/each}}'));

      expect(error.code).toBe('template_syntax');
      expect(error.extras).toMatchObject({ line: 2, column: 4 });
      expect(error.message).toContain('{{#if}} is closed by {{/each}}');
    });

    it('reports an unclosed comment', () => {
      const error = failure(() => analyzeTemplate('ok\nthen {{!-- never closed'));

      expect(error.code).toBe('template_syntax');
      expect(error.extras).toMatchObject({ line: 2, column: 6 });
    });
  });

  describe('unsafe expressions', () => {
    it.each([
      ['{{constructor.constructor}}', 'constructor'],
      ['{{segment.__proto__.polluted}}', '__proto__'],
      ['{{#with this}}{{__proto__}}{{/with}}', '__proto__'],
      ['{{brand.[prototype]}}', 'prototype'],
      ['{{@root.constructor}}', 'constructor'],
      ['{{upper (default segment.constructor "x")}}', 'constructor'],
      ['{{lookup this "__proto__"}}', '__proto__'],
      ['{{lookup segment "constructor"}}', 'constructor'],
    ])('rejects %s', (source, segment) => {
      const error = failure(() => analyzeTemplate(source));

      expect(error.code).toBe('unsafe_expression');
      expect(error.extras.segment).toBe(segment);
      expect(error.message).toContain(segment);
    });

    it('rejects lookup of a harmless key as an unknown helper', () => {
      const error = failure(() => analyzeTemplate('{{lookup segment "name"}}'));

      expect(error.code).toBe('unknown_helper');
      expect(error.extras.helper).toBe('lookup');
    });

    it('rejects a literal used as a path, which Handlebars would look up as a property name', () => {
      expect(failure(() => analyzeTemplate('{{"constructor"}}')).code).toBe('unsafe_expression');
    });

    it('rejects partials', () => {
      expect(failure(() => analyzeTemplate('{{> header}}')).code).toBe('unsafe_expression');
    });
  });

  describe('helpers', () => {
    it('rejects a helper we do not provide, naming it and its position', () => {
      const error = failure(() => analyzeTemplate('Hi\n{{log "x"}}'));

      expect(error.code).toBe('unknown_helper');
      expect(error.extras).toMatchObject({ helper: 'log', line: 2, column: 1 });
    });

    it('rejects a section block that is not one of the block helpers', () => {
      expect(failure(() => analyzeTemplate('{{#segment}}x{{/segment}}')).code).toBe('unknown_helper');
    });

    it('rejects a helper called with the wrong number of arguments', () => {
      const error = failure(() => analyzeTemplate('{{plural count "item"}}'));

      expect(error.code).toBe('invalid_helper_call');
      expect(error.message).toContain('takes 3 arguments, got 2');
    });

    it('requires a quoted key for t', () => {
      expect(failure(() => analyzeTemplate('{{t greeting}}')).code).toBe('invalid_helper_call');
    });

    it('rejects unknown helper options', () => {
      expect(failure(() => analyzeTemplate('{{number price colour="red"}}')).code).toBe(
        'invalid_helper_call',
      );
    });
  });

  it('lists variables, roots, helpers and message keys, resolving paths inside each and with', () => {
    const analysis = analyzeTemplate(
      [
        '{{t "intro"}} {{upper segment.name}}: {{product}} for {{number price}}.',
        '{{#with segment.attributes}}{{city}}{{/with}}',
        '{{#each features as |feature|}}{{feature.title}} {{@index}} {{../product}}{{/each}}',
        '{{#each segment.attributes.stores}}{{name}}{{else}}{{fallback}}{{/each}}',
        '{{#if brand.tagline}}{{brand.tagline}}{{/if}}',
      ].join('\n'),
    );

    expect(analysis.variables).toEqual([
      'segment.name',
      'product',
      'price',
      'segment.attributes',
      'segment.attributes.city',
      'features',
      'features[].title',
      'segment.attributes.stores',
      'segment.attributes.stores[].name',
      'fallback',
      'brand.tagline',
    ]);
    expect(analysis.roots).toEqual(['segment', 'product', 'price', 'features', 'fallback', 'brand']);
    expect(analysis.helpers).toEqual(['t', 'upper', 'number', 'with', 'each', 'if']);
    expect(analysis.translationKeys).toEqual(['intro']);
    expect(analysis.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(analysis.references.find((reference) => reference.path === 'features[].title')).toMatchObject({
      line: 3,
      column: 34,
    });
  });

  it('refuses a 5 MB template before parsing it', () => {
    const error = failure(() => analyzeTemplate('{{product}} '.repeat((5 * 1024 * 1024) / 12)));

    expect(error.code).toBe('template_too_large');
    expect(error.status).toBe(413);
    expect(error.extras.limit).toBe(MAX_TEMPLATE_BYTES);
  });

  it('accepts a template of exactly the size limit', () => {
    expect(() => analyzeTemplate('x'.repeat(MAX_TEMPLATE_BYTES))).not.toThrow();
    expect(failure(() => analyzeTemplate('é'.repeat(MAX_TEMPLATE_BYTES / 2 + 1))).code).toBe(
      'template_too_large',
    );
  });
});
