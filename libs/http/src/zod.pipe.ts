import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { CommonError } from '@adloom/common';
import { z } from 'zod';

/** `a.b[2].c` from a zod issue path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

/** Throws a 400 problem naming the first bad field (and listing all of them). */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => {
    const path = fieldPath(issue.path);
    return { field: prefix ? (path ? `${prefix}.${path}` : prefix) : path, message: issue.message };
  });
  const first = errors[0];
  throw new CommonError(
    'validation_failed',
    first.field ? `${first.field}: ${first.message}` : first.message,
    {
      field: first.field || undefined,
      errors,
    },
  );
}

/** Validates any parameter whose type is a `createZodDto` class (it carries a static `schema`). */
@Injectable()
export class ZodPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata) {
    const schema = (metadata.metatype as { schema?: z.ZodType } | undefined)?.schema;
    if (!schema) return value;
    const prefix =
      metadata.type === 'custom' ? undefined : metadata.type === 'param' ? 'path' : metadata.type;
    return parseOrThrow(schema, value ?? {}, prefix === 'body' ? undefined : prefix);
  }
}
