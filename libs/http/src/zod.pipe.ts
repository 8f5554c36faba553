import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { CommonError } from '@adloom/common';
import { z } from 'zod';
import { boundedPath, findTextFault } from './text';

/** At most this many fields are listed in a validation problem. */
export const MAX_LISTED_ERRORS = 5;
const MAX_MESSAGE_CHARS = 300;

/** `a.b[2].c` from a zod issue path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

const prefixed = (prefix: string | undefined, path: string) =>
  prefix ? (path ? (path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`) : prefix) : path;

const bounded = (text: string) =>
  text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;

/** Schemas whose route checks the text of its items itself (a batch that refuses bad items one by one). */
const itemsCheckedAlone = new WeakSet<z.ZodType>();

/**
 * Marks a schema whose route validates each item on its own, text included, so one item's U+0000
 * refuses that item rather than the whole request.
 */
export function checksItemsAlone<S extends z.ZodType>(schema: S): S {
  itemsCheckedAlone.add(schema);
  return schema;
}

/** Throws a 422 problem naming the first string Postgres could not store (U+0000, a lone surrogate). */
export function assertStorableText(value: unknown, prefix?: string): void {
  const fault = findTextFault(value);
  if (!fault) return;
  const field = boundedPath(prefixed(prefix, fault.path)) || 'body';
  throw new CommonError('unprocessable', `${field}: ${fault.reason}`, { field });
}

/**
 * Throws a problem naming the first bad field (and listing a few of them): 422 for text Postgres
 * cannot store, 400 for anything the schema refuses.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  if (!itemsCheckedAlone.has(schema)) assertStorableText(value, prefix);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.slice(0, MAX_LISTED_ERRORS).map((issue) => ({
    field: boundedPath(prefixed(prefix, fieldPath(issue.path))),
    message: bounded(issue.message),
  }));
  const first = errors[0];
  throw new CommonError(
    'validation_failed',
    first.field ? `${first.field}: ${first.message}` : first.message,
    {
      field: first.field || undefined,
      errors,
      ...(result.error.issues.length > errors.length
        ? { moreErrors: result.error.issues.length - errors.length }
        : {}),
    },
  );
}

const isPlainObject = (value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);

/**
 * Validates any parameter whose type is a `createZodDto` class (it carries a static `schema`), and
 * refuses unstorable text in every body, query and path parameter, schema or not.
 */
@Injectable()
export class ZodPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata) {
    const schema = (metadata.metatype as { schema?: z.ZodType } | undefined)?.schema;
    if (metadata.type === 'custom') return schema ? parseOrThrow(schema, value ?? {}) : value;
    const prefix = metadata.type === 'param' ? 'path' : metadata.type === 'body' ? undefined : metadata.type;
    if (!schema) {
      // A text/csv body is a document, checked cell by cell by its route.
      if (!(metadata.type === 'body' && typeof value === 'string')) assertStorableText(value, prefix);
      return value;
    }
    if (metadata.type === 'body') return parseOrThrow(schema, this.jsonObject(value, schema), prefix);
    return parseOrThrow(schema, value ?? {}, prefix);
  }

  /** The body a JSON-object route takes: none at all counts as `{}`; any other JSON value is refused. */
  private jsonObject(value: unknown, schema: z.ZodType): unknown {
    if (value === undefined) return {};
    if (Buffer.isBuffer(value) || typeof value === 'string') {
      throw new CommonError('unsupported_media_type', 'This route takes a JSON body (application/json).', {
        field: 'Content-Type',
      });
    }
    if (!isPlainObject(value) && schema instanceof z.ZodObject) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
      throw new CommonError('unprocessable', `The body must be a JSON object, not ${kind}.`, {
        field: 'body',
      });
    }
    return value;
  }
}
