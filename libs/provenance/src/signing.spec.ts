import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

import { ProvenanceError } from './errors';
import { buildManifest, type ManifestInput, type RenderManifest } from './manifest';
import {
  generateSigningKey,
  keyIdOf,
  parsePublicKey,
  signManifest,
  verifySignedManifest,
  type SignedManifest,
} from './signing';

const sha = (char: string) => char.repeat(64);

const manifestInput: ManifestInput = {
  renderSha256: sha('a'),
  clipSha256: sha('b'),
  generator: 'procedural',
  model: 'storyboard-v1',
  promptHash: sha('c'),
  templateVersionId: '7f1c7e2e-0000-4000-8000-000000000001',
  segmentKey: 'berlin-runners',
  format: '9x16',
  workspaceId: 'ws-1',
  campaignId: 'cmp-1',
  variantId: 'var-1',
  renderId: 'rnd-1',
  createdAt: '2025-06-01T12:00:00.000Z',
};

describe('buildManifest', () => {
  it('describes the clip as AI-generated, the render as a composite, and hashes both', () => {
    const manifest = buildManifest({ ...manifestInput, renderSha256: sha('A'), generatorVersion: '1.2.3' });

    expect(manifest.claim_generator).toBe('adloom/1.2.3');
    expect(manifest.hash).toEqual({ alg: 'sha256', value: sha('a') });
    expect(manifest.ingredients).toEqual([
      expect.objectContaining({ hash: { alg: 'sha256', value: sha('b') } }),
    ]);
    const actions = manifest.assertions.find((assertion) => assertion.label === 'c2pa.actions');
    expect(actions?.data).toEqual({
      actions: [
        expect.objectContaining({
          action: 'c2pa.created',
          digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia',
          softwareAgent: 'procedural/storyboard-v1',
        }),
        expect.objectContaining({
          action: 'c2pa.edited',
          digitalSourceType:
            'http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia',
        }),
      ],
    });
    expect(manifest.assertions.find((assertion) => assertion.label === 'adloom.generation')?.data).toEqual({
      generator: 'procedural',
      model: 'storyboard-v1',
      promptHash: sha('c'),
      templateVersionId: manifestInput.templateVersionId,
      segmentKey: 'berlin-runners',
    });
  });

  it('refuses a render hash that is not a sha256', () => {
    expect(() => buildManifest({ ...manifestInput, renderSha256: 'abc' })).toThrow(ProvenanceError);
  });
});

describe('signManifest / verifySignedManifest', () => {
  const key = generateSigningKey();
  const manifest = buildManifest(manifestInput);

  it('verifies what it signed, naming the key', () => {
    const signed = signManifest(manifest, key.privateKeyPem);

    expect(signed.signature).toMatchObject({ alg: 'Ed25519', keyId: key.keyId });
    expect(Buffer.from(signed.signature.value, 'base64')).toHaveLength(64);
    expect(verifySignedManifest(signed, [key.publicKeyPem])).toEqual({ status: 'valid', keyId: key.keyId });
  });

  it('survives a round trip through JSON with the keys in another order', () => {
    const signed = signManifest(manifest, key.privateKeyPem);
    const reordered = JSON.parse(
      JSON.stringify(signed, Object.keys(flatten(signed)).sort().reverse()),
    ) as SignedManifest;

    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(signed));
    expect(verifySignedManifest(reordered, [key.publicKeyPem]).status).toBe('valid');
  });

  it.each(leafPaths(manifest))('fails when %s changes', (path) => {
    const signed = signManifest(manifest, key.privateKeyPem);
    const altered = structuredClone(signed);
    change(altered.manifest, path);

    expect(verifySignedManifest(altered, [key.publicKeyPem])).toEqual({
      status: 'invalid-signature',
      reason: 'signature_mismatch',
      keyId: key.keyId,
    });
  });

  it('fails when a field is added', () => {
    const altered = structuredClone(signManifest(manifest, key.privateKeyPem));
    (altered.manifest as unknown as Record<string, unknown>).note = 'approved';

    expect(verifySignedManifest(altered, [key.publicKeyPem]).status).toBe('invalid-signature');
  });

  it('reports a signature by a key it does not trust', () => {
    const other = generateSigningKey();
    const signed = signManifest(manifest, other.privateKeyPem);

    expect(verifySignedManifest(signed, [key.publicKeyPem])).toEqual({
      status: 'invalid-signature',
      reason: 'unknown_key',
      keyId: other.keyId,
    });
    expect(verifySignedManifest(signed, [key.publicKeyPem, other.publicKeyPem]).status).toBe('valid');
  });

  it('fails a signature whose keyId was swapped for a trusted one', () => {
    const other = generateSigningKey();
    const signed = signManifest(manifest, other.privateKeyPem);
    const forged = { ...signed, signature: { ...signed.signature, keyId: key.keyId } };

    expect(verifySignedManifest(forged, [key.publicKeyPem]).status).toBe('invalid-signature');
  });

  it('accepts keys as PEM, base64 DER, raw base64 and KeyObject, all with the same keyId', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const rawPrivate = pkcs8.subarray(-32).toString('base64');
    const rawPublic = spki.subarray(-32).toString('base64');

    const signed = signManifest(manifest, rawPrivate);
    for (const trusted of [
      publicKey,
      spki.toString('base64'),
      rawPublic,
      publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    ]) {
      expect(verifySignedManifest(signed, [trusted]).status).toBe('valid');
    }
    expect(signManifest(manifest, pkcs8.toString('base64')).signature).toEqual(signed.signature);
    expect(keyIdOf(privateKey)).toBe(keyIdOf(rawPublic));
  });

  it('refuses a key that is not Ed25519', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => parsePublicKey(publicKey.export({ format: 'pem', type: 'spki' }).toString())).toThrow(
      expect.objectContaining({ code: 'invalid_key' }),
    );
    expect(() => signManifest(manifest, 'not a key!')).toThrow(
      expect.objectContaining({ code: 'invalid_key' }),
    );
  });

  it('computes keyId as the first 16 hex of the sha256 of the SPKI DER', () => {
    const publicDer = createPublicKey(createPrivateKey(key.privateKeyPem)).export({
      format: 'der',
      type: 'spki',
    });

    expect(key.keyId).toBe(createHash('sha256').update(publicDer).digest('hex').slice(0, 16));
  });
});

function flatten(value: unknown, into: Record<string, true> = {}): Record<string, true> {
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      into[key] = true;
      flatten(item, into);
    }
  }
  return into;
}

function leafPaths(value: unknown, prefix: (string | number)[] = []): string[] {
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      leafPaths(item, [...prefix, Array.isArray(value) ? Number(key) : key]),
    );
  }
  return [prefix.join('.')];
}

function change(manifest: RenderManifest, path: string): void {
  const keys = path.split('.');
  let parent = manifest as unknown as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  const current = parent[last];
  parent[last] =
    typeof current === 'string' ? `${current}x` : typeof current === 'number' ? current + 1 : !current;
}
