import { createHash, randomBytes } from 'node:crypto';

export const ROLES = ['admin', 'marketer', 'platform', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const KEY_PATTERN = /^adl_[A-Za-z0-9]{20,64}$/;

/** A new key: `adl_` and 32 base62 characters (about 190 bits). Shown once, stored only as a hash. */
export function generateApiKey(): string {
  const bytes = randomBytes(64);
  let out = '';
  for (const byte of bytes) {
    if (byte < 248) out += ALPHABET[byte % 62];
    if (out.length === 32) break;
  }
  return out.length === 32 ? `adl_${out}` : generateApiKey();
}

/** Keys carry enough entropy that a fast hash is the right one: no guessing is feasible. */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function keyPrefix(key: string): string {
  return key.slice(0, 12);
}
