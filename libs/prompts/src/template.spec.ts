import { PromptError } from './errors';
import { compileTemplate, renderTemplate } from './template';
import { buildRenderContext } from './variables';

function render(
  source: string,
  context: object,
  locale = 'en-US',
  messages?: Record<string, Record<string, string>>,
) {
  return renderTemplate(compileTemplate(source, { messages, defaultLocale: 'en-US' }), context, locale);
}

function failure(action: () => unknown): PromptError {
  try {
    action();
  } catch (error) {
    if (error instanceof PromptError) return error;
    throw error;
  }
  throw new Error('expected a PromptError');
}

const segment = {
  key: 'berlin-runners',
  name: 'Berlin runners',
  locale: 'de-DE',
  attributes: { city: 'Berlin' },
};

describe('renderTemplate', () => {
  it('renders helpers with the render locale', () => {
    expect(render('{{upper segment.name}}', { segment })).toBe('BERLIN RUNNERS');
    expect(render('{{lower "ÉTÉ"}}', {})).toBe('été');
    expect(render('{{upper "istanbul"}}', {}, 'tr-TR')).toBe('İSTANBUL');
  });

  it('pluralises with the locale rules', () => {
    const source = '{{count}} {{plural count "item" "items"}}';
    expect(render(source, { count: 1 })).toBe('1 item');
    expect(render(source, { count: 0 })).toBe('0 items');
    expect(render(source, { count: 3 })).toBe('3 items');
    expect(render('{{plural count "article" "articles"}}', { count: 0 }, 'fr-FR')).toBe('article');
  });

  it('formats numbers for the locale', () => {
    expect(render('{{number price}}', { price: 1234.5 }, 'en-US')).toBe('1,234.5');
    expect(render('{{number price}}', { price: 1234.5 }, 'de-DE')).toBe('1.234,5');
    expect(render('{{number price style="currency" currency="EUR"}}', { price: 19.9 }, 'de-DE')).toBe(
      '19,90\u00a0€',
    );
  });

  it('translates with t, falling back from region to language to the default locale', () => {
    const messages = {
      'en-US': { greeting: 'Hello', cta: 'Shop now' },
      de: { greeting: 'Hallo' },
    };
    const source = '{{t "greeting"}}! {{t "cta"}}';
    expect(render(source, {}, 'en-US', messages)).toBe('Hello! Shop now');
    expect(render(source, {}, 'de-AT', messages)).toBe('Hallo! Shop now');
    expect(render(source, {}, 'ja-JP', messages)).toBe('Hello! Shop now');
  });

  it('refuses at compile time a t key the default locale lacks', () => {
    const error = failure(() =>
      compileTemplate('{{t "farewell"}}', { messages: { 'en-US': { greeting: 'Hi' } } }),
    );

    expect(error.code).toBe('missing_translation');
    expect(error.message).toContain('"farewell"');
  });

  it('joins lists and falls back with default', () => {
    expect(render('{{join tags}} | {{join tags " / "}}', { tags: ['trail', 'road'] })).toBe(
      'trail, road | trail / road',
    );
    expect(render('{{default segment.attributes.nickname "friend"}}', { segment })).toBe('friend');
    expect(render('{{default segment.attributes.city "friend"}}', { segment })).toBe('Berlin');
  });

  it('does not HTML-escape: prompts are not HTML', () => {
    expect(render('{{title}} <b>bold</b>', { title: 'Fish & Chips <fresh> "daily"' })).toBe(
      'Fish & Chips <fresh> "daily" <b>bold</b>',
    );
  });

  it('iterates and scopes blocks', () => {
    const source =
      '{{#each stores as |store|}}{{store.name}} ({{@root.segment.name}}){{#unless @last}}, {{/unless}}{{/each}}';
    const context = { segment, stores: [{ name: 'Mitte' }, { name: 'Kreuzberg' }] };
    expect(render(source, context)).toBe('Mitte (Berlin runners), Kreuzberg (Berlin runners)');
  });

  it('reads a root path inside each as a field of the element, as Handlebars does', () => {
    const error = failure(() =>
      render('{{#each stores}}{{name}} {{segment.name}}{{/each}}', { segment, stores: [{ name: 'Mitte' }] }),
    );

    expect(error.extras.variable).toBe('stores[].segment.name');
  });

  it('fails with render_failed naming a missing variable (strict mode)', () => {
    const error = failure(() =>
      render('Hi {{segment.name}}, see you in\n{{segment.attributes.town}}', { segment }),
    );

    expect(error.code).toBe('render_failed');
    expect(error.extras).toMatchObject({ variable: 'segment.attributes.town', line: 2, column: 3 });
    expect(error.message).toContain('"segment.attributes.town" is not defined');
  });

  it('names the missing part of a path that breaks inside a helper argument', () => {
    const error = failure(() => render('{{default segment.attributes.store.name "our store"}}', { segment }));

    expect(error.code).toBe('render_failed');
    expect(error.extras.variable).toBe('segment.attributes.store.name');
    expect(error.message).toContain('"segment.attributes.store" is missing');
  });

  it('reports a helper given the wrong kind of value', () => {
    const error = failure(() => render('{{number price}}', { price: 'cheap' }));

    expect(error.code).toBe('render_failed');
    expect(error.message).toContain('{{number}}');
    expect(error.message).toContain('"cheap"');
  });

  it('does not expose prototype properties of the context', () => {
    const context = Object.assign(Object.create({ inherited: 'secret' }), { own: 'visible' });
    expect(render('{{own}}{{default inherited "-"}}', context)).toBe('visible-');
  });

  it('renders a template built from a segment and declared variables', () => {
    const context = buildRenderContext({
      segment: { ...segment, attributes: { city: 'Berlin', product: 'trail shoes' } },
      brand: { name: 'Stride' },
      declared: [
        { name: 'product', type: 'string', default: 'running shoes' },
        { name: 'discount', type: 'number', default: 15 },
      ],
    });
    expect(
      render(
        '{{brand.name}}: {{product}} in {{segment.attributes.city}}, {{discount}}% off ({{locale}})',
        context,
      ),
    ).toBe('Stride: trail shoes in Berlin, 15% off (de-DE)');
  });

  it('reuses the compiled form of an identical source', () => {
    expect(compileTemplate('{{product}}').run).toBe(compileTemplate('{{product}}').run);
  });
});
