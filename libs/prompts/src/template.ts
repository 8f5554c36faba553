import {
  checkTemplateSize,
  formatPath,
  parseTemplate,
  templateSourceHash,
  type TemplateAnalysis,
  type VariableReference,
} from './analyze';
import {
  COMPILE_OPTIONS,
  RUNTIME_OPTIONS,
  createHelpers,
  findMessage,
  handlebars,
  type LocaleMessages,
} from './environment';
import { measureTemplate } from './complexity';
import { PromptError } from './errors';

export const DEFAULT_LOCALE = 'en-US';
/** The longest text a render may produce (a prompt, a headline, a caption), in UTF-16 code units. */
export const MAX_RENDERED_CHARS = 20_000;
/**
 * The work one render may do, counted as `{{#each}}` iterations × the template's expressions: about
 * 10 ms of Handlebars, so no template or segment holds the event loop longer.
 */
export const MAX_RENDER_STEPS = 10_000;

export interface CompileTemplateOptions {
  /** Message tables for `{{t}}`, by locale. */
  messages?: LocaleMessages;
  /** Locale whose table must hold every key the template uses; the fallback at render time. */
  defaultLocale?: string;
}

export interface CompiledTemplate {
  readonly analysis: TemplateAnalysis;
  readonly messages: LocaleMessages;
  readonly defaultLocale: string;
  readonly run: HandlebarsTemplateDelegate;
  /** Mustaches and subexpressions in the source: what one `{{#each}}` iteration may cost. */
  readonly nodes: number;
}

interface CacheEntry {
  analysis: TemplateAnalysis;
  run: HandlebarsTemplateDelegate;
  nodes: number;
}

const CACHE_LIMIT = 500;
const cache = new Map<string, CacheEntry>();

/** Analyses and compiles a source; compiled forms are cached by source hash, least recently used out first. */
const bySource = new Map<string, CacheEntry>();

function compiledSource(source: string): CacheEntry {
  const recent = bySource.get(source);
  if (recent) return recent;
  checkTemplateSize(source);
  const hash = templateSourceHash(source);
  const cached = cache.get(hash);
  if (cached) return remember(hash, touch(hash, cached), source);

  const { analysis, ast } = parseTemplate(source);
  const entry: CacheEntry = {
    analysis,
    run: handlebars.compile(ast, COMPILE_OPTIONS),
    nodes: measureTemplate(source).nodes,
  };
  return remember(hash, entry, source);
}

function touch(key: string, entry: CacheEntry): CacheEntry {
  cache.delete(key);
  cache.set(key, entry);
  return entry;
}

/** Keeps an entry by hash and by its exact source (a lookup without hashing), least recently used out first. */
function remember(key: string, entry: CacheEntry, source: string): CacheEntry {
  cache.set(key, entry);
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  if (source.length <= 4_096) {
    bySource.set(source, entry);
    while (bySource.size > CACHE_LIMIT) bySource.delete(bySource.keys().next().value!);
  }
  return entry;
}

/**
 * Analyses a template (see analyzeTemplate) and checks that the default locale's table has every
 * `{{t}}` key. The result renders with renderTemplate.
 */
export function compileTemplate(source: string, options: CompileTemplateOptions = {}): CompiledTemplate {
  const { analysis, run, nodes } = compiledSource(source);
  const messages = options.messages ?? {};
  const defaultLocale = options.defaultLocale ?? DEFAULT_LOCALE;
  const missing = analysis.translationKeys.filter(
    (key) => findMessage(messages, key, defaultLocale, defaultLocale) === undefined,
  );
  if (missing.length > 0) {
    throw new PromptError(
      'missing_translation',
      `The ${defaultLocale} messages lack ${missing.map((key) => `"${key}"`).join(', ')}, used by {{t}}`,
      { keys: missing, locale: defaultLocale },
    );
  }
  return { analysis, messages, defaultLocale, run, nodes };
}

const canonicalLocales = new Map<string, string>();

function canonicalLocale(locale: string): string {
  const known = canonicalLocales.get(locale);
  if (known) return known;
  try {
    const tag = Intl.getCanonicalLocales(locale.replace(/_/g, '-'))[0];
    if (canonicalLocales.size < 1_000) canonicalLocales.set(locale, tag);
    return tag;
  } catch {
    throw new PromptError('render_failed', `"${locale}" is not a valid locale`, { locale });
  }
}

/** What renders may still do; one budget can be shared by the texts of one ad. */
export interface RenderBudget {
  steps: number;
  characters: number;
}

export function renderBudget(): RenderBudget {
  return { steps: MAX_RENDER_STEPS, characters: MAX_RENDERED_CHARS };
}

/**
 * Renders with the given locale (for number, plural, upper/lower and t). Errors name the variable at
 * fault. `budget` bounds the work (`{{#each}}` iterations × expressions) and output of this render, and
 * of every other render given the same budget.
 */
export function renderTemplate(
  compiled: CompiledTemplate,
  context: object,
  locale: string,
  budget: RenderBudget = renderBudget(),
): string {
  const tag = canonicalLocale(locale);
  try {
    const text = compiled.run(context, {
      ...RUNTIME_OPTIONS,
      helpers: {
        ...createHelpers(tag, compiled.messages, compiled.defaultLocale),
        each: boundedEach(compiled.nodes, budget),
      },
    });
    if (text.length > MAX_RENDERED_CHARS) throw tooLong();
    budget.characters -= text.length;
    if (budget.characters < 0) throw tooLong();
    return text;
  } catch (error) {
    if (error instanceof PromptError) throw error;
    throw renderError(error, compiled.analysis.references, context);
  }
}

const builtinEach = handlebars.helpers.each as (
  this: unknown,
  context: unknown,
  options: HelperOptions,
) => string;

interface HelperOptions {
  fn: (context: unknown, options?: unknown) => string;
  [other: string]: unknown;
}

const tooLong = () =>
  new PromptError('render_too_large', `The rendered text passes ${MAX_RENDERED_CHARS} characters`, {
    limit: MAX_RENDERED_CHARS,
    measure: 'characters',
  });

/**
 * Handlebars' own `{{#each}}`, counting against the budget: each iteration costs the template's
 * expression count in steps, and the characters it writes; refused once past either.
 */
function boundedEach(nodes: number, budget: RenderBudget) {
  const cost = Math.max(1, nodes);
  let characters = 0;
  return function each(this: unknown, context: unknown, options: HelperOptions): string {
    const fn = options.fn;
    return builtinEach.call(this, context, {
      ...options,
      fn: (item: unknown, itemOptions?: unknown) => {
        budget.steps -= cost;
        if (budget.steps < 0) {
          throw new PromptError(
            'render_too_large',
            `{{#each}} runs past the ${MAX_RENDER_STEPS} steps a render may take (each iteration costs ${cost}, one per expression)`,
            { limit: MAX_RENDER_STEPS, measure: 'steps' },
          );
        }
        const text = fn(item, itemOptions);
        characters += text.length;
        if (characters > MAX_RENDERED_CHARS) throw tooLong();
        return text;
      },
    });
  };
}

function renderError(error: unknown, references: readonly VariableReference[], context: object): PromptError {
  const exception = error as { message?: unknown; lineNumber?: unknown; column?: unknown };
  const message = typeof exception.message === 'string' ? exception.message : String(error);

  // Strict mode: `"city" not defined in [object Object] - 1:2`, positioned at the path.
  if (typeof exception.lineNumber === 'number' && typeof exception.column === 'number') {
    const line = exception.lineNumber;
    const column = exception.column + 1;
    const reference = references.find((candidate) => candidate.line === line && candidate.column === column);
    if (reference) return missingVariable(reference, context);
    const name = /^"([^"]+)" not defined/.exec(message)?.[1];
    return new PromptError(
      'render_failed',
      `${name ? `Variable "${name}" is not defined` : message} (line ${line}, column ${column})`,
      { ...(name ? { variable: name } : {}), line, column },
    );
  }

  // A path through a missing object (`{{default a.b.c "x"}}` with no `a.b`) fails as a TypeError.
  if (error instanceof TypeError) {
    const reference = references.find(
      (candidate) => missingPrefix(candidate.segments, context) !== undefined,
    );
    if (reference) return missingVariable(reference, context);
  }
  return new PromptError('render_failed', `Template failed to render: ${message}`);
}

function missingVariable(reference: VariableReference, context: object): PromptError {
  const missing = missingPrefix(reference.segments, context);
  const detail =
    missing && missing !== reference.path
      ? `"${reference.path}" is not defined ("${missing}" is missing)`
      : `"${reference.path}" is not defined`;
  return new PromptError(
    'render_failed',
    `Variable ${detail} (line ${reference.line}, column ${reference.column})`,
    {
      variable: reference.path,
      line: reference.line,
      column: reference.column,
    },
  );
}

/** The shortest prefix of `segments` that does not exist in `context`; undefined when it all resolves. */
function missingPrefix(segments: readonly string[], context: object): string | undefined {
  let current: unknown = context;
  for (let index = 0; index < segments.length; index++) {
    if (segments[index] === '[]') return undefined;
    if (
      current === null ||
      typeof current !== 'object' ||
      !Object.prototype.hasOwnProperty.call(current, segments[index])
    ) {
      return formatPath(segments.slice(0, index + 1));
    }
    current = (current as Record<string, unknown>)[segments[index]];
  }
  return undefined;
}
