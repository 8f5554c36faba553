import { createHash } from 'node:crypto';
import { buildManifest, generateSigningKey, signManifest } from '@adloom/provenance';
import { trustedPublicKeys } from './trusted-keys';
import { judge, pickReferencedRender, RenderRecord, verifyAnswer } from './verification';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const signer = generateSigningKey();
const keys = trustedPublicKeys({ PROVENANCE_SIGNING_KEY: signer.privateKeyPem });

function render(
  overrides: Partial<RenderRecord> & { bytes?: string; signWith?: string | null } = {},
): RenderRecord {
  const { bytes = 'the render', signWith = signer.privateKeyPem, ...fields } = overrides;
  const id = fields.id ?? '11111111-1111-4111-8111-111111111111';
  const manifest = buildManifest({
    renderSha256: sha(bytes),
    clipSha256: sha('clip'),
    generator: 'procedural',
    model: 'storyboard',
    promptHash: sha('prompt'),
    templateVersionId: 'tv-1',
    segmentKey: 'runners',
    format: fields.format ?? '9x16',
    workspaceId: fields.workspaceId ?? 'ws-a',
    campaignId: 'campaign-1',
    variantId: fields.variantId ?? 'variant-1',
    renderId: id,
    createdAt: '2026-01-02T03:04:05.000Z',
  });
  return {
    id,
    workspaceId: 'ws-a',
    campaignId: 'campaign-1',
    variantId: 'variant-1',
    format: '9x16',
    width: 1080,
    height: 1920,
    sha256: sha(bytes),
    manifest: signWith ? signManifest(manifest, signWith) : { manifest, signature: null },
    createdAt: new Date('2026-01-02T03:04:06.000Z'),
    ...fields,
  };
}

describe('judge', () => {
  it('calls bytes whose hash a signed render has valid', () => {
    const stored = render();
    expect(judge({ sha256: sha('the render'), byHash: stored }, keys)).toMatchObject({
      verdict: 'valid',
      reason: 'signature_valid',
      keyId: signer.keyId,
      render: stored,
    });
  });

  it('calls a file that names a render but differs from it tampered, with the hash it should have', () => {
    const claimed = render();
    expect(judge({ sha256: sha('edited'), claimed, reference: 'variant-1' }, keys)).toMatchObject({
      verdict: 'tampered',
      reason: 'hash_mismatch',
      expectedSha256: sha('the render'),
      render: claimed,
    });
  });

  it('calls a stored render whose bytes changed tampered', () => {
    expect(judge({ sha256: sha('rewritten in storage'), byHash: render() }, keys)).toMatchObject({
      verdict: 'tampered',
      reason: 'hash_mismatch',
    });
  });

  it('calls a manifest signed by a key it does not trust tampered, and trusts rotated keys it is given', () => {
    const old = generateSigningKey();
    const stored = render({ signWith: old.privateKeyPem });
    expect(judge({ sha256: sha('the render'), byHash: stored }, keys)).toMatchObject({
      verdict: 'tampered',
      reason: 'manifest_signature_invalid',
    });
    const rotated = trustedPublicKeys({
      PROVENANCE_SIGNING_KEY: signer.privateKeyPem,
      PROVENANCE_PUBLIC_KEYS: [old.publicKeyPem],
    });
    expect(judge({ sha256: sha('the render'), byHash: stored }, rotated).verdict).toBe('valid');
  });

  it('says unknown for bytes nothing claims, and for a reference to no render', () => {
    expect(judge({ sha256: sha('anything') }, keys)).toMatchObject({
      verdict: 'unknown',
      reason: 'no_manifest',
    });
    const named = judge({ sha256: sha('anything'), reference: 'variant-x' }, keys);
    expect(named).toMatchObject({ verdict: 'unknown', reason: 'reference_not_found' });
    expect(named.render).toBeUndefined();
  });

  it('cannot vouch for a render stored without a signature', () => {
    expect(judge({ sha256: sha('the render'), byHash: render({ signWith: null }) }, keys)).toMatchObject({
      verdict: 'unknown',
      reason: 'not_signed',
    });
  });
});

describe('pickReferencedRender', () => {
  const tall = render({ id: 'r-9x16', format: '9x16', width: 1080, height: 1920 });
  const square = render({ id: 'r-1x1', format: '1x1', width: 1080, height: 1080 });

  it('takes the variant render with the file’s frame size', () => {
    expect(pickReferencedRender('variant-1', [tall, square], { width: 1080, height: 1080 })).toBe(square);
    expect(pickReferencedRender('variant-1', [tall, square], { width: 10, height: 10 })).toBe(tall);
  });

  it('takes a render named by its own id', () => {
    expect(pickReferencedRender('r-1x1', [square], { width: 1080, height: 1920 })).toBe(square);
    expect(pickReferencedRender('nothing', [tall, square])).toBeUndefined();
  });
});

describe('verifyAnswer', () => {
  const stored = render();
  const judgement = judge({ sha256: sha('the render'), byHash: stored }, keys);

  it('gives the owning workspace the manifest and campaign', () => {
    expect(verifyAnswer(judgement, 'ws-a')).toMatchObject({
      verdict: 'valid',
      owned: true,
      renderId: stored.id,
      campaignId: 'campaign-1',
      manifest: stored.manifest,
      createdAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('tells another workspace only which render it is and who signed it', () => {
    const answer = verifyAnswer(judgement, 'ws-b');
    expect(answer).toEqual({
      verdict: 'valid',
      reason: 'signature_valid',
      sha256: sha('the render'),
      owned: false,
      renderId: stored.id,
      variantId: 'variant-1',
      format: '9x16',
      createdAt: '2026-01-02T03:04:05.000Z',
      keyId: signer.keyId,
    });
  });
});

describe('trustedPublicKeys', () => {
  it('names the setting that holds a key it cannot read', () => {
    expect(() => trustedPublicKeys({ PROVENANCE_PUBLIC_KEYS: ['not a key!'] })).toThrow(
      /PROVENANCE_PUBLIC_KEYS\[0\]/,
    );
    expect(() => trustedPublicKeys({ PROVENANCE_SIGNING_KEY: 'bm90IGEga2V5' })).toThrow(
      /PROVENANCE_SIGNING_KEY/,
    );
  });

  it('trusts the signing key once however often it is listed', () => {
    expect(
      trustedPublicKeys({
        PROVENANCE_SIGNING_KEY: signer.privateKeyPem,
        PROVENANCE_PUBLIC_KEYS: [signer.publicKeyPem],
      }),
    ).toHaveLength(1);
  });
});
