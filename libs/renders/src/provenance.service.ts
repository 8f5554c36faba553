import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Ffmpeg, MediaError, ProbeResult, videoStream } from '@adloom/media';
import { normalizeSha256, parseProvenanceReference } from '@adloom/provenance';
import { ObjectStore } from '@adloom/storage';
import { RendersError } from './renders.errors';
import { RendersRepository, StoredRender } from './renders.repository';
import { TrustedKeys } from './trusted-keys';
import { UploadSpool } from './upload-spool';
import {
  judge,
  pickReferencedRender,
  StoredManifest,
  verifyAnswer,
  VerifyAnswer,
  VerifyReason,
} from './verification';
import type { RenderVerdict } from '@adloom/provenance';

/** Largest file POST /v1/provenance/verify accepts. */
export const MAX_VERIFY_UPLOAD_BYTES = 200 * 1024 * 1024;
const PROBE_TIMEOUT_MS = 30_000;

export interface RenderProvenance {
  renderId: string;
  variantId: string;
  campaignId: string;
  format: string;
  width: number;
  height: number;
  durationMs: number;
  bytes: number;
  /** sha256 recorded when the render was stored. */
  sha256: string;
  createdAt: string;
  manifest: StoredManifest | null;
  /** The check of the bytes in storage now against the signed manifest. */
  verification: {
    verdict: RenderVerdict;
    reason: VerifyReason | 'file_missing';
    /** sha256 of the stored bytes; null when the file is gone. */
    sha256: string | null;
    keyId?: string;
    expectedSha256?: string;
  };
}

/** Render manifests for their workspace, and verification of anyone's copy of a render. */
@Injectable()
export class ProvenanceService {
  constructor(
    private readonly renders: RendersRepository,
    private readonly store: ObjectStore,
    private readonly ffmpeg: Ffmpeg,
    private readonly spool: UploadSpool,
    private readonly trusted: TrustedKeys,
  ) {}

  async provenance(workspaceId: string, renderId: string): Promise<RenderProvenance> {
    const render = await this.renders.findById(workspaceId, renderId);
    if (!render) throw new RendersError('render_not_found', `No render ${renderId} in this workspace.`);
    const storedSha256 = await this.hashStored(render.s3Key);
    let verification: RenderProvenance['verification'];
    if (storedSha256 === null) {
      verification = { verdict: 'unknown', reason: 'file_missing', sha256: null };
    } else {
      const judgement = judge({ sha256: storedSha256, byHash: render }, this.trusted.keys);
      verification = {
        verdict: judgement.verdict,
        reason: judgement.reason,
        sha256: judgement.sha256,
        ...(judgement.keyId ? { keyId: judgement.keyId } : {}),
        ...(judgement.expectedSha256 ? { expectedSha256: judgement.expectedSha256 } : {}),
      };
    }
    return {
      renderId: render.id,
      variantId: render.variantId,
      campaignId: render.campaignId,
      format: render.format,
      width: render.width,
      height: render.height,
      durationMs: render.durationMs,
      bytes: render.bytes,
      sha256: render.sha256,
      createdAt: render.createdAt.toISOString(),
      manifest: render.manifest,
      verification,
    };
  }

  /** Is a file with this hash a render we signed? */
  async verifyHash(callerWorkspaceId: string, sha256: string): Promise<VerifyAnswer> {
    const hex = normalizeSha256(sha256);
    const byHash = await this.renders.findBySha256(hex, callerWorkspaceId);
    return verifyAnswer(judge({ sha256: hex, byHash }, this.trusted.keys), callerWorkspaceId);
  }

  /**
   * Is this file a render we signed, or an altered copy of one? Its bytes are hashed on the way to a
   * scratch file; ffprobe reads the `adloom:render=<id>` reference from its metadata comment, which
   * names the render an altered copy claims to be.
   */
  async verifyUpload(callerWorkspaceId: string, body: Readable): Promise<VerifyAnswer> {
    return this.spool.withFile(body, MAX_VERIFY_UPLOAD_BYTES, async (file) => {
      const byHash = await this.renders.findBySha256(file.sha256, callerWorkspaceId);
      if (byHash) {
        return verifyAnswer(judge({ sha256: file.sha256, byHash }, this.trusted.keys), callerWorkspaceId);
      }
      const probe = await this.probe(file.path);
      const reference = probe ? parseProvenanceReference(metadataComment(probe)) : undefined;
      let claimed: StoredRender | undefined;
      if (probe && reference) {
        const video = videoStream(probe);
        const frame = video?.width && video.height ? { width: video.width, height: video.height } : undefined;
        claimed = pickReferencedRender(reference, await this.renders.findByReference(reference), frame);
      }
      return verifyAnswer(
        judge({ sha256: file.sha256, claimed, reference }, this.trusted.keys),
        callerWorkspaceId,
        reference,
      );
    });
  }

  /** What ffprobe says about the file, or null when it is not media. */
  private async probe(file: string): Promise<ProbeResult | null> {
    try {
      return await this.ffmpeg.probe(file, { timeoutMs: PROBE_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof MediaError && error.code === 'invalid_input') return null;
      throw error;
    }
  }

  private async hashStored(key: string): Promise<string | null> {
    let stream: Readable;
    try {
      stream = await this.store.get(key);
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return null;
      throw error;
    }
    const hash = createHash('sha256');
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }
}

function metadataComment(probe: ProbeResult): string | undefined {
  const entry = Object.entries(probe.format.tags).find(([name]) => name.toLowerCase() === 'comment');
  return entry?.[1];
}
