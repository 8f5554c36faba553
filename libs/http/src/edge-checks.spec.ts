import { CommonError } from '@adloom/common';
import { z } from 'zod';
import { MAX_PROBLEM_BYTES, toProblem } from './problem.filter';
import { decodeUtf8, findTextFault, MAX_JSON_DEPTH, textFault } from './text';
import { checksItemsAlone, parseOrThrow, ZodPipe } from './zod.pipe';

/** What node-postgres throws for an error Postgres reports. */
const pgError = (code: string, column?: string) =>
  Object.assign(new Error('invalid input syntax for type uuid: "xyz"'), { code, severity: 'ERROR', column });

describe('edge checks', () => {
  it('finds U+0000 and lone surrogates in values and keys, at any depth, naming the path', () => {
    expect(textFault('fine ✓ 🎬')).toBeUndefined();
    expect(textFault('a\u0000b')).toMatch(/U\+0000/);
    expect(textFault('J\ud800')).toMatch(/surrogate/);
    expect(textFault('\udc00')).toMatch(/surrogate/);
    expect(findTextFault({ a: [{ b: 'ok' }, { c: 'x\u0000' }] })).toEqual({
      path: 'a[1].c',
      reason: expect.any(String),
    });
    expect(findTextFault({ ['k\ud800']: 1 })?.path).toBe('k\\ud800');
    expect(findTextFault(Buffer.from([0, 0xff]))).toBeUndefined();
    const deep = JSON.parse('['.repeat(MAX_JSON_DEPTH + 5) + ']'.repeat(MAX_JSON_DEPTH + 5));
    expect(findTextFault(deep)?.reason).toMatch(/nested more than/);
    const veryDeep = JSON.parse('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000));
    expect(findTextFault(veryDeep)?.reason).toMatch(/nested more than/);
  });

  it('refuses unstorable text with a 422 naming the field, before the schema', () => {
    const schema = z.object({ name: z.string().max(5) }).strict();
    expect(() => parseOrThrow(schema, { name: 'a\u0000' })).toThrow(
      expect.objectContaining({ status: 422, extras: { field: 'name' } }),
    );
    expect(() => parseOrThrow(schema, { name: 'x' }, 'rows[2]')).not.toThrow();
    expect(() => parseOrThrow(schema, { name: 'a\u0000' }, 'rows[2]')).toThrow(
      expect.objectContaining({ extras: { field: 'rows[2].name' } }),
    );
    const batch = checksItemsAlone(z.object({ items: z.array(z.unknown()) }));
    expect(parseOrThrow(batch, { items: ['a\u0000'] })).toEqual({ items: ['a\u0000'] });
  });

  it('lists at most five fields, each message bounded', () => {
    const schema = z.object({}).catchall(z.number());
    const body = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, 'x']));
    try {
      parseOrThrow(schema, body);
      throw new Error('accepted');
    } catch (error) {
      const extras = (error as CommonError).extras as { errors: unknown[]; moreErrors: number };
      expect(extras.errors).toHaveLength(5);
      expect(extras.moreErrors).toBe(95);
    }
  });

  it('takes no body as {}, refuses null, arrays and bytes where a JSON object is expected', () => {
    const pipe = new ZodPipe();
    class Dto {
      static schema = z.object({ a: z.number().optional() }).strict();
    }
    const meta = { type: 'body' as const, metatype: Dto };
    expect(pipe.transform(undefined, meta)).toEqual({});
    expect(() => pipe.transform(null, meta)).toThrow(
      expect.objectContaining({ status: 422, extras: { field: 'body' } }),
    );
    expect(() => pipe.transform([], meta)).toThrow(expect.objectContaining({ status: 422 }));
    expect(() => pipe.transform(Buffer.alloc(10), meta)).toThrow(expect.objectContaining({ status: 415 }));
    expect(() => pipe.transform('a,b', meta)).toThrow(expect.objectContaining({ status: 415 }));
    expect(() => pipe.transform({ a: 'x\u0000' }, { type: 'query', metatype: Object })).toThrow(
      expect.objectContaining({ status: 422, extras: { field: 'query.a' } }),
    );
  });

  it('maps Postgres data exceptions and check violations to 422, a unique violation to 409, and says nothing of the value', () => {
    for (const code of ['22P02', '22003', '22021', '22001', '23514', '23502', '23503']) {
      const problem = toProblem(pgError(code, 'version'));
      expect({ code, status: problem.status, field: problem.field }).toEqual({
        code,
        status: 422,
        field: 'version',
      });
      expect(JSON.stringify(problem)).not.toContain('xyz');
    }
    expect(toProblem(pgError('23505')).status).toBe(409);
    expect(toProblem({ driverError: pgError('22008') }).status).toBe(422);
    expect(toProblem(pgError('57P01')).status).toBe(500);
    expect(toProblem(new Error('boom')).status).toBe(500);
  });

  it('bounds every problem: long strings cut, long lists shortened, oversized extras dropped', () => {
    const problem = toProblem(
      new CommonError('unprocessable', 'd'.repeat(100_000), {
        field: 'f'.repeat(10_000),
        list: Array.from({ length: 10_000 }, (_, i) => i),
        blobs: Array.from({ length: 50 }, () => 'b'.repeat(400)),
      }),
      '/v1/x',
    );
    expect(Buffer.byteLength(JSON.stringify(problem))).toBeLessThanOrEqual(MAX_PROBLEM_BYTES);
    expect(problem.detail.length).toBeLessThanOrEqual(501);
    expect((problem.list as unknown[]).length).toBe(10);
    expect(problem).toMatchObject({ status: 422, code: 'unprocessable', instance: '/v1/x' });
  });

  it('decodes UTF-8 text bodies and refuses bytes that are not UTF-8', () => {
    expect(decodeUtf8(Buffer.from('key,name\nk,José\n'))).toBe('key,name\nk,José\n');
    expect(() => decodeUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toThrow(
      expect.objectContaining({ status: 422 }),
    );
    expect(() => decodeUtf8(Buffer.from('Jos\xe9', 'latin1'))).toThrow(
      expect.objectContaining({ status: 422 }),
    );
  });
});
