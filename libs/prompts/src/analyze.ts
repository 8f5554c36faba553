import { createHash } from 'node:crypto';

import { checkTemplateComplexity } from './complexity';
import { HELPERS, handlebars, isHelperName } from './environment';
import { PromptError } from './errors';

/** Largest template source accepted, in UTF-8 bytes. Larger sources are refused with 413 before parsing. */
export const MAX_TEMPLATE_BYTES = 64 * 1024;

/** Path segments that reach into JavaScript's object machinery rather than into data. */
const UNSAFE_SEGMENTS = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** `@` variables a template may read; `@root` is resolved like a path from the top of the context. */
const DATA_VARIABLES = new Set(['root', 'index', 'key', 'first', 'last']);

/** Marks "each element of" in a resolved path: `products[].name`. */
const ELEMENT = '[]';

export interface VariableReference {
  /** Dotted path from the top of the render context, `[]` marking array elements: `products[].name`. */
  path: string;
  /** First segment of `path`: what must exist in the render context (`segment`, `brand`, a declared variable). */
  root: string;
  /** Segments of `path`, for walking a context. */
  segments: readonly string[];
  line: number;
  column: number;
}

export interface TemplateAnalysis {
  /** sha256 (hex) of the source. */
  sourceHash: string;
  /** Every distinct variable path the template reads, in order of first use. */
  variables: string[];
  /** Top-level names the template reads, in order of first use. */
  roots: string[];
  /** Helpers called, in order of first use. */
  helpers: string[];
  /** Keys passed to `{{t "..."}}`. */
  translationKeys: string[];
  /** Every variable reference with its position (1-based), in source order. */
  references: VariableReference[];
}

/** The parsed template kept alongside the analysis so compiling does not parse twice. */
export interface ParsedTemplate {
  analysis: TemplateAnalysis;
  ast: hbs.AST.Program;
}

export function templateSourceHash(source: string): string {
  return createHash('sha256').update(source, 'utf8').digest('hex');
}

export function formatPath(segments: readonly string[]): string {
  let path = '';
  for (const segment of segments) {
    if (segment === ELEMENT) path += ELEMENT;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path;
}

/**
 * Checks a template at save time: size, syntax, helpers, paths. Throws a PromptError naming the
 * first problem and its position; returns what the template reads and calls.
 */
export function analyzeTemplate(source: string): TemplateAnalysis {
  return parseTemplate(source).analysis;
}

export function checkTemplateSize(source: string): void {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_TEMPLATE_BYTES) {
    throw new PromptError(
      'template_too_large',
      `Template is ${bytes} bytes; the limit is ${MAX_TEMPLATE_BYTES} bytes (64 KB)`,
      { bytes, limit: MAX_TEMPLATE_BYTES },
    );
  }
}

export function parseTemplate(source: string): ParsedTemplate {
  checkTemplateSize(source);
  // Bounded depth also bounds the recursion below, Handlebars' and the Walker's.
  checkTemplateComplexity(source);
  const ast = parseSource(source);
  const walker = new Walker();
  walker.program(ast, [[]], new Map());
  return { ast, analysis: walker.result(templateSourceHash(source)) };
}

// ---------------------------------------------------------------------------------------------
// Syntax errors

interface LexerState {
  yylloc?: { first_line: number; first_column: number };
}

function lexerState(): LexerState | undefined {
  return (handlebars as unknown as { Parser?: { lexer?: LexerState } }).Parser?.lexer;
}

function parseSource(source: string): hbs.AST.Program {
  try {
    return handlebars.parse(source);
  } catch (error) {
    throw syntaxError(source, error);
  }
}

/**
 * Handlebars reports syntax errors in two shapes: an Exception carrying `lineNumber`/`column` (a block
 * closed by the wrong name), or a parser error whose message starts "Parse error on line N:" with the
 * position drawn as ASCII art. For the second, the column is read from the lexer, which still holds
 * the offending token's location right after the synchronous parse failed.
 */
function syntaxError(source: string, error: unknown): PromptError {
  const raw = error instanceof Error ? error.message : String(error);
  const exception = error as { lineNumber?: unknown; column?: unknown };
  if (typeof exception.lineNumber === 'number') {
    const column = typeof exception.column === 'number' ? exception.column + 1 : 1;
    const withoutPosition = raw.replace(/ - \d+:\d+$/, '');
    const mismatch = /^(\S+) doesn't match (\S+)$/.exec(withoutPosition);
    const reason = mismatch ? `{{#${mismatch[1]}}} is closed by {{/${mismatch[2]}}}` : withoutPosition;
    return syntaxAt(exception.lineNumber, column, reason);
  }

  const match = /(?:Parse|Lexical) error on line (\d+)/.exec(raw);
  if (!match) return syntaxAt(1, 1, raw.split('\n')[0]);
  const line = Number(match[1]);
  const got = /got '([^']+)'\s*$/.exec(raw)?.[1];

  if (got === 'EOF') {
    const unclosed = findUnclosedBlock(source);
    if (unclosed) {
      return syntaxAt(
        unclosed.line,
        unclosed.column,
        `{{#${unclosed.name}}} is never closed: add {{/${unclosed.name}}}`,
      );
    }
  }

  const location = lexerState()?.yylloc;
  const column = location && location.first_line === line ? location.first_column + 1 : 1;
  const reason = raw.startsWith('Lexical error')
    ? 'unrecognised text (an unclosed comment or mustache?)'
    : `unexpected ${describeToken(got)}`;
  return syntaxAt(line, column, reason);
}

function syntaxAt(line: number, column: number, reason: string): PromptError {
  return new PromptError(
    'template_syntax',
    `Template syntax error at line ${line}, column ${column}: ${reason}`,
    {
      line,
      column,
    },
  );
}

function describeToken(token: string | undefined): string {
  switch (token) {
    case undefined:
      return 'input';
    case 'EOF':
      return 'end of template';
    case 'INVALID':
      return 'text inside a mustache (an unclosed {{ or a stray character?)';
    case 'CLOSE':
    case 'CLOSE_UNESCAPED':
      return '"}}"';
    default:
      return token.toLowerCase().replace(/_/g, ' ');
  }
}

function positionOf(source: string, index: number): { line: number; column: number } {
  const before = source.slice(0, index);
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** The innermost `{{#name}}` without its `{{/name}}`, found by a plain scan (the parser gives up at EOF). */
function findUnclosedBlock(source: string): { name: string; line: number; column: number } | undefined {
  const tokens = /\{\{~?!--[\s\S]*?--~?\}\}|\{\{~?![\s\S]*?\}\}|\{\{~?\s*([#/])\s*(?:>\s*)?([^\s}~()]+)/g;
  const open: { name: string; index: number }[] = [];
  for (let match = tokens.exec(source); match; match = tokens.exec(source)) {
    const [, kind, name] = match;
    if (kind === '#') open.push({ name, index: match.index });
    else if (kind === '/' && open.length > 0 && open[open.length - 1].name === name) open.pop();
  }
  const innermost = open[open.length - 1];
  return innermost && { name: innermost.name, ...positionOf(source, innermost.index) };
}

// ---------------------------------------------------------------------------------------------
// AST walk

/** What `this` is at some depth: a path from the top of the context, or null when it cannot be known. */
type Base = readonly string[] | null;
type BlockParams = ReadonlyMap<string, Base>;

function position(node: hbs.AST.Node): { line: number; column: number } {
  return { line: node.loc?.start.line ?? 1, column: (node.loc?.start.column ?? 0) + 1 };
}

function at(node: hbs.AST.Node): string {
  const { line, column } = position(node);
  return `line ${line}, column ${column}`;
}

function isPath(node: hbs.AST.Node): node is hbs.AST.PathExpression {
  return node.type === 'PathExpression';
}

/** `this.x` and `./x` always read the context, never a helper or a block parameter. */
function isScoped(path: hbs.AST.PathExpression): boolean {
  return /^\.|^this(?:$|[./])/.test(path.original);
}

function literalText(node: hbs.AST.Node): string {
  const literal = node as Partial<hbs.AST.StringLiteral>;
  return literal.original !== undefined ? String(literal.original) : node.type;
}

class Walker {
  private readonly references: VariableReference[] = [];
  private readonly helpers = new Set<string>();
  private readonly translationKeys = new Set<string>();

  result(sourceHash: string): TemplateAnalysis {
    const unique = <T>(values: T[]) => [...new Set(values)];
    return {
      sourceHash,
      variables: unique(this.references.map((reference) => reference.path)),
      roots: unique(this.references.map((reference) => reference.root)),
      helpers: [...this.helpers],
      translationKeys: [...this.translationKeys],
      references: this.references,
    };
  }

  program(program: hbs.AST.Program | undefined, contexts: Base[], params: BlockParams): void {
    if (!program) return;
    for (const statement of program.body) this.statement(statement, contexts, params);
  }

  private statement(node: hbs.AST.Statement, contexts: Base[], params: BlockParams): void {
    switch (node.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement':
        return this.mustache(node as hbs.AST.MustacheStatement, contexts, params);
      case 'BlockStatement':
        return this.block(node as hbs.AST.BlockStatement, contexts, params);
      case 'PartialStatement':
      case 'PartialBlockStatement':
        throw new PromptError('unsafe_expression', `Partials ({{> ...}}) are not supported (${at(node)})`, {
          ...position(node),
        });
      default: {
        const what = node.type.startsWith('Decorator') ? 'Decorators ({{* ...}})' : node.type;
        throw new PromptError('unsafe_expression', `${what} are not supported (${at(node)})`, {
          ...position(node),
        });
      }
    }
  }

  private mustache(node: hbs.AST.MustacheStatement, contexts: Base[], params: BlockParams): void {
    const callee = node.path;
    if (!isPath(callee)) {
      throw new PromptError(
        'unsafe_expression',
        `{{${literalText(callee)}}} reads a property named by a literal; write the variable's path instead (${at(callee)})`,
        { ...position(callee) },
      );
    }
    const hasArguments = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    const name = this.helperCandidate(callee, params);
    if (name !== undefined && (hasArguments || isHelperName(name))) {
      this.call(name, node, false, contexts, params);
      return;
    }
    this.reference(callee, contexts, params);
  }

  private block(node: hbs.AST.BlockStatement, contexts: Base[], params: BlockParams): void {
    const name = this.helperCandidate(node.path, params);
    if (name === undefined || !isHelperName(name) || !HELPERS[name].block) {
      this.checkPath(node.path);
      const label = node.path.original;
      if (name !== undefined && isHelperName(name)) {
        throw new PromptError(
          'invalid_helper_call',
          `{{${label}}} is not a block helper: write {{${label} ...}} without # (${at(node)})`,
          { helper: name, ...position(node) },
        );
      }
      throw new PromptError(
        'unknown_helper',
        `{{#${label}}} is not a block helper; blocks are if, unless, each and with (${at(node)})`,
        { helper: label, ...position(node) },
      );
    }
    this.call(name, node, true, contexts, params);

    const subject = node.params[0];
    const blockParamNames = node.program?.blockParams ?? [];
    if (name === 'if' || name === 'unless') {
      this.program(node.program, contexts, params);
    } else if (name === 'with') {
      const base = isPath(subject) ? this.resolve(subject, contexts, params) : null;
      const sameContext =
        isPath(subject) && subject.parts.length === 0 && subject.depth === 0 && !subject.data;
      const inner = new Map(params);
      if (blockParamNames[0] !== undefined) inner.set(blockParamNames[0], base);
      this.program(node.program, sameContext ? contexts : [...contexts, base], inner);
    } else {
      const list = isPath(subject) ? this.resolve(subject, contexts, params) : null;
      const element = list === null ? null : [...list, ELEMENT];
      const inner = new Map(params);
      if (blockParamNames[0] !== undefined) inner.set(blockParamNames[0], element);
      if (blockParamNames[1] !== undefined) inner.set(blockParamNames[1], null);
      this.program(node.program, [...contexts, element], inner);
    }
    this.program(node.inverse, contexts, params);
  }

  /** The helper a path names when it is written like one (`upper`, not `this.upper`, `../upper` or `a.b`). */
  private helperCandidate(path: hbs.AST.PathExpression, params: BlockParams): string | undefined {
    if (path.data || path.depth > 0 || path.parts.length !== 1 || isScoped(path)) return undefined;
    const name = path.parts[0];
    return params.has(name) ? undefined : name;
  }

  private call(
    name: string,
    node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression,
    asBlock: boolean,
    contexts: Base[],
    params: BlockParams,
  ): void {
    if (!isHelperName(name)) {
      this.rejectUnknownHelper(name, node);
    }
    const spec = HELPERS[name];
    if (spec.block && !asBlock) {
      throw new PromptError(
        'invalid_helper_call',
        `{{${name}}} is a block helper: write {{#${name} ...}}...{{/${name}}} (${at(node)})`,
        { helper: name, ...position(node) },
      );
    }
    const count = node.params.length;
    if (count < spec.minParams || count > spec.maxParams) {
      const expected =
        spec.minParams === spec.maxParams ? `${spec.minParams}` : `${spec.minParams} to ${spec.maxParams}`;
      throw new PromptError(
        'invalid_helper_call',
        `{{${name}}} takes ${expected} argument${spec.maxParams === 1 ? '' : 's'}, got ${count} (${at(node)})`,
        { helper: name, ...position(node) },
      );
    }
    for (const pair of node.hash?.pairs ?? []) {
      if (!spec.hash.includes(pair.key)) {
        const allowed = spec.hash.length > 0 ? `; it accepts ${spec.hash.join(', ')}` : '';
        throw new PromptError(
          'invalid_helper_call',
          `{{${name}}} has no option "${pair.key}"${allowed} (${at(pair)})`,
          { helper: name, ...position(pair) },
        );
      }
    }
    if (name === 't') {
      const key = node.params[0];
      if (key.type !== 'StringLiteral') {
        throw new PromptError(
          'invalid_helper_call',
          `{{t}} takes a quoted message key, like {{t "greeting"}} (${at(node)})`,
          { helper: name, ...position(node) },
        );
      }
      this.translationKeys.add((key as hbs.AST.StringLiteral).value);
    }
    this.helpers.add(name);
    for (const param of node.params) this.expression(param, contexts, params);
    for (const pair of node.hash?.pairs ?? []) this.expression(pair.value, contexts, params);
  }

  private rejectUnknownHelper(
    name: string,
    node: hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement,
  ): never {
    if (UNSAFE_SEGMENTS.has(name)) {
      throw new PromptError(
        'unsafe_expression',
        `"${name}" may not be called from a template (${at(node)})`,
        {
          segment: name,
          ...position(node),
        },
      );
    }
    if (name === 'lookup') {
      const unsafe = node.params.find(
        (param) =>
          param.type === 'StringLiteral' && UNSAFE_SEGMENTS.has((param as hbs.AST.StringLiteral).value),
      );
      if (unsafe) {
        throw new PromptError(
          'unsafe_expression',
          `{{lookup}} of "${(unsafe as hbs.AST.StringLiteral).value}" is not allowed (${at(node)})`,
          { segment: (unsafe as hbs.AST.StringLiteral).value, ...position(node) },
        );
      }
    }
    const hint = name === 'lookup' ? ': write the path instead, like {{segment.attributes.city}}' : '';
    throw new PromptError(
      'unknown_helper',
      `Unknown helper "${name}"${hint}; available: ${Object.keys(HELPERS).join(', ')} (${at(node)})`,
      { helper: name, ...position(node) },
    );
  }

  private expression(node: hbs.AST.Expression, contexts: Base[], params: BlockParams): void {
    if (isPath(node)) {
      this.reference(node, contexts, params);
    } else if (node.type === 'SubExpression') {
      const sub = node as hbs.AST.SubExpression;
      const name = this.helperCandidate(sub.path, params);
      if (name === undefined) {
        this.checkPath(sub.path);
        throw new PromptError(
          'unknown_helper',
          `(${sub.path.original} ...) does not name a helper (${at(sub)})`,
          { helper: sub.path.original, ...position(sub) },
        );
      }
      this.call(name, sub, false, contexts, params);
    }
  }

  private checkPath(path: hbs.AST.PathExpression): void {
    const unsafe = path.parts.find((part) => UNSAFE_SEGMENTS.has(part));
    if (unsafe !== undefined) {
      throw new PromptError(
        'unsafe_expression',
        `"${path.original}" reaches "${unsafe}", which templates may not read (${at(path)})`,
        { segment: unsafe, path: path.original, ...position(path) },
      );
    }
  }

  private reference(path: hbs.AST.PathExpression, contexts: Base[], params: BlockParams): void {
    const segments = this.resolve(path, contexts, params);
    if (segments === null || segments.length === 0) return;
    this.references.push({
      path: formatPath(segments),
      root: segments[0],
      segments,
      ...position(path),
    });
  }

  /** The path from the top of the context that `path` reads, or null when it is not knowable statically. */
  private resolve(path: hbs.AST.PathExpression, contexts: Base[], params: BlockParams): Base {
    this.checkPath(path);
    if (path.data) {
      const [variable, ...rest] = path.parts;
      if (!DATA_VARIABLES.has(variable)) {
        throw new PromptError(
          'unknown_variable',
          `"@${variable}" is not available; use @root, @index, @key, @first or @last (${at(path)})`,
          { variable: `@${variable}`, ...position(path) },
        );
      }
      return variable === 'root' ? rest : null;
    }
    if (!isScoped(path) && path.depth === 0 && path.parts.length > 0 && params.has(path.parts[0])) {
      const base = params.get(path.parts[0]) ?? null;
      return base === null ? null : [...base, ...path.parts.slice(1)];
    }
    const level = contexts.length - 1 - path.depth;
    if (level < 0) {
      throw new PromptError(
        'unknown_variable',
        `"${path.original}" climbs above the top of the template (${at(path)})`,
        { variable: path.original, ...position(path) },
      );
    }
    const base = contexts[level];
    return base === null ? null : [...base, ...path.parts];
  }
}
