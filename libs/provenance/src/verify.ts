import { ProvenanceError } from './errors';
import { manifestRenderId } from './manifest';
import { verifySignedManifest, type KeyInput, type SignedManifest } from './signing';

export type RenderVerdict = 'valid' | 'tampered' | 'unknown';

export type VerificationReason =
  'signature_valid' | 'manifest_signature_invalid' | 'hash_mismatch' | 'reference_not_found' | 'no_manifest';

export interface VerificationInput {
  /** sha256 (hex) of the file being checked. */
  sha256: string;
  /** The stored signed manifest whose render hash is `sha256`, if any. */
  byHash: SignedManifest | null;
  /**
   * The render the file claims to be, when something says so: a render id supplied by the caller,
   * or `adloom:render=<id>` in the MP4's metadata comment; with that render's stored manifest, if any.
   */
  reference?: { renderId: string; signed: SignedManifest | null };
}

export interface VerificationResult {
  verdict: RenderVerdict;
  reason: VerificationReason;
  sha256: string;
  /** The render the manifest describes (or the claimed render, when it was not found). */
  renderId?: string;
  /** The hash the signed manifest holds, when it differs from the file's. */
  expectedSha256?: string;
  keyId?: string;
  signed?: SignedManifest;
}

/** Answers for a render's manifest, by the render's hash and by render id. */
export interface ManifestLookup {
  findByHash(sha256: string): Promise<SignedManifest | null>;
  findByRenderId(renderId: string): Promise<SignedManifest | null>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const REFERENCE = /(?:^|[\s;,])adloom:render=([A-Za-z0-9][A-Za-z0-9_-]{0,127})(?=$|[\s;,])/;

/** The text written into a render's MP4 metadata comment so a copy of the file can name its manifest. */
export function formatProvenanceReference(renderId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(renderId)) {
    throw new ProvenanceError(
      'invalid_manifest',
      `"${renderId}" cannot be written as a provenance reference`,
    );
  }
  return `adloom:render=${renderId}`;
}

/** The render id in an MP4 metadata comment (`adloom:render=<id>`), if there is one. */
export function parseProvenanceReference(comment: string | null | undefined): string | undefined {
  return comment ? REFERENCE.exec(comment)?.[1] : undefined;
}

export function normalizeSha256(sha256: string): string {
  const hex = typeof sha256 === 'string' ? sha256.trim().toLowerCase() : '';
  if (!SHA256_HEX.test(hex)) {
    throw new ProvenanceError('invalid_sha256', 'sha256 must be 64 hexadecimal characters', {
      field: 'sha256',
    });
  }
  return hex;
}

/**
 * Decides whether a file is a render we signed. Pure: the caller looks the manifests up.
 *
 * | manifest found by the file's hash            | claimed render (caller / MP4 comment)     | verdict  | reason                      |
 * | -------------------------------------------- | ----------------------------------------- | -------- | --------------------------- |
 * | yes, signature valid, signed hash = file's   | ignored: the bytes are ours               | valid    | signature_valid             |
 * | yes, signature invalid (or unknown key)      | ignored                                   | tampered | manifest_signature_invalid  |
 * | yes, signature valid, signed hash ≠ file's   | ignored                                   | tampered | hash_mismatch               |
 * | no                                           | found, signature valid                    | tampered | hash_mismatch               |
 * | no                                           | found, signature invalid                  | tampered | manifest_signature_invalid  |
 * | no                                           | named but no manifest for it              | unknown  | reference_not_found         |
 * | no                                           | none                                      | unknown  | no_manifest                 |
 *
 * "tampered" means the file claims (by its reference) or the store claims (by its hash) to be a
 * render we signed, and the bytes or the record no longer match the signature. A claimed manifest
 * whose signed hash is the file's own hash is treated as found by hash.
 */
export function decideVerification(
  input: VerificationInput,
  publicKeys: readonly KeyInput[],
): VerificationResult {
  const sha256 = normalizeSha256(input.sha256);
  const claimed = input.reference?.signed ?? null;
  const byHash = input.byHash ?? (claimed && signedHash(claimed) === sha256 ? claimed : null);

  if (byHash) {
    const check = verifySignedManifest(byHash, publicKeys);
    const base = { sha256, renderId: manifestRenderId(byHash.manifest), signed: byHash, keyId: check.keyId };
    if (check.status !== 'valid')
      return { ...base, verdict: 'tampered', reason: 'manifest_signature_invalid' };
    if (signedHash(byHash) !== sha256) {
      return { ...base, verdict: 'tampered', reason: 'hash_mismatch', expectedSha256: signedHash(byHash) };
    }
    return { ...base, verdict: 'valid', reason: 'signature_valid' };
  }

  if (input.reference && claimed) {
    const check = verifySignedManifest(claimed, publicKeys);
    const base = {
      sha256,
      renderId: manifestRenderId(claimed.manifest) ?? input.reference.renderId,
      signed: claimed,
      keyId: check.keyId,
    };
    if (check.status !== 'valid')
      return { ...base, verdict: 'tampered', reason: 'manifest_signature_invalid' };
    return { ...base, verdict: 'tampered', reason: 'hash_mismatch', expectedSha256: signedHash(claimed) };
  }

  if (input.reference) {
    return { sha256, verdict: 'unknown', reason: 'reference_not_found', renderId: input.reference.renderId };
  }
  return { sha256, verdict: 'unknown', reason: 'no_manifest' };
}

/**
 * Looks up what decideVerification needs: the manifest by hash, and only when there is none, the
 * manifest of the claimed render (`renderId` from the caller or from the file's metadata comment).
 */
export async function verifyRender(
  file: { sha256: string; renderId?: string },
  lookup: ManifestLookup,
  publicKeys: readonly KeyInput[],
): Promise<VerificationResult> {
  const sha256 = normalizeSha256(file.sha256);
  const byHash = await lookup.findByHash(sha256);
  const reference =
    !byHash && file.renderId
      ? { renderId: file.renderId, signed: await lookup.findByRenderId(file.renderId) }
      : undefined;
  return decideVerification({ sha256, byHash, reference }, publicKeys);
}

function signedHash(signed: SignedManifest): string | undefined {
  const value = signed.manifest?.hash?.value;
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}
