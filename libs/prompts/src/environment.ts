import Handlebars from 'handlebars';

import { PromptError } from './errors';

/** Per-locale message tables for `{{t "key"}}`: `{ 'en-US': { greeting: 'Hello' }, de: { greeting: 'Hallo' } }`. */
export type LocaleMessages = Record<string, Record<string, string>>;

export interface HelperSpec {
  block: boolean;
  minParams: number;
  maxParams: number;
  hash: readonly string[];
}

/** The only helpers a template may call. `lookup` and `log` are deliberately absent. */
export const HELPERS: Readonly<Record<string, HelperSpec>> = {
  upper: { block: false, minParams: 1, maxParams: 1, hash: [] },
  lower: { block: false, minParams: 1, maxParams: 1, hash: [] },
  default: { block: false, minParams: 2, maxParams: 2, hash: [] },
  join: { block: false, minParams: 1, maxParams: 2, hash: [] },
  plural: { block: false, minParams: 3, maxParams: 3, hash: [] },
  number: {
    block: false,
    minParams: 1,
    maxParams: 1,
    hash: ['style', 'currency', 'minimumFractionDigits', 'maximumFractionDigits'],
  },
  t: { block: false, minParams: 1, maxParams: 1, hash: [] },
  if: { block: true, minParams: 1, maxParams: 1, hash: ['includeZero'] },
  unless: { block: true, minParams: 1, maxParams: 1, hash: ['includeZero'] },
  each: { block: true, minParams: 1, maxParams: 1, hash: [] },
  with: { block: true, minParams: 1, maxParams: 1, hash: [] },
};

export const HELPER_NAMES: readonly string[] = Object.keys(HELPERS);

export function isHelperName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(HELPERS, name);
}

/** The one Handlebars environment of the product: never the global instance, no `lookup`, no `log`. */
export const handlebars = Handlebars.create();
handlebars.unregisterHelper('lookup');
handlebars.unregisterHelper('log');

export const COMPILE_OPTIONS = {
  strict: true,
  knownHelpersOnly: true,
  noEscape: true,
  knownHelpers: {
    ...Object.fromEntries(HELPER_NAMES.map((name) => [name, true])),
    lookup: false,
    log: false,
  },
} satisfies CompileOptions;

export const RUNTIME_OPTIONS = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
} satisfies Handlebars.RuntimeOptions;

interface HelperLocation {
  loc?: { start: { line: number; column: number } };
  hash: Record<string, unknown>;
}

function helperError(helper: string, detail: string, options: HelperLocation): PromptError {
  const start = options.loc?.start;
  const where = start ? ` (line ${start.line}, column ${start.column + 1})` : '';
  return new PromptError('render_failed', `{{${helper}}}: ${detail}${where}`, {
    helper,
    ...(start ? { line: start.line, column: start.column + 1 } : {}),
  });
}

function isNullish(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}\u0000${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    if (numberFormats.size > 200) numberFormats.clear();
    numberFormats.set(key, format);
  }
  return format;
}

const pluralRules = new Map<string, Intl.PluralRules>();

function pluralCategory(locale: string, count: number): Intl.LDMLPluralRule {
  let rules = pluralRules.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    pluralRules.set(locale, rules);
  }
  return rules.select(count);
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
}

/** Locales to try for a message, most specific first: `de-AT` → `de-AT`, `de`, then the default's. */
export function localeFallbacks(locale: string, defaultLocale: string): string[] {
  const chain: string[] = [];
  for (const candidate of [locale, defaultLocale]) {
    const parts = candidate.split('-');
    for (let length = parts.length; length > 0; length--) {
      const tag = parts.slice(0, length).join('-');
      if (!chain.includes(tag)) chain.push(tag);
    }
  }
  return chain;
}

export function findMessage(
  messages: LocaleMessages,
  key: string,
  locale: string,
  defaultLocale: string,
): string | undefined {
  for (const tag of localeFallbacks(locale, defaultLocale)) {
    const table = Object.prototype.hasOwnProperty.call(messages, tag) ? messages[tag] : undefined;
    if (table && Object.prototype.hasOwnProperty.call(table, key)) return table[key];
  }
  return undefined;
}

type Helper = (...args: unknown[]) => unknown;

/**
 * Helpers bound to one render's locale and message table. They are passed per render (not registered
 * on the environment) so that two renders in different locales never share state.
 */
export function createHelpers(
  locale: string,
  messages: LocaleMessages,
  defaultLocale: string,
): Record<string, Helper> {
  const call = (body: (params: unknown[], options: HelperLocation) => unknown): Helper => {
    return (...args: unknown[]) => {
      const options = args[args.length - 1] as HelperLocation;
      return body(args.slice(0, -1), options);
    };
  };
  const text = (name: string, value: unknown, options: HelperLocation): string => {
    if (isNullish(value)) throw helperError(name, 'value is missing', options);
    if (typeof value === 'object') throw helperError(name, `expects text, got ${describe(value)}`, options);
    return String(value);
  };

  return {
    upper: call(([value], options) => text('upper', value, options).toLocaleUpperCase(locale)),
    lower: call(([value], options) => text('lower', value, options).toLocaleLowerCase(locale)),
    default: call(([value, fallback]) => (isNullish(value) || value === '' ? fallback : value)),
    join: call(([list, separator], options) => {
      if (!Array.isArray(list)) throw helperError('join', `expects a list, got ${describe(list)}`, options);
      return list
        .map((item) => text('join', item, options))
        .join(isNullish(separator) ? ', ' : String(separator));
    }),
    plural: call(([count, singular, plural], options) => {
      const n = toNumber(count);
      if (n === undefined) throw helperError('plural', `expects a number, got ${describe(count)}`, options);
      return pluralCategory(locale, n) === 'one' ? singular : plural;
    }),
    number: call(([value], options) => {
      const n = toNumber(value);
      if (n === undefined) throw helperError('number', `expects a number, got ${describe(value)}`, options);
      const { style, currency, minimumFractionDigits, maximumFractionDigits } = options.hash;
      const formatOptions: Intl.NumberFormatOptions = {};
      if (style !== undefined) {
        if (style !== 'decimal' && style !== 'percent' && style !== 'currency') {
          throw helperError(
            'number',
            `style must be decimal, percent or currency, got ${describe(style)}`,
            options,
          );
        }
        formatOptions.style = style;
      }
      if (currency !== undefined) formatOptions.currency = String(currency);
      if (minimumFractionDigits !== undefined)
        formatOptions.minimumFractionDigits = Number(minimumFractionDigits);
      if (maximumFractionDigits !== undefined)
        formatOptions.maximumFractionDigits = Number(maximumFractionDigits);
      try {
        return numberFormat(locale, formatOptions).format(n);
      } catch (error) {
        throw helperError('number', (error as Error).message, options);
      }
    }),
    t: call(([key], options) => {
      const message = findMessage(messages, String(key), locale, defaultLocale);
      if (message === undefined) {
        throw helperError(
          't',
          `no message "${String(key)}" for ${locale} or the default ${defaultLocale}`,
          options,
        );
      }
      return message;
    }),
  };
}
