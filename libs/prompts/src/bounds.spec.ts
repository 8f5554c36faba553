import { MAX_TEMPLATE_DEPTH, MAX_TEMPLATE_NODES, measureTemplate } from './complexity';
import { PromptError } from './errors';
import { MAX_RENDERED_CHARS, compileTemplate, renderBudget, renderTemplate } from './template';

/** The CPU time `work` takes (this process, user + system), and what it threw. */
function cpu(work: () => unknown): { ms: number; error: unknown } {
  const before = process.cpuUsage();
  let error: unknown;
  try {
    work();
  } catch (caught) {
    error = caught;
  }
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, error };
}

const items = Array.from({ length: 1_000 }, (_, i) => `${'item'.repeat(14)}${String(i).padStart(4, '0')}`);
const context = { segment: { key: 'k', name: 'n', locale: 'en-US', attributes: { items } } };

describe('template bounds', () => {
  beforeAll(() => {
    // Warm the parser and compiler once, so the figures below are the work, not the JIT.
    renderTemplate(
      compileTemplate('{{#each segment.attributes.items}}{{#if @first}}{{this}}{{/if}}{{/each}}'),
      context,
      'en-US',
    );
  });

  it.each([
    ['10,000 nested blocks', `${'{{#if x}}'.repeat(10_000)}x${'{{/if}}'.repeat(10_000)}`],
    ['3,900 nested blocks under 64 KB', `${'{{#if x}}'.repeat(3_900)}x${'{{/if}}'.repeat(3_900)}`],
    ['5,000 nested subexpressions', `{{upper ${'(lower '.repeat(5_000)}x${')'.repeat(5_000)}}}`],
    ['2,000 chained else-ifs', `{{#if a}}a${'{{else if b}}a'.repeat(2_000)}{{/if}}`],
    [
      'nesting hidden in a string literal',
      `{{t "${'{{#if x}}'.repeat(100)}"}}${'{{#if x}}'.repeat(30)}${'{{/if}}'.repeat(30)}`,
    ],
    ['10,000 expressions', '{{x}}'.repeat(10_000)],
  ])('refuses %s at parse, in well under 100 ms of CPU', (_, source) => {
    const { ms, error } = cpu(() => compileTemplate(source));
    expect(error).toBeInstanceOf(PromptError);
    expect((error as PromptError).code).toMatch(/^template_too_(complex|large)$/);
    expect(ms).toBeLessThan(100);
  });

  it('names the limit it passes', () => {
    const deep = `${'{{#if x}}'.repeat(MAX_TEMPLATE_DEPTH + 1)}${'{{/if}}'.repeat(MAX_TEMPLATE_DEPTH + 1)}`;
    expect(() => compileTemplate(deep)).toThrow(
      expect.objectContaining({ extras: { limit: MAX_TEMPLATE_DEPTH, measure: 'depth' } }),
    );
    const wide = '{{x}}'.repeat(MAX_TEMPLATE_NODES + 1);
    expect(() => compileTemplate(wide)).toThrow(
      expect.objectContaining({ extras: { limit: MAX_TEMPLATE_NODES, measure: 'nodes' } }),
    );
  });

  it('takes templates at the limits, and counts only real nesting', () => {
    const deep = `${'{{#if segment.name}}'.repeat(MAX_TEMPLATE_DEPTH)}x${'{{/if}}'.repeat(MAX_TEMPLATE_DEPTH)}`;
    expect(renderTemplate(compileTemplate(deep), context, 'en-US')).toBe('x');
    expect(measureTemplate('{{#if a}}{{else}}{{/if}}{{#if b}}{{^}}{{/if}}')).toEqual({ depth: 1, nodes: 6 });
    expect(measureTemplate('{{#if a}}{{else if b}}{{else if c}}{{/if}}{{x}}')).toEqual({
      depth: 3,
      nodes: 5,
    });
    expect(measureTemplate('\\{{#if a}} {{!-- {{#if b}} --}} {{upper (lower (lower x))}}')).toEqual({
      depth: 2,
      nodes: 4,
    });
  });

  it.each([
    ['a 1,000-item {{#each}} over 64 KB', '{{#each segment.attributes.items}}{{this}} {{/each}}'],
    [
      'a nested {{#each}} writing 1,000,000 items',
      '{{#each segment.attributes.items}}{{#each ../segment.attributes.items}}{{this}}{{/each}}{{/each}}',
    ],
    [
      'a nested {{#each}} writing nothing',
      '{{#each segment.attributes.items}}{{#each ../segment.attributes.items}}{{/each}}{{/each}}',
    ],
    [
      'a wide body in a {{#each}}',
      `{{#each segment.attributes.items}}${'{{#if ../segment.name}}{{/if}}'.repeat(140)}{{/each}}`,
    ],
  ])('stops %s in well under 100 ms of CPU', (_, source) => {
    const compiled = compileTemplate(source);
    // Handlebars compiles on the first render; the cache keeps the compiled form, so time the next.
    expect(() => renderTemplate(compiled, context, 'en-US')).toThrow(PromptError);
    const { ms, error } = cpu(() => renderTemplate(compiled, context, 'en-US'));
    expect(error).toBeInstanceOf(PromptError);
    expect((error as PromptError).code).toBe('render_too_large');
    expect(ms).toBeLessThan(100);
  });

  it('shares one budget across the texts of one ad', () => {
    const compiled = compileTemplate(
      '{{#each segment.attributes.items}}{{#if @first}}{{this}}{{/if}}{{/each}}',
    );
    const budget = renderBudget();
    let renders = 0;
    expect(() => {
      for (;;) {
        renderTemplate(compiled, context, 'en-US', budget);
        renders++;
      }
    }).toThrow(expect.objectContaining({ code: 'render_too_large' }));
    expect(renders).toBeGreaterThan(1);
    expect(renders).toBeLessThan(20);
    expect(renderTemplate(compiled, context, 'en-US')).toBe(items[0]);
  });

  it('refuses a rendered text longer than the limit, even without a loop', () => {
    const compiled = compileTemplate('{{segment.name}}{{segment.name}}');
    const long = { segment: { ...context.segment, name: 'x'.repeat(MAX_RENDERED_CHARS / 2 + 1) } };
    expect(() => renderTemplate(compiled, long, 'en-US')).toThrow(
      expect.objectContaining({ code: 'render_too_large' }),
    );
  });
});
