import { buildManifest } from './manifest';
import { generateSigningKey, signManifest, type SignedManifest } from './signing';
import {
  decideVerification,
  formatProvenanceReference,
  parseProvenanceReference,
  verifyRender,
  type ManifestLookup,
} from './verify';

const key = generateSigningKey();
const trusted = [key.publicKeyPem];
const renderSha = 'ab'.repeat(32);
const otherSha = 'cd'.repeat(32);

function signedRender(
  renderId: string,
  renderSha256: string,
  signingKey = key.privateKeyPem,
): SignedManifest {
  const manifest = buildManifest({
    renderSha256,
    clipSha256: 'ef'.repeat(32),
    generator: 'procedural',
    model: 'storyboard-v1',
    promptHash: '01'.repeat(32),
    templateVersionId: 'tv-1',
    segmentKey: 'paris-commuters',
    format: '16x9',
    workspaceId: 'ws-1',
    campaignId: 'cmp-1',
    variantId: 'var-1',
    renderId,
    createdAt: new Date('2025-06-01T12:00:00Z'),
  });
  return signManifest(manifest, signingKey);
}

describe('decideVerification', () => {
  const ours = signedRender('rnd-1', renderSha);

  it('valid: a manifest found by hash, signed by a trusted key, holding that hash', () => {
    expect(decideVerification({ sha256: renderSha.toUpperCase(), byHash: ours }, trusted)).toMatchObject({
      verdict: 'valid',
      reason: 'signature_valid',
      renderId: 'rnd-1',
      keyId: key.keyId,
    });
  });

  it('valid even when the claimed render is another one: the bytes are ours', () => {
    const result = decideVerification(
      { sha256: renderSha, byHash: ours, reference: { renderId: 'rnd-9', signed: null } },
      trusted,
    );
    expect(result).toMatchObject({ verdict: 'valid', renderId: 'rnd-1' });
  });

  it('tampered: the file names a render whose signed hash differs', () => {
    const result = decideVerification(
      { sha256: otherSha, byHash: null, reference: { renderId: 'rnd-1', signed: ours } },
      trusted,
    );
    expect(result).toMatchObject({
      verdict: 'tampered',
      reason: 'hash_mismatch',
      renderId: 'rnd-1',
      expectedSha256: renderSha,
    });
  });

  it('tampered: the stored manifest was edited after signing', () => {
    const edited = structuredClone(ours);
    edited.manifest.assertions = edited.manifest.assertions.map((assertion) =>
      assertion.label === 'adloom.generation'
        ? { ...assertion, data: { ...assertion.data, model: 'another-model' } }
        : assertion,
    );
    expect(decideVerification({ sha256: renderSha, byHash: edited }, trusted)).toMatchObject({
      verdict: 'tampered',
      reason: 'manifest_signature_invalid',
    });
  });

  it('tampered: a manifest signed by a key we do not trust', () => {
    const foreign = signedRender('rnd-1', renderSha, generateSigningKey().privateKeyPem);
    expect(decideVerification({ sha256: renderSha, byHash: foreign }, trusted).verdict).toBe('tampered');
  });

  it('valid when the claimed render turns out to hold exactly this hash', () => {
    const result = decideVerification(
      { sha256: renderSha, byHash: null, reference: { renderId: 'rnd-1', signed: ours } },
      trusted,
    );
    expect(result.verdict).toBe('valid');
  });

  it('unknown: no manifest for this hash and no reference', () => {
    expect(decideVerification({ sha256: otherSha, byHash: null }, trusted)).toEqual({
      sha256: otherSha,
      verdict: 'unknown',
      reason: 'no_manifest',
    });
  });

  it('unknown: the file names a render we have no manifest for', () => {
    const result = decideVerification(
      { sha256: otherSha, byHash: null, reference: { renderId: 'rnd-404', signed: null } },
      trusted,
    );
    expect(result).toMatchObject({ verdict: 'unknown', reason: 'reference_not_found', renderId: 'rnd-404' });
  });

  it('refuses a malformed sha256 as a client error', () => {
    expect(() => decideVerification({ sha256: 'xyz', byHash: null }, trusted)).toThrow(
      expect.objectContaining({ code: 'invalid_sha256', status: 400 }),
    );
  });
});

describe('verifyRender', () => {
  const stored = signedRender('rnd-1', renderSha);
  const lookups: string[] = [];
  const lookup: ManifestLookup = {
    async findByHash(sha256) {
      lookups.push(`hash:${sha256}`);
      return sha256 === renderSha ? stored : null;
    },
    async findByRenderId(renderId) {
      lookups.push(`render:${renderId}`);
      return renderId === 'rnd-1' ? stored : null;
    },
  };

  beforeEach(() => lookups.splice(0));

  it('answers valid from the hash alone, without looking up the claimed render', async () => {
    const result = await verifyRender({ sha256: renderSha, renderId: 'rnd-1' }, lookup, trusted);

    expect(result.verdict).toBe('valid');
    expect(lookups).toEqual([`hash:${renderSha}`]);
  });

  it('answers tampered for a re-encoded copy that still carries its reference', async () => {
    const renderId = parseProvenanceReference(`Made with Adloom ${formatProvenanceReference('rnd-1')}`);
    const result = await verifyRender({ sha256: otherSha, renderId }, lookup, trusted);

    expect(result).toMatchObject({ verdict: 'tampered', reason: 'hash_mismatch', expectedSha256: renderSha });
    expect(lookups).toEqual([`hash:${otherSha}`, 'render:rnd-1']);
  });

  it('answers unknown for a file with neither a known hash nor a reference', async () => {
    expect((await verifyRender({ sha256: otherSha }, lookup, trusted)).verdict).toBe('unknown');
  });
});

describe('provenance references', () => {
  it('round-trips a render id through the metadata comment', () => {
    const renderId = '0b6f3a52-4a8e-4c1e-9d55-6f2a0c7b9e10';
    expect(parseProvenanceReference(formatProvenanceReference(renderId))).toBe(renderId);
  });

  it('finds the reference among other comment text and ignores look-alikes', () => {
    expect(parseProvenanceReference('AI-generated ad; adloom:render=rnd-7; v2')).toBe('rnd-7');
    expect(parseProvenanceReference('xadloom:render=rnd-7')).toBeUndefined();
    expect(parseProvenanceReference('adloom:render=')).toBeUndefined();
    expect(parseProvenanceReference(undefined)).toBeUndefined();
  });
});
