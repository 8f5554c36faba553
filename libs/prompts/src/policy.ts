import { PromptError } from './errors';

export interface PolicyText {
  /** Where the text comes from: `prompt`, `headline`, `cta`, `captions[2]`. */
  field: string;
  text: string;
}

export interface RealPerson {
  name: string;
  /** Recorded consent to use this person's name (and likeness) in ads. */
  consent: boolean;
}

/**
 * A brand's content rules. Terms and names are matched as whole words, ignoring case and accents
 * ("Beyonce" matches "Beyoncé"); punctuation or spaces inside a term match any short run of
 * separators ("Jean-Luc" matches "Jean Luc").
 */
export interface ContentPolicy {
  blockedTerms: readonly string[];
  realPeople: readonly RealPerson[];
}

export type PolicyViolationKind = 'blocked_term' | 'real_person_without_consent';

export interface PolicyViolation {
  field: string;
  /** The policy entry that matched, as written in the policy. */
  term: string;
  kind: PolicyViolationKind;
  /** The offending words as they appear in the text. */
  match: string;
  /** The offending words with a little of the text around them. */
  excerpt: string;
  /** Offset of `match` in the text (UTF-16 code units). */
  index: number;
}

export interface PolicyResult {
  ok: boolean;
  violations: PolicyViolation[];
}

const EXCERPT_CONTEXT = 30;
const WORD_CHAR = '[\\p{L}\\p{N}]';
const SEPARATOR = '[^\\p{L}\\p{N}]{1,3}';

interface NormalizedText {
  text: string;
  /** For each UTF-16 unit of `text`, the offsets in the original of the code point it came from. */
  starts: number[];
  ends: number[];
}

function foldCodePoint(codePoint: string): string {
  return codePoint
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '');
}

/** Lower-cased, compatibility-decomposed text without combining marks, mapped back to the original. */
export function normalizeForMatching(original: string): NormalizedText {
  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  let offset = 0;
  for (const codePoint of original) {
    const folded = foldCodePoint(codePoint);
    const end = offset + codePoint.length;
    // A combining mark folds to nothing: it belongs to the letter before it.
    if (folded === '' && ends.length > 0) ends[ends.length - 1] = end;
    for (let unit = 0; unit < folded.length; unit++) {
      starts.push(offset);
      ends.push(end);
    }
    text += folded;
    offset = end;
  }
  return { text, starts, ends };
}

/** A whole-word, case- and accent-insensitive pattern for a term, or undefined when it has no words. */
function termPattern(term: string): RegExp | undefined {
  const words = normalizeForMatching(term)
    .text.split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
  if (words.length === 0) return undefined;
  // Words hold only letters and digits, so they need no escaping.
  const body = words.join(SEPARATOR);
  return new RegExp(`(?<!${WORD_CHAR})${body}(?!${WORD_CHAR})`, 'gu');
}

function excerptAround(text: string, start: number, end: number): string {
  const from = Math.max(0, start - EXCERPT_CONTEXT);
  const to = Math.min(text.length, end + EXCERPT_CONTEXT);
  const body = text.slice(from, to).replace(/\s+/g, ' ').trim();
  return `${from > 0 ? '…' : ''}${body}${to < text.length ? '…' : ''}`;
}

interface Rule {
  term: string;
  kind: PolicyViolationKind;
  pattern: RegExp;
}

export interface ContentPolicyChecker {
  check(texts: readonly PolicyText[]): PolicyResult;
}

/** Compiles a policy once for checking many texts (every variant of a campaign). */
export function compileContentPolicy(policy: ContentPolicy): ContentPolicyChecker {
  const rules: Rule[] = [];
  for (const term of policy.blockedTerms) {
    const pattern = termPattern(term);
    if (pattern) rules.push({ term, kind: 'blocked_term', pattern });
  }
  const consented = new Set(
    policy.realPeople
      .filter((person) => person.consent)
      .map((person) => normalizeForMatching(person.name).text),
  );
  for (const person of policy.realPeople) {
    if (person.consent || consented.has(normalizeForMatching(person.name).text)) continue;
    const pattern = termPattern(person.name);
    if (pattern) rules.push({ term: person.name, kind: 'real_person_without_consent', pattern });
  }

  return {
    check(texts) {
      const violations: PolicyViolation[] = [];
      if (rules.length === 0) return { ok: true, violations };
      for (const { field, text } of texts) {
        const found: PolicyViolation[] = [];
        const normalized = normalizeForMatching(text);
        for (const rule of rules) {
          for (const match of normalized.text.matchAll(rule.pattern)) {
            const start = normalized.starts[match.index];
            const end = normalized.ends[match.index + match[0].length - 1];
            found.push({
              field,
              term: rule.term,
              kind: rule.kind,
              match: text.slice(start, end),
              excerpt: excerptAround(text, start, end),
              index: start,
            });
          }
        }
        violations.push(...found.sort((a, b) => a.index - b.index));
      }
      return { ok: violations.length === 0, violations };
    },
  };
}

export function checkContentPolicy(texts: readonly PolicyText[], policy: ContentPolicy): PolicyResult {
  return compileContentPolicy(policy).check(texts);
}

/** Throws `policy_violation` listing every violation, each quoting the offending words and the field. */
export function assertContentPolicy(texts: readonly PolicyText[], policy: ContentPolicy): void {
  const { ok, violations } = checkContentPolicy(texts, policy);
  if (ok) return;
  const listed = violations
    .map((violation) =>
      violation.kind === 'blocked_term'
        ? `${violation.field}: blocked term "${violation.match}" in "${violation.excerpt}"`
        : `${violation.field}: "${violation.match}" is a real person without recorded consent, in "${violation.excerpt}"`,
    )
    .join('; ');
  throw new PromptError('policy_violation', `Content policy violated: ${listed}`, {
    field: violations[0].field,
    violations,
  });
}
