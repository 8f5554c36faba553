import { randomUUID } from 'node:crypto';
import { signTag, verifyTag } from './tag-token';

const secret = 'a-tracking-secret-of-at-least-32-bytes!';
const other = 'another-tracking-secret-of-32-bytes-or-more';

describe('tag tokens', () => {
  it('verify to the id they were signed for, with any listed secret', () => {
    const id = randomUUID();
    const token = signTag(id, [secret]);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifyTag(token, [secret])).toBe(id);
    expect(verifyTag(token, [other, secret])).toBe(id);
  });

  it('refuse another secret, an altered byte, and strings that are not tokens', () => {
    const token = signTag(randomUUID(), [secret]);
    expect(verifyTag(token, [other])).toBeUndefined();
    const altered = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    expect(verifyTag(altered, [secret])).toBeUndefined();
    expect(verifyTag(token.slice(0, -1), [secret])).toBeUndefined();
    expect(verifyTag('', [secret])).toBeUndefined();
    expect(verifyTag('not a token at all, far too long to be one', [secret])).toBeUndefined();
  });
});
