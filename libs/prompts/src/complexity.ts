import { PromptError } from './errors';

/** Blocks, `{{else if}}` chains and subexpressions nested deeper than this are refused before parsing. */
export const MAX_TEMPLATE_DEPTH = 24;
/** Mustaches and subexpressions in one template; more are refused before parsing. */
export const MAX_TEMPLATE_NODES = 300;

export interface TemplateComplexity {
  /** Deepest nesting of blocks (an `{{else if}}` counts as one more) and subexpressions. */
  depth: number;
  /** Mustaches (`{{...}}`, blocks, closings) and subexpressions. */
  nodes: number;
}

/**
 * How deep and how large a template is, from one linear scan of its source, so a hostile template
 * is refused before Handlebars' parser and compiler (which recurse over the tree) ever see it.
 * Counts conservatively: anything that looks like nesting counts as nesting.
 */
export function measureTemplate(source: string): TemplateComplexity {
  /** One entry per open block: 1, plus one per `{{else x}}` chained onto it. */
  const blocks: number[] = [];
  let blockDepth = 0;
  let depth = 0;
  let nodes = 0;
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) break;
    // `\{{` is text; `\\{{` is a backslash and then a mustache.
    if (source[open - 1] === '\\' && source[open - 2] !== '\\') {
      i = open + 2;
      continue;
    }
    nodes++;
    let at = open + 2;
    while (source[at] === '{') at++; // `{{{x}}}` and `{{{{raw}}}}`
    if (source[at] === '~') at++;
    const sigil = source[at];
    if (sigil === '!') {
      const comment = source.startsWith('!--', at) ? '--}}' : '}}';
      const end = source.indexOf(comment, at);
      i = end < 0 ? source.length : end + comment.length;
      continue;
    }
    const close = scanMustache(source, at);
    depth = Math.max(depth, blockDepth + close.parens);
    nodes += close.subexpressions;
    const inverseAlone = sigil === '^' && /^\^\s*~?\s*\}\}$/.test(source.slice(at, close.end));
    if (sigil === '#' || (sigil === '^' && !inverseAlone)) {
      blocks.push(1);
      blockDepth++;
    } else if (sigil === '/') {
      blockDepth -= blocks.pop() ?? 0;
    } else if (/^else\s+[^\s~}]/.test(source.slice(at, Math.min(at + 12, close.end))) && blocks.length > 0) {
      blocks[blocks.length - 1]++;
      blockDepth++;
    }
    depth = Math.max(depth, blockDepth);
    if (depth > MAX_TEMPLATE_DEPTH || nodes > MAX_TEMPLATE_NODES) return { depth, nodes };
    i = close.end;
  }
  return { depth, nodes };
}

/** Where the mustache starting at `at` ends, and how its parentheses nest (string literals skipped). */
function scanMustache(source: string, at: number): { end: number; parens: number; subexpressions: number } {
  let parens = 0;
  let deepest = 0;
  let subexpressions = 0;
  let quote: string | undefined;
  for (let i = at; i < source.length; i++) {
    const char = source[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if (char === '(') {
      parens++;
      subexpressions++;
      deepest = Math.max(deepest, parens);
    } else if (char === ')') parens = Math.max(0, parens - 1);
    else if (char === '}' && source[i + 1] === '}') return { end: i + 2, parens: deepest, subexpressions };
  }
  return { end: source.length, parens: deepest, subexpressions };
}

/** Refuses a template nested or sized beyond the limits, naming the limit it passes. */
export function checkTemplateComplexity(source: string): void {
  const { depth, nodes } = measureTemplate(source);
  if (depth > MAX_TEMPLATE_DEPTH) {
    throw new PromptError(
      'template_too_complex',
      `Template nests blocks and subexpressions more than ${MAX_TEMPLATE_DEPTH} deep`,
      { limit: MAX_TEMPLATE_DEPTH, measure: 'depth' },
    );
  }
  if (nodes > MAX_TEMPLATE_NODES) {
    throw new PromptError(
      'template_too_complex',
      `Template has more than ${MAX_TEMPLATE_NODES} expressions ({{...}} and (...))`,
      { limit: MAX_TEMPLATE_NODES, measure: 'nodes' },
    );
  }
}
