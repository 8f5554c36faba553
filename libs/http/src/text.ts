import { isUtf8 } from 'node:buffer';
import { CommonError } from '@adloom/common';

/** `String.prototype.isWellFormed` (ES2024, Node ≥ 20), beyond the project's ES2023 lib. */
interface WellFormed {
  isWellFormed(): boolean;
}

/**
 * Text Postgres cannot store as sent: U+0000 (refused by `text` and `jsonb`) and lone UTF-16
 * surrogates (silently replaced by U+FFFD in `text`, refused by `jsonb`).
 */
export function textFault(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains U+0000 (NUL), which cannot be stored';
  if (!(value as unknown as WellFormed).isWellFormed())
    return 'contains a lone UTF-16 surrogate, which is not valid Unicode';
  return undefined;
}

export interface TextFault {
  /** `a.b[2].c`; `` for the value itself. */
  path: string;
  reason: string;
}

const MAX_PATH_CHARS = 200;
/** Deeper JSON than this is refused: no field of the API nests nearly as far. */
export const MAX_JSON_DEPTH = 32;

/**
 * The first string (value or object key) anywhere in `value` that `textFault` refuses, or the first
 * value nested deeper than `MAX_JSON_DEPTH`. Walks with an explicit stack, so a deeply nested body
 * cannot overflow the call stack (here or in a `JSON.stringify` later).
 */
export function findTextFault(value: unknown): TextFault | undefined {
  const stack: [unknown, string, number][] = [[value, '', 0]];
  while (stack.length > 0) {
    const [node, path, depth] = stack.pop()!;
    if (typeof node === 'string') {
      const reason = textFault(node);
      if (reason) return { path, reason };
      continue;
    }
    if (node === null || typeof node !== 'object' || Buffer.isBuffer(node)) continue;
    if (depth >= MAX_JSON_DEPTH) return { path, reason: `is nested more than ${MAX_JSON_DEPTH} levels deep` };
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${path}[${i}]`, depth + 1]);
      continue;
    }
    const keys = Object.keys(node);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i];
      const reason = textFault(key);
      const keyPath = path === '' ? safeKey(key) : `${path}.${safeKey(key)}`;
      if (reason) return { path: keyPath, reason: `its name ${reason}` };
      stack.push([(node as Record<string, unknown>)[key], keyPath, depth + 1]);
    }
  }
  return undefined;
}

/** A key fit to be named in a problem: bounded, with unstorable characters escaped. */
function safeKey(key: string): string {
  const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
  return JSON.stringify(shown).slice(1, -1);
}

/** Bounds a field path for a problem answer. */
export function boundedPath(path: string): string {
  return path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path;
}

/** A text body (CSV) as a string; bytes that are not UTF-8 are refused rather than replaced by U+FFFD. */
export function decodeUtf8(bytes: Buffer): string {
  if (!isUtf8(bytes)) {
    throw new CommonError('unprocessable', 'The body is not valid UTF-8 text.', { field: 'body' });
  }
  return bytes.toString('utf8');
}

const MEDIA_TYPE_ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'audio/mp3': 'audio/mpeg',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
};

/** `image/png; charset=x` → `image/png`; `audio/x-wav` and `audio/wave` → `audio/wav`; `audio/mp3` → `audio/mpeg`. */
export function mediaTypeOf(header: string | undefined): string {
  const type = (header ?? '').split(';')[0].trim().toLowerCase();
  return MEDIA_TYPE_ALIASES[type] ?? type;
}
