import { ProvenanceError } from './errors';

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Serialises JSON data in one canonical form, after RFC 8785 (JCS) for the value types manifests
 * use: object keys sorted by UTF-16 code units, no whitespace, numbers and strings written as
 * ECMAScript's JSON.stringify writes them. Object properties that are `undefined` are left out, as
 * JSON.stringify does; anything JSON cannot carry (NaN, Infinity, lone surrogates, Dates, Maps,
 * class instances, `undefined` in an array) is refused rather than silently changed.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function refuse(path: string, what: string): never {
  throw new ProvenanceError('invalid_manifest', `${path} is ${what}, which canonical JSON cannot carry`, {
    path,
  });
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) refuse(path, String(value));
      return JSON.stringify(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) refuse(path, 'a string with a lone surrogate');
      return JSON.stringify(value);
    case 'object':
      if (Array.isArray(value)) {
        return `[${value.map((item, index) => write(item, `${path}[${index}]`)).join(',')}]`;
      }
      return writeObject(value, path);
    default:
      return refuse(path, typeof value);
  }
}

function writeObject(value: object, path: string): string {
  // A plain object's prototype is Object.prototype of whichever realm made it (JSON.parse in a driver,
  // structuredClone), so compare shapes rather than identity.
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== null && Object.getPrototypeOf(prototype) !== null) {
    refuse(path, `a ${prototype?.constructor?.name ?? 'non-plain'} object`);
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue;
    if (LONE_SURROGATE.test(key)) refuse(`${path}.${key}`, 'a key with a lone surrogate');
    members.push(`${JSON.stringify(key)}:${write(record[key], `${path}.${key}`)}`);
  }
  return `{${members.join(',')}}`;
}
