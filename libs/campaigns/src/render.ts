import {
  DEFAULT_LOCALE,
  PromptError,
  analyzeTemplate,
  buildRenderContext,
  checkDeclaredVariables,
  compileTemplate,
  checkTemplateComplexity,
  checkTemplateSize,
  localeFallbacks,
  measureTemplate,
  renderBudget,
  renderTemplate,
  validateDeclarations,
  type ContentPolicy,
  type DeclaredVariable,
  type LocaleMessages,
  type PolicyText,
  type RenderContext,
  assertContentPolicy,
} from '@adloom/prompts';

/** One caption on screen from startMs (inclusive) to endMs (exclusive); `text` is a template. */
export interface CaptionLine {
  startMs: number;
  endMs: number;
  text: string;
}

/** The parts of a template version whose text can be swapped for an alternative (evolution's slots). */
export const SLOT_NAMES = ['prompt', 'headline', 'cta'] as const;
export type SlotName = (typeof SLOT_NAMES)[number];
export type Alternatives = Partial<Record<SlotName, string[]>>;
/** Which alternative fills each slot (an index into `alternatives[slot]`); the main text when absent. */
export type SlotChoice = Partial<Record<SlotName, number>>;

/** What one immutable template version holds. Every text is a Handlebars template. */
export interface TemplateContent {
  /** What the video model is asked for. */
  prompt: string;
  headline: string;
  cta: string;
  captions: CaptionLine[];
  variables: DeclaredVariable[];
  /** Message tables for `{{t "key"}}`, by locale. */
  locales: LocaleMessages;
  alternatives: Alternatives;
}

/** A segment as templates see it. */
export interface SegmentData {
  key: string;
  name: string;
  locales: string[];
  attributes: Record<string, unknown>;
}

/** A brand kit as templates see it under `brand`. */
export interface BrandKitData {
  name: string;
  colors: Record<string, string>;
  font: string;
  disclaimer: string | null;
  aiDisclosure: Record<string, string>;
}

export interface RenderedAd {
  locale: string;
  prompt: string;
  headline: string;
  cta: string;
  captions: CaptionLine[];
}

export interface RenderInput {
  template: TemplateContent;
  segment: SegmentData;
  /** One of the segment's locales; its first when omitted. */
  locale?: string;
  brand?: BrandKitData | null;
  slots?: SlotChoice;
}

/**
 * The locale whose messages every `{{t}}` falls back to: en-US when the version has it, else the
 * alphabetically first locale it has. Every locale's table must hold every key (checked on save), so
 * the fallback only matters for a render in a locale the version has no table for.
 */
export function fallbackLocaleOf(locales: LocaleMessages): string {
  const tags = Object.keys(locales).sort();
  return tags.includes(DEFAULT_LOCALE) || tags.length === 0 ? DEFAULT_LOCALE : tags[0];
}

/** Adds the request field at fault to a PromptError (and its name to the message). */
export function atField<T>(field: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof PromptError && !error.extras.field) {
      throw new PromptError(error.code, `${field}: ${error.detail}`, { ...error.extras, field });
    }
    throw error;
  }
}

/** Expressions across every text of one version: what compiling and rendering it all may cost. */
export const MAX_VERSION_EXPRESSIONS = 600;

/** Every template text of a version with the request field it came from. */
export function templateSources(content: TemplateContent): { field: string; source: string }[] {
  const sources = [
    { field: 'prompt', source: content.prompt },
    { field: 'headline', source: content.headline },
    { field: 'cta', source: content.cta },
    ...content.captions.map((caption, index) => ({ field: `captions[${index}].text`, source: caption.text })),
  ];
  for (const slot of SLOT_NAMES) {
    (content.alternatives[slot] ?? []).forEach((source, index) =>
      sources.push({ field: `alternatives.${slot}[${index}]`, source }),
    );
  }
  return sources;
}

/**
 * Checks a version before it is stored: declarations, then each text's size, syntax, helpers and
 * variables, then that every locale's table has every `{{t}}` key. Throws a PromptError naming the
 * field; returns every variable path the version reads.
 */
export function validateTemplateContent(content: TemplateContent): { usedVariables: string[] } {
  try {
    validateDeclarations(content.variables);
  } catch (error) {
    if (!(error instanceof PromptError)) throw error;
    const index = content.variables.findLastIndex((variable) => variable.name === error.extras.variable);
    const part = error.code === 'variable_type' ? 'default' : 'name';
    throw new PromptError(error.code, error.detail, {
      ...error.extras,
      field: `variables[${index}].${part}`,
    });
  }

  const sources = templateSources(content);
  let expressions = 0;
  for (const { field, source } of sources) {
    atField(field, () => {
      checkTemplateSize(source);
      checkTemplateComplexity(source);
    });
    expressions += measureTemplate(source).nodes;
  }
  if (expressions > MAX_VERSION_EXPRESSIONS) {
    throw new PromptError(
      'template_too_complex',
      `The version's texts hold ${expressions} expressions ({{...}} and (...)); the limit is ${MAX_VERSION_EXPRESSIONS}`,
      { limit: MAX_VERSION_EXPRESSIONS, measure: 'nodes', field: 'body' },
    );
  }

  const used = new Set<string>();
  const translationKeys = new Set<string>();
  for (const { field, source } of sources) {
    const analysis = atField(field, () => analyzeTemplate(source));
    atField(field, () => checkDeclaredVariables(analysis, content.variables));
    analysis.variables.forEach((path) => used.add(path));
    analysis.translationKeys.forEach((key) => translationKeys.add(key));
  }
  const locales = Object.keys(content.locales);
  if (translationKeys.size > 0 && locales.length === 0) {
    const [key] = translationKeys;
    throw new PromptError('missing_translation', `{{t "${key}"}} is used but no locales are given`, {
      field: 'locales',
      keys: [...translationKeys],
    });
  }
  for (const locale of locales) {
    const missing = [...translationKeys].filter(
      (key) => !Object.prototype.hasOwnProperty.call(content.locales[locale], key),
    );
    if (missing.length > 0) {
      throw new PromptError(
        'missing_translation',
        `locales.${locale} lacks ${missing.map((key) => `"${key}"`).join(', ')}, used by {{t}}`,
        { field: `locales.${locale}.${missing[0]}`, keys: missing, locale },
      );
    }
  }
  return { usedVariables: [...used] };
}

/** The brand as templates see it, with the AI disclosure in the render's locale. */
export function brandContext(
  brand: BrandKitData | null | undefined,
  locale: string,
): Record<string, unknown> {
  if (!brand) return {};
  let aiDisclosure = '';
  for (const tag of localeFallbacks(locale, DEFAULT_LOCALE)) {
    const match = Object.keys(brand.aiDisclosure).find((key) => key === tag || key.split('-')[0] === tag);
    if (match) {
      aiDisclosure = brand.aiDisclosure[match];
      break;
    }
  }
  return {
    name: brand.name,
    colors: { ...brand.colors },
    font: brand.font,
    disclaimer: brand.disclaimer ?? '',
    aiDisclosure,
  };
}

function slotSource(content: TemplateContent, slot: SlotName, slots: SlotChoice | undefined) {
  const choice = slots?.[slot];
  if (choice === undefined) return { field: slot, source: content[slot] };
  const alternatives = content.alternatives[slot] ?? [];
  if (!Number.isInteger(choice) || choice < 0 || choice >= alternatives.length) {
    throw new PromptError(
      'render_failed',
      `slots.${slot}: there is no alternative ${choice} (this version has ${alternatives.length})`,
      { field: `slots.${slot}` },
    );
  }
  return { field: `alternatives.${slot}[${choice}]`, source: alternatives[choice] };
}

/**
 * Renders one variant's texts: template version × segment × locale (× brand kit, × slot choice).
 * The planner and the preview both call this, so a preview shows exactly what will be generated.
 *
 * The render context is the prompts library's: `segment` (key, name, locale, attributes), `brand`
 * (name, colors, font, disclaimer, aiDisclosure in the render's locale), `locale`, and each declared
 * variable (the segment's attribute of that name, else its default).
 */
export function renderAd(input: RenderInput): RenderedAd {
  const { template, segment } = input;
  const locale = input.locale ?? segment.locales[0];
  let context: RenderContext;
  try {
    context = buildRenderContext({
      segment: { key: segment.key, name: segment.name, locale, attributes: segment.attributes },
      brand: brandContext(input.brand, locale),
      declared: template.variables,
      locale,
    });
  } catch (error) {
    if (!(error instanceof PromptError)) throw error;
    const field =
      error.extras.source === 'segment.attributes'
        ? `segment.attributes.${String(error.extras.variable)}`
        : 'variables';
    throw new PromptError(error.code, error.detail, { ...error.extras, field });
  }
  const options = { messages: template.locales, defaultLocale: fallbackLocaleOf(template.locales) };
  // One budget for every text of the ad, so many small loops add up to no more than one large one.
  const budget = renderBudget();
  const render = (field: string, source: string) =>
    atField(field, () => renderTemplate(compileTemplate(source, options), context, locale, budget));
  const slot = (name: SlotName) => {
    const { field, source } = slotSource(template, name, input.slots);
    return render(field, source);
  };
  return {
    locale,
    prompt: slot('prompt'),
    headline: slot('headline'),
    cta: slot('cta'),
    captions: template.captions.map((caption, index) => ({
      startMs: caption.startMs,
      endMs: caption.endMs,
      text: render(`captions[${index}].text`, caption.text),
    })),
  };
}

/** The texts of a rendered ad a content policy is checked against, each with its field. */
export function policyTexts(ad: RenderedAd): PolicyText[] {
  return [
    { field: 'prompt', text: ad.prompt },
    { field: 'headline', text: ad.headline },
    { field: 'cta', text: ad.cta },
    ...ad.captions.map((caption, index) => ({ field: `captions[${index}].text`, text: caption.text })),
  ];
}

/** Throws 422 `policy_violation` quoting every offending word of a rendered ad. */
export function assertAdWithinPolicy(ad: RenderedAd, policy: ContentPolicy): void {
  assertContentPolicy(policyTexts(ad), policy);
}
