import { canonicalJson } from './canonical-json';
import { ProvenanceError } from './errors';

describe('canonicalJson', () => {
  it('is the same whatever order the keys were written in', () => {
    const a = { b: 1, a: { y: [1, { d: true, c: null }], x: 'é' } };
    const b = { a: { x: 'é', y: [1, { c: null, d: true }] }, b: 1 };

    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"é","y":[1,{"c":null,"d":true}]},"b":1}');
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 does (😀 before ﬂ, though its code point is higher)', () => {
    expect(canonicalJson({ '\ufb02': 1, '\u20ac': 2, '\r': 3, '\ud83d\ude00': 4, '1': 5, a: 6, A: 7 })).toBe(
      '{"\\r":3,"1":5,"A":7,"a":6,"€":2,"😀":4,"ﬂ":1}',
    );
  });

  it('writes numbers and escapes strings like ECMAScript', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7, 'a\u0001"\\\n'])).toBe(
      '[1e+21,0.1,0,1.5e-7,"a\\u0001\\"\\\\\\n"]',
    );
  });

  it('leaves out undefined properties like JSON.stringify', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });

  it.each([
    ['NaN', { n: NaN }],
    ['Infinity', [Infinity]],
    ['a Date', { at: new Date(0) }],
    ['undefined in an array', [undefined]],
    ['a lone surrogate', { s: '\ud800' }],
  ])('refuses %s', (_label, value) => {
    expect(() => canonicalJson(value)).toThrow(ProvenanceError);
  });
});
