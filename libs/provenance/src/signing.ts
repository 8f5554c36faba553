import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  KeyObject,
} from 'node:crypto';

import { canonicalJson } from './canonical-json';
import { ProvenanceError } from './errors';
import type { RenderManifest } from './manifest';

/**
 * A key as configuration holds it: PEM (PKCS#8 private, SPKI public), base64 of the same DER, or
 * base64 of a raw 32-byte Ed25519 key; or a Node KeyObject.
 */
export type KeyInput = string | Buffer | KeyObject;

export interface ManifestSignature {
  alg: 'Ed25519';
  /** First 16 hex characters of the sha256 of the public key's SPKI DER. */
  keyId: string;
  /** Base64 Ed25519 signature over the manifest's canonical JSON (UTF-8). */
  value: string;
}

export interface SignedManifest {
  manifest: RenderManifest;
  signature: ManifestSignature;
}

export type SignatureCheck =
  | { status: 'valid'; keyId: string }
  | {
      status: 'invalid-signature';
      reason: 'unknown_key' | 'signature_mismatch' | 'malformed';
      keyId?: string;
    };

export interface GeneratedSigningKey {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

// DER prefixes that wrap a raw 32-byte Ed25519 key into PKCS#8 and SPKI (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function keyBytes(input: string | Buffer): Buffer | string {
  if (Buffer.isBuffer(input)) return input;
  const text = input.trim();
  if (text.startsWith('-----BEGIN')) return text;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    throw new ProvenanceError('invalid_key', 'A key must be PEM or base64');
  }
  return Buffer.from(text, 'base64');
}

function requireEd25519(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ProvenanceError(
      'invalid_key',
      `Expected an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`,
    );
  }
  return key;
}

function invalidKey(kind: string, error: unknown): ProvenanceError {
  if (error instanceof ProvenanceError) return error;
  return new ProvenanceError('invalid_key', `Cannot read the ${kind} key: ${(error as Error).message}`);
}

export function parsePrivateKey(input: KeyInput): KeyObject {
  try {
    if (input instanceof KeyObject) {
      if (input.type !== 'private') throw new ProvenanceError('invalid_key', 'Signing needs a private key');
      return requireEd25519(input);
    }
    const bytes = keyBytes(input);
    if (typeof bytes === 'string') return requireEd25519(createPrivateKey(bytes));
    const der = bytes.length === 32 ? Buffer.concat([PKCS8_ED25519_PREFIX, bytes]) : bytes;
    return requireEd25519(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  } catch (error) {
    throw invalidKey('private', error);
  }
}

/** Reads a public key; a private key is accepted too and its public half used. */
export function parsePublicKey(input: KeyInput): KeyObject {
  try {
    if (input instanceof KeyObject)
      return requireEd25519(input.type === 'private' ? createPublicKey(input) : input);
    const bytes = keyBytes(input);
    if (typeof bytes === 'string') return requireEd25519(createPublicKey(bytes));
    if (bytes.length === 32) {
      return requireEd25519(
        createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, bytes]), format: 'der', type: 'spki' }),
      );
    }
    try {
      return requireEd25519(createPublicKey({ key: bytes, format: 'der', type: 'spki' }));
    } catch {
      return requireEd25519(createPublicKey(createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' })));
    }
  } catch (error) {
    throw invalidKey('public', error);
  }
}

export function keyIdOf(key: KeyInput): string {
  const der = parsePublicKey(key).export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** A fresh Ed25519 key pair as PEM, for development (`adloom dev`, `adloom keys`). */
export function generateSigningKey(): GeneratedSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** The exact bytes a signature covers. */
export function signingPayload(manifest: RenderManifest): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

export function signManifest(manifest: RenderManifest, privateKey: KeyInput): SignedManifest {
  const key = parsePrivateKey(privateKey);
  const value = sign(null, signingPayload(manifest), key).toString('base64');
  return { manifest, signature: { alg: 'Ed25519', keyId: keyIdOf(key), value } };
}

/**
 * Checks a signed manifest against the trusted public keys (several during a key rotation); the
 * signature's keyId picks the key.
 */
export function verifySignedManifest(
  signed: SignedManifest,
  publicKeys: readonly KeyInput[],
): SignatureCheck {
  const signature = signed?.signature;
  if (!signed?.manifest || !signature || signature.alg !== 'Ed25519' || typeof signature.value !== 'string') {
    return { status: 'invalid-signature', reason: 'malformed' };
  }
  const key = publicKeys.map(parsePublicKey).find((candidate) => keyIdOf(candidate) === signature.keyId);
  if (!key) return { status: 'invalid-signature', reason: 'unknown_key', keyId: signature.keyId };

  let payload: Buffer;
  try {
    payload = signingPayload(signed.manifest);
  } catch {
    return { status: 'invalid-signature', reason: 'malformed', keyId: signature.keyId };
  }
  let ok: boolean;
  try {
    ok = verify(null, payload, key, Buffer.from(signature.value, 'base64'));
  } catch {
    ok = false;
  }
  return ok
    ? { status: 'valid', keyId: signature.keyId }
    : { status: 'invalid-signature', reason: 'signature_mismatch', keyId: signature.keyId };
}
