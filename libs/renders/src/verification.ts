import {
  decideVerification,
  type KeyInput,
  type ManifestSignature,
  type RenderManifest,
  type RenderVerdict,
  type SignedManifest,
  type VerificationReason,
} from '@adloom/provenance';

/** A render's manifest as compose stores it: unsigned when no signing key was configured. */
export interface StoredManifest {
  manifest: RenderManifest;
  signature: ManifestSignature | null;
}

/** What verification needs to know about one render row. */
export interface RenderRecord {
  id: string;
  workspaceId: string;
  campaignId: string;
  variantId: string;
  format: string;
  width: number;
  height: number;
  sha256: string;
  manifest: StoredManifest | null;
  createdAt: Date;
}

/** `not_signed`: the render is ours but its manifest carries no signature, so nothing can vouch for it. */
export type VerifyReason = VerificationReason | 'not_signed';

export interface Judgement {
  verdict: RenderVerdict;
  reason: VerifyReason;
  sha256: string;
  /** The render the verdict is about: the one whose hash matched, or the one the file claims to be. */
  render?: RenderRecord;
  keyId?: string;
  expectedSha256?: string;
}

export const isSigned = (stored: StoredManifest | null | undefined): stored is SignedManifest =>
  Boolean(stored?.manifest && stored.signature);

/**
 * The verdict on bytes with hash `sha256`: `byHash` is the render stored with that hash, `claimed` the
 * render the file names (when no render has its hash), `reference` what the file named.
 */
export function judge(
  input: { sha256: string; byHash?: RenderRecord; claimed?: RenderRecord; reference?: string },
  publicKeys: readonly KeyInput[],
): Judgement {
  const render = input.byHash ?? input.claimed;
  if (render && !isSigned(render.manifest)) {
    return { verdict: 'unknown', reason: 'not_signed', sha256: input.sha256.toLowerCase(), render };
  }
  const claimedSigned = input.claimed && isSigned(input.claimed.manifest) ? input.claimed.manifest : null;
  const named = input.claimed?.id ?? input.reference;
  const result = decideVerification(
    {
      sha256: input.sha256,
      byHash: input.byHash && isSigned(input.byHash.manifest) ? input.byHash.manifest : null,
      reference: !input.byHash && named ? { renderId: named, signed: claimedSigned } : undefined,
    },
    publicKeys,
  );
  return {
    verdict: result.verdict,
    reason: result.reason,
    sha256: result.sha256,
    render: result.reason === 'reference_not_found' ? undefined : render,
    keyId: result.keyId,
    expectedSha256: result.expectedSha256,
  };
}

/**
 * The render a file's `adloom:render=<id>` names. Compose writes the variant id (one ffmpeg run writes
 * every format with the same metadata), so among the variant's renders the one with the file's frame size
 * is meant; a render id names its render directly.
 */
export function pickReferencedRender<T extends RenderRecord>(
  reference: string,
  candidates: readonly T[],
  frame?: { width: number; height: number },
): T | undefined {
  const byId = candidates.find((render) => render.id === reference);
  if (byId) return byId;
  const ofVariant = candidates.filter((render) => render.variantId === reference);
  return (
    (frame && ofVariant.find((render) => render.width === frame.width && render.height === frame.height)) ||
    ofVariant[0]
  );
}

export interface VerifyAnswer {
  verdict: RenderVerdict;
  reason: VerifyReason;
  /** sha256 of the bytes that were checked. */
  sha256: string;
  /** What the file's metadata comment names (`adloom:render=<id>`), for an uploaded file. */
  reference?: string;
  renderId?: string;
  variantId?: string;
  format?: string;
  createdAt?: string;
  /** The key that signed the manifest. */
  keyId?: string;
  /** True when the caller's workspace made the render; only then are the fields below filled. */
  owned: boolean;
  campaignId?: string;
  /** The hash the manifest signs, when it is not the file's. */
  expectedSha256?: string;
  manifest?: StoredManifest;
}

/**
 * Verification answers anyone with a key about any render: whether bytes are authentic is public. What is
 * said about the render beyond its identity (campaign, manifest with prompt hash and segment) is for the
 * workspace that made it.
 */
export function verifyAnswer(
  judgement: Judgement,
  callerWorkspaceId: string,
  reference?: string,
): VerifyAnswer {
  const render = judgement.render;
  const answer: VerifyAnswer = {
    verdict: judgement.verdict,
    reason: judgement.reason,
    sha256: judgement.sha256,
    ...(reference ? { reference } : {}),
    owned: false,
  };
  if (!render) return answer;
  answer.renderId = render.id;
  answer.variantId = render.variantId;
  answer.format = render.format;
  answer.createdAt = render.manifest?.manifest.created_at ?? render.createdAt.toISOString();
  if (judgement.keyId) answer.keyId = judgement.keyId;
  if (render.workspaceId !== callerWorkspaceId) return answer;
  return {
    ...answer,
    owned: true,
    campaignId: render.campaignId,
    ...(judgement.expectedSha256 ? { expectedSha256: judgement.expectedSha256 } : {}),
    ...(render.manifest ? { manifest: render.manifest } : {}),
  };
}
