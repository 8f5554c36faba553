import { KeyObject } from 'node:crypto';
import { keyIdOf, parsePublicKey } from '@adloom/provenance';

/**
 * The public keys manifests are checked against: the public half of the signing key, then the keys of
 * earlier signing keys kept after a rotation. A key that cannot be read stops the process and names its setting.
 */
export function trustedPublicKeys(settings: {
  PROVENANCE_SIGNING_KEY?: string;
  PROVENANCE_PUBLIC_KEYS?: readonly string[];
}): KeyObject[] {
  const keys: KeyObject[] = [];
  const add = (setting: string, value: string) => {
    let key: KeyObject;
    try {
      key = parsePublicKey(value);
    } catch (error) {
      throw new Error(`${setting}: ${(error as Error).message}`);
    }
    if (!keys.some((known) => keyIdOf(known) === keyIdOf(key))) keys.push(key);
  };
  if (settings.PROVENANCE_SIGNING_KEY) add('PROVENANCE_SIGNING_KEY', settings.PROVENANCE_SIGNING_KEY);
  for (const [index, value] of (settings.PROVENANCE_PUBLIC_KEYS ?? []).entries())
    add(`PROVENANCE_PUBLIC_KEYS[${index}]`, value);
  return keys;
}

/** The keys verification trusts, as one injectable value. */
export class TrustedKeys {
  constructor(readonly keys: readonly KeyObject[]) {}

  get keyIds(): string[] {
    return this.keys.map((key) => keyIdOf(key));
  }
}
