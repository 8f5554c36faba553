import { PromptError } from '@adloom/prompts';
import {
  assertAdWithinPolicy,
  brandContext,
  fallbackLocaleOf,
  renderAd,
  validateTemplateContent,
  type BrandKitData,
  type SegmentData,
  type TemplateContent,
} from './render';

const template = (overrides: Partial<TemplateContent> = {}): TemplateContent => ({
  prompt: 'A runner on {{segment.attributes.scene}} wearing {{product}}, {{brand.colors.primary}} accents',
  headline: '{{t "headline"}} {{number distanceKm}} km',
  cta: '{{upper (t "cta")}}',
  captions: [
    { startMs: 0, endMs: 1500, text: '{{t "caption"}}' },
    { startMs: 1500, endMs: 3000, text: '{{brand.aiDisclosure}}' },
  ],
  variables: [
    { name: 'product', type: 'string', default: 'Stride Pro' },
    { name: 'distanceKm', type: 'number', default: 5 },
  ],
  locales: {
    'en-US': { headline: 'Go', cta: 'Shop now', caption: 'Every morning' },
    'de-DE': { headline: 'Lauf', cta: 'Jetzt kaufen', caption: 'Jeden Morgen' },
  },
  alternatives: { headline: ['{{t "headline"}} further'] },
  ...overrides,
});

const runners: SegmentData = {
  key: 'runners',
  name: 'Runners',
  locales: ['en-US', 'de-DE'],
  attributes: { scene: 'a forest trail', distanceKm: 10.5 },
};

const brand: BrandKitData = {
  name: 'Loomwear',
  colors: { primary: '#1A73E8', accent: '#FFB300', text: '#FFFFFF' },
  font: 'DejaVu Sans',
  disclaimer: null,
  aiDisclosure: { 'en-US': 'Made with AI', de: 'Mit KI erstellt' },
};

function thrown(work: () => unknown): PromptError {
  try {
    work();
  } catch (error) {
    if (error instanceof PromptError) return error;
    throw error;
  }
  throw new Error('expected a PromptError');
}

describe('renderAd', () => {
  it('renders prompt, copy and timed captions for a segment in each of its locales', () => {
    expect(renderAd({ template: template(), segment: runners, brand })).toEqual({
      locale: 'en-US',
      prompt: 'A runner on a forest trail wearing Stride Pro, #1A73E8 accents',
      headline: 'Go 10.5 km',
      cta: 'SHOP NOW',
      captions: [
        { startMs: 0, endMs: 1500, text: 'Every morning' },
        { startMs: 1500, endMs: 3000, text: 'Made with AI' },
      ],
    });
    const german = renderAd({ template: template(), segment: runners, brand, locale: 'de-DE' });
    expect(german.headline).toBe('Lauf 10,5 km');
    expect(german.cta).toBe('JETZT KAUFEN');
    expect(german.captions.map((caption) => caption.text)).toEqual(['Jeden Morgen', 'Mit KI erstellt']);
  });

  it('fills a slot from the alternatives when asked', () => {
    const ad = renderAd({ template: template(), segment: runners, brand, slots: { headline: 0 } });
    expect(ad.headline).toBe('Go further');
    const error = thrown(() =>
      renderAd({ template: template(), segment: runners, brand, slots: { cta: 0 } }),
    );
    expect(error.extras.field).toBe('slots.cta');
  });

  it('names the segment attribute whose type does not match the declaration', () => {
    const segment = { ...runners, attributes: { ...runners.attributes, distanceKm: 'far' } };
    const error = thrown(() => renderAd({ template: template(), segment, brand }));
    expect(error.code).toBe('variable_type');
    expect(error.extras.field).toBe('segment.attributes.distanceKm');
  });

  it('names the field of a variable missing at render time', () => {
    const segment = { ...runners, attributes: {} };
    const error = thrown(() => renderAd({ template: template(), segment, brand }));
    expect(error.code).toBe('render_failed');
    expect(error.extras).toMatchObject({ field: 'prompt', variable: 'segment.attributes.scene' });
  });
});

describe('validateTemplateContent', () => {
  it('returns the variables a valid version reads', () => {
    expect(validateTemplateContent(template()).usedVariables).toEqual(
      expect.arrayContaining(['segment.attributes.scene', 'product', 'brand.colors.primary', 'distanceKm']),
    );
  });

  it.each([
    ['an unclosed block', { headline: '{{#if product}}Go' }, 'template_syntax', 'headline'],
    ['an undeclared variable', { prompt: 'A {{colour}} shoe' }, 'unknown_variable', 'prompt'],
    ['a constructor chain', { prompt: '{{constructor.constructor}}' }, 'unsafe_expression', 'prompt'],
    ['lookup', { cta: '{{lookup this "__proto__"}}' }, 'unsafe_expression', 'cta'],
    [
      'a bad caption',
      { captions: [{ startMs: 0, endMs: 10, text: '{{nope}}' }] },
      'unknown_variable',
      'captions[0].text',
    ],
    [
      'a bad alternative',
      { alternatives: { prompt: ['ok', '{{#each}}'] } },
      'template_syntax',
      'alternatives.prompt[1]',
    ],
  ])('refuses %s naming the field', (_, overrides, code, field) => {
    const error = thrown(() => validateTemplateContent(template(overrides as Partial<TemplateContent>)));
    expect(error.code).toBe(code);
    expect(error.extras.field).toBe(field);
  });

  it('refuses a 5 MB template with 413 naming the field', () => {
    const error = thrown(() => validateTemplateContent(template({ prompt: 'x'.repeat(5 * 1024 * 1024) })));
    expect(error.status).toBe(413);
    expect(error.extras.field).toBe('prompt');
  });

  it('names the declaration whose default has the wrong type', () => {
    const variables = [
      { name: 'product', type: 'string' as const },
      { name: 'distanceKm', type: 'number' as const, default: 'ten' },
    ];
    const error = thrown(() => validateTemplateContent(template({ variables })));
    expect(error.code).toBe('variable_type');
    expect(error.extras.field).toBe('variables[1].default');
  });

  it('requires every locale to translate every key', () => {
    const locales = {
      'en-US': { headline: 'Go', cta: 'Shop', caption: 'Hi' },
      'de-DE': { headline: 'Lauf' },
    };
    const error = thrown(() => validateTemplateContent(template({ locales })));
    expect(error.code).toBe('missing_translation');
    expect(error.extras.field).toBe('locales.de-DE.cta');
  });
});

describe('content policy on a rendered ad', () => {
  const ad = renderAd({
    template: template({ prompt: 'Serena Williams runs past a casino on {{segment.attributes.scene}}' }),
    segment: runners,
    brand,
  });

  it('quotes the offending words and names the field', () => {
    const error = thrown(() =>
      assertAdWithinPolicy(ad, {
        blockedTerms: ['casino'],
        realPeople: [{ name: 'Serena Williams', consent: false }],
      }),
    );
    expect(error.code).toBe('policy_violation');
    expect(error.extras.field).toBe('prompt');
    expect(error.detail).toContain('"Serena Williams"');
    expect(error.detail).toContain('"casino"');
  });

  it('lets a real person appear once consent is recorded', () => {
    expect(() =>
      assertAdWithinPolicy(ad, {
        blockedTerms: [],
        realPeople: [{ name: 'Serena Williams', consent: true }],
      }),
    ).not.toThrow();
  });
});

describe('helpers', () => {
  it('falls back to en-US, else the first locale', () => {
    expect(fallbackLocaleOf({ 'de-DE': {}, 'en-US': {} })).toBe('en-US');
    expect(fallbackLocaleOf({ 'fr-FR': {}, 'de-DE': {} })).toBe('de-DE');
  });

  it('picks the AI disclosure by locale, then language', () => {
    expect(brandContext(brand, 'de-AT').aiDisclosure).toBe('Mit KI erstellt');
    expect(brandContext(brand, 'fr-FR').aiDisclosure).toBe('Made with AI');
    expect(brandContext(null, 'en-US')).toEqual({});
  });
});
