import { z } from 'zod';
import { pageQuerySchema } from '@adloom/db';
import { VARIABLE_TYPES, type VariableType } from '@adloom/prompts';
import { VARIANT_STATES } from './state-machine';

/** A BCP 47 tag such as `en-US`; stored in its canonical form. */
export function canonicalLocale(tag: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical;
  } catch {
    return undefined;
  }
}

const locale = z
  .string()
  .min(2)
  .max(35)
  .refine((tag) => /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag) && canonicalLocale(tag) !== undefined, {
    message: 'expected a locale like en-US or de-DE',
  });
const name = z.string().trim().min(1).max(200);
/** The largest value of a Postgres `int4` column (template versions). */
const INT4_MAX = 2_147_483_647;
const attributes = z.record(z.string().max(100), z.unknown());
const hexColor = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'expected a colour like #1A73E8');
const uniqueItems = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item).superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((value, index) => {
      const key = JSON.stringify(value);
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `${what} listed twice`, path: [index] });
      seen.add(key);
    });
  });

// Brand kits ----------------------------------------------------------------------------------

export const brandColorsSchema = z
  .object({
    /** Headline box, caption box, end card. */
    primary: hexColor,
    /** The call-to-action button. */
    accent: hexColor,
    /** Text on the primary colour. */
    text: hexColor,
    /** Text on the accent colour; the text colour when absent. */
    accentText: hexColor.optional(),
  })
  .strict();

const brandKitFields = {
  name,
  colors: brandColorsSchema,
  /** A font family installed where renders are composed, e.g. "DejaVu Sans". */
  font: z.string().trim().min(1).max(100),
  disclaimer: z.string().max(1000).nullable(),
  /** On-screen AI disclosure per locale: `{ "en-US": "Made with AI", "de-DE": "Mit KI erstellt" }`. */
  aiDisclosure: z.record(locale, z.string().trim().min(1).max(200)),
};

export const createBrandKitSchema = z
  .object({
    ...brandKitFields,
    disclaimer: brandKitFields.disclaimer.default(null),
    aiDisclosure: brandKitFields.aiDisclosure.default({}),
  })
  .strict();
export type CreateBrandKit = z.output<typeof createBrandKitSchema>;

export const updateBrandKitSchema = z
  .object({
    name: brandKitFields.name.optional(),
    colors: brandKitFields.colors.optional(),
    font: brandKitFields.font.optional(),
    disclaimer: brandKitFields.disclaimer.optional(),
    aiDisclosure: brandKitFields.aiDisclosure.optional(),
  })
  .strict();
export type UpdateBrandKit = z.output<typeof updateBrandKitSchema>;

// Templates -----------------------------------------------------------------------------------

const variableValue = z.union([
  z.string().max(2000),
  z.number(),
  z.boolean(),
  z.array(z.string().max(2000)).max(100),
]);

export const declaredVariableSchema = z
  .object({
    name: z.string().min(1).max(64),
    type: z.enum(VARIABLE_TYPES as unknown as [VariableType, ...VariableType[]]),
    default: variableValue.optional(),
    description: z.string().max(500).optional(),
  })
  .strict();

export const captionSchema = z
  .object({
    startMs: z.int().min(0).max(600_000),
    endMs: z.int().min(1).max(600_000),
    /** A template, like every text of a version. */
    text: z.string().min(1),
  })
  .strict()
  .refine((caption) => caption.endMs > caption.startMs, {
    message: 'endMs must be after startMs',
    path: ['endMs'],
  });

const messageKey = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a key of letters, digits, _ . -');

// Template texts carry no length limit here: the template checker refuses oversized ones with 413.
export const templateVersionSchema = z
  .object({
    prompt: z.string().min(1),
    headline: z.string().min(1),
    cta: z.string().min(1),
    captions: z.array(captionSchema).max(50).default([]),
    variables: z.array(declaredVariableSchema).max(50).default([]),
    /** Messages for `{{t "key"}}` per locale; every locale must have every key the version uses. */
    locales: z.record(locale, z.record(messageKey, z.string().max(2000))).default({}),
    /** Other texts for the prompt, headline and cta slots, for evolution to try. */
    alternatives: z
      .object({
        prompt: z.array(z.string().min(1)).max(20).optional(),
        headline: z.array(z.string().min(1)).max(20).optional(),
        cta: z.array(z.string().min(1)).max(20).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();
export type TemplateVersionInput = z.output<typeof templateVersionSchema>;

export const createTemplateSchema = templateVersionSchema.extend({ name }).strict();
export type CreateTemplate = z.output<typeof createTemplateSchema>;

export const previewSchema = z
  .object({
    segmentId: z.uuid(),
    /** One of the segment's locales; its first when absent. */
    locale: locale.optional(),
    /** The latest version when absent. */
    version: z.int().min(1).max(INT4_MAX).optional(),
    /** The workspace's first brand kit when absent. */
    brandKitId: z.uuid().optional(),
  })
  .strict();
export type PreviewRequest = z.output<typeof previewSchema>;

// Segments ------------------------------------------------------------------------------------

export const segmentKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'expected letters, digits, _ . - (up to 100), like runners-us');

export const createSegmentSchema = z
  .object({
    key: segmentKey,
    name,
    locales: uniqueItems(locale, 'locale').min(1).max(20),
    /** Free JSON that templates read as segment.attributes (and as declared variables of the same name). */
    attributes: attributes.default({}),
  })
  .strict();
export type CreateSegment = z.output<typeof createSegmentSchema>;

export const updateSegmentSchema = z
  .object({
    key: segmentKey.optional(),
    name: name.optional(),
    locales: uniqueItems(locale, 'locale').min(1).max(20).optional(),
    attributes: attributes.optional(),
  })
  .strict();
export type UpdateSegment = z.output<typeof updateSegmentSchema>;

export const segmentListSchema = pageQuerySchema.extend({ key: z.string().max(100).optional() });

// Campaigns -----------------------------------------------------------------------------------

export const OBJECTIVES = ['ctr', 'vtr', 'cvr'] as const;
export const FORMATS = ['9x16', '1x1', '16x9', '4x5'] as const;
export const GENERATORS = ['procedural', 'openai-videos', 'comfyui', 'fal', 'gemini-veo'] as const;
export const MAX_GENERATORS = 5;

/** `provider` or `provider:model` (`fal:wan-2.2`, `gemini-veo:veo-3.1-fast-generate-preview`). */
const generatorEntry = z
  .string()
  .max(120)
  .regex(
    new RegExp(`^(${GENERATORS.join('|')})(:[^\\s:][^\\s]*)?$`),
    `a generator (${GENERATORS.join(', ')}), optionally followed by :model`,
  );

const campaignTemplate = z
  .object({
    templateId: z.uuid(),
    /** Pinned at the latest version when absent. */
    version: z.int().min(1).max(INT4_MAX).optional(),
  })
  .strict();

const budget = z
  .object({
    maxVariants: z.int().min(1).max(10_000),
    maxGenerationSeconds: z.number().positive().max(10_000_000),
    /** Money for new clips, at the first generator's configured price per second; null for no cap. */
    maxCost: z.number().positive().max(10_000_000).nullable().optional(),
  })
  .strict();

const campaignFields = {
  name,
  objective: z.enum(OBJECTIVES),
  templates: z
    .array(campaignTemplate)
    .min(1)
    .max(20)
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        if (seen.has(item.templateId))
          ctx.addIssue({ code: 'custom', message: 'template listed twice', path: [index, 'templateId'] });
        seen.add(item.templateId);
      });
    }),
  segmentIds: uniqueItems(z.uuid(), 'segment').min(1).max(500),
  formats: uniqueItems(z.enum(FORMATS), 'format').min(1).max(FORMATS.length),
  /**
   * One generator, or an ordered list tried in turn when one fails transiently (5xx, timeout, 429 past its
   * retries): `["fal:wan-2.2", "gemini-veo:veo-3.1-fast-generate-preview", "procedural"]`.
   */
  generator: z.union([generatorEntry, uniqueItems(generatorEntry, 'generator').min(1).max(MAX_GENERATORS)]),
  /** The first generator's model when its entry names none; the generator's configured default when empty. */
  model: z.string().max(100),
  durationMs: z.int().min(2_000).max(60_000),
  budget,
  landingUrl: z.url({ protocol: /^https?$/ }).max(2000),
  brandKitId: z.uuid().nullable(),
  /** Measurement vendors' OMID scripts, passed through in the campaign's VAST (`<AdVerifications>`). */
  adVerifications: z
    .array(
      z
        .object({
          vendor: z.string().min(1).max(200),
          scriptUrl: z.url({ protocol: /^https$/ }).max(2000),
          parameters: z.string().max(10_000).optional(),
        })
        .strict(),
    )
    .max(10),
};

/**
 * The stored form of a campaign's generators: the first one's provider and model, and the rest as
 * fallbacks. `model` applies to the first generator when its entry names none.
 */
export function routeColumns(
  generator: string | readonly string[],
  model = '',
): { generator: string; model: string; fallbacks: string[] } {
  const [first, ...fallbacks] = typeof generator === 'string' ? [generator] : generator;
  const at = first.indexOf(':');
  return at < 0
    ? { generator: first, model, fallbacks }
    : { generator: first.slice(0, at), model: first.slice(at + 1), fallbacks };
}

export const createCampaignSchema = z
  .object({
    ...campaignFields,
    generator: campaignFields.generator.default('procedural'),
    model: campaignFields.model.default(''),
    durationMs: campaignFields.durationMs.default(8_000),
    brandKitId: campaignFields.brandKitId.default(null),
    adVerifications: campaignFields.adVerifications.default([]),
  })
  .strict();
export type CreateCampaign = z.output<typeof createCampaignSchema>;

export const updateCampaignSchema = z
  .object({
    name: campaignFields.name.optional(),
    objective: campaignFields.objective.optional(),
    templates: campaignFields.templates.optional(),
    segmentIds: campaignFields.segmentIds.optional(),
    formats: campaignFields.formats.optional(),
    generator: campaignFields.generator.optional(),
    model: campaignFields.model.optional(),
    durationMs: campaignFields.durationMs.optional(),
    budget: campaignFields.budget.optional(),
    landingUrl: campaignFields.landingUrl.optional(),
    brandKitId: campaignFields.brandKitId.optional(),
    adVerifications: campaignFields.adVerifications.optional(),
  })
  .strict();
export type UpdateCampaign = z.output<typeof updateCampaignSchema>;

export const campaignListSchema = pageQuerySchema.extend({
  status: z.enum(['draft', 'generating', 'review', 'live', 'paused', 'archived']).optional(),
});

// Variants ------------------------------------------------------------------------------------

export const variantListSchema = pageQuerySchema.extend({
  state: z.enum(VARIANT_STATES).optional(),
  segmentId: z.uuid().optional(),
  locale: z.string().max(35).optional(),
});
export type VariantListQuery = z.output<typeof variantListSchema>;

export const rejectSchema = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();

export const bulkApproveSchema = z
  .object({
    /** Every ready variant of the campaign when absent. */
    variantIds: uniqueItems(z.uuid(), 'variant').min(1).max(1000).optional(),
  })
  .strict();

// Content policy ------------------------------------------------------------------------------

export const contentPolicySchema = z
  .object({
    /** Words and phrases no rendered text may contain (whole words, any case or accents). */
    blockedTerms: uniqueItems(z.string().trim().min(1).max(200), 'term').max(1000),
    /** Real people's names; a name may appear only when `consent` is true. */
    realPeople: z
      .array(
        z
          .object({
            name: z.string().trim().min(1).max(200),
            consent: z.boolean(),
            /** Where the consent is recorded (a contract number, a URL). */
            consentReference: z.string().max(500).optional(),
          })
          .strict(),
      )
      .max(1000),
  })
  .strict();
export type ContentPolicyInput = z.output<typeof contentPolicySchema>;

export const idParamSchema = z.object({ id: z.uuid() });
