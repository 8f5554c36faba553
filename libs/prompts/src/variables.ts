import type { TemplateAnalysis, VariableReference } from './analyze';
import { isHelperName } from './environment';
import { PromptError } from './errors';

export type VariableType = 'string' | 'number' | 'boolean' | 'string[]';
export type VariableValue = string | number | boolean | string[];

export const VARIABLE_TYPES: readonly VariableType[] = ['string', 'number', 'boolean', 'string[]'];

/** A variable a template version declares: `{{product}}` with a type and an optional default. */
export interface DeclaredVariable {
  name: string;
  type: VariableType;
  default?: VariableValue;
}

/** Names every render context has, whatever the template declares. */
export const CONTEXT_ROOTS = ['segment', 'brand', 'locale'] as const;

/** Fields of `segment` in a render context; free-form data lives under `segment.attributes`. */
export const SEGMENT_FIELDS = ['key', 'name', 'locale', 'attributes'] as const;

export interface RenderSegment {
  key: string;
  name: string;
  locale: string;
  attributes: Record<string, unknown>;
}

/**
 * What a template renders against:
 *
 * ```
 * {
 *   segment: { key, name, locale, attributes: { ...free JSON } },
 *   brand:   { ...the brand kit's fields },
 *   locale:  'de-DE',                       // the render's locale
 *   product: 'Trail shoes',                 // one entry per declared variable:
 *   ...                                     //   segment.attributes[name], else the declared default
 * }
 * ```
 *
 * A declared variable with neither a segment attribute nor a default is left out, so
 * `{{#if name}}` and `{{default name "…"}}` see it as missing while a bare `{{name}}` fails the render.
 */
export interface RenderContext {
  segment: RenderSegment;
  brand: Record<string, unknown>;
  locale: string;
  [variable: string]: unknown;
}

export interface RenderContextInput {
  segment: RenderSegment;
  brand?: Record<string, unknown>;
  declared: readonly DeclaredVariable[];
  /** The render's locale; the segment's when omitted. */
  locale?: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isContextRoot(name: string): boolean {
  return (CONTEXT_ROOTS as readonly string[]).includes(name);
}

export function matchesType(value: unknown, type: VariableType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
  }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    return value.every((item) => typeof item === 'string') ? 'string[]' : 'array';
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

/** Refuses declarations a template could not use: bad names, reserved names, unknown types, mistyped defaults. */
export function validateDeclarations(declared: readonly DeclaredVariable[]): void {
  const seen = new Set<string>();
  for (const variable of declared) {
    const { name } = variable;
    const problem = !IDENTIFIER.test(name)
      ? 'must be letters, digits and underscores, not starting with a digit'
      : isContextRoot(name)
        ? `is always provided by the render context (${CONTEXT_ROOTS.join(', ')})`
        : isHelperName(name)
          ? `is the name of a helper; {{${name}}} would call it`
          : seen.has(name)
            ? 'is declared twice'
            : !VARIABLE_TYPES.includes(variable.type)
              ? `has type "${String(variable.type)}"; types are ${VARIABLE_TYPES.join(', ')}`
              : undefined;
    if (problem) {
      throw new PromptError('invalid_declaration', `Variable "${name}" ${problem}`, { variable: name });
    }
    seen.add(name);
    if (variable.default !== undefined && !matchesType(variable.default, variable.type)) {
      throw new PromptError(
        'variable_type',
        `Variable "${name}" is declared as ${variable.type} but its default is ${typeOf(variable.default)}`,
        { variable: name, expected: variable.type, actual: typeOf(variable.default), source: 'default' },
      );
    }
  }
}

function problemWith(
  reference: VariableReference,
  declared: ReadonlyMap<string, DeclaredVariable>,
): string | undefined {
  const [root, field, ...rest] = reference.segments;
  if (root === 'segment') {
    if (field === undefined || (SEGMENT_FIELDS as readonly string[]).includes(field)) return undefined;
    return `segment has no field "${field}"; segment data lives under segment.attributes (segment.attributes.${field}?)`;
  }
  if (root === 'brand') return undefined;
  if (root === 'locale') return field === undefined ? undefined : 'locale is text and has no fields';
  const variable = declared.get(root);
  if (!variable) return `"${root}" is not declared; declare it or read segment.attributes.${root}`;
  if (field === undefined) return undefined;
  if (variable.type === 'string[]' && (field === '[]' || field === 'length') && rest.length === 0)
    return undefined;
  return `"${root}" is declared as ${variable.type} and has no field "${field}"`;
}

/**
 * Checks that every variable a template reads exists in its render context: `segment`, `brand`,
 * `locale` or a declared variable. Throws `unknown_variable` naming each offending path.
 */
export function checkDeclaredVariables(
  analysis: TemplateAnalysis,
  declared: readonly DeclaredVariable[],
): void {
  validateDeclarations(declared);
  const byName = new Map(declared.map((variable) => [variable.name, variable]));
  const problems = new Map<string, { reference: VariableReference; problem: string }>();
  for (const reference of analysis.references) {
    if (problems.has(reference.path)) continue;
    const problem = problemWith(reference, byName);
    if (problem) problems.set(reference.path, { reference, problem });
  }
  if (problems.size === 0) return;

  const [first] = problems.values();
  const others =
    problems.size > 1 ? ` (and ${problems.size - 1} more: ${[...problems.keys()].slice(1).join(', ')})` : '';
  throw new PromptError(
    'unknown_variable',
    `Unknown variable "${first.reference.path}" at line ${first.reference.line}, column ${first.reference.column}: ${first.problem}${others}`,
    {
      variable: first.reference.path,
      variables: [...problems.keys()],
      line: first.reference.line,
      column: first.reference.column,
    },
  );
}

/** Builds the render context for one segment; declared variables come from its attributes, then defaults. */
export function buildRenderContext(input: RenderContextInput): RenderContext {
  const { segment, declared } = input;
  validateDeclarations(declared);
  const context: RenderContext = {
    segment: {
      key: segment.key,
      name: segment.name,
      locale: segment.locale,
      attributes: segment.attributes ?? {},
    },
    brand: input.brand ?? {},
    locale: input.locale ?? segment.locale,
  };
  const attributes = context.segment.attributes;
  for (const variable of declared) {
    const fromSegment = Object.prototype.hasOwnProperty.call(attributes, variable.name);
    const value = fromSegment ? attributes[variable.name] : variable.default;
    if (value === undefined) continue;
    if (!matchesType(value, variable.type)) {
      const source = fromSegment ? `segment "${segment.key}" attribute` : 'default';
      throw new PromptError(
        'variable_type',
        `Variable "${variable.name}" must be ${variable.type}, but the ${source} is ${typeOf(value)} (${JSON.stringify(value)})`,
        {
          variable: variable.name,
          expected: variable.type,
          actual: typeOf(value),
          source: fromSegment ? 'segment.attributes' : 'default',
        },
      );
    }
    context[variable.name] = value;
  }
  return context;
}
