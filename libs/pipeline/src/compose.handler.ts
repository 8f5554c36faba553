import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import path from 'node:path';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Scratch } from '@adloom/common';
import { Db } from '@adloom/db';
import { ObjectStore } from '@adloom/storage';
import { JobData, JobHandler } from '@adloom/queue';
import { isLastAttempt, VariantLifecycle } from '@adloom/planner';
import { DEFAULT_FONT_FILE, Ffmpeg, FormatId, MediaError } from '@adloom/media';
import { buildManifest, formatProvenanceReference, signManifest } from '@adloom/provenance';
import { ClipsRepository } from './clips.repository';
import { ComposeContext, ComposeRepository, NewRender } from './compose.repository';
import { renderIdFor, renderKeys } from './render-keys';
import { PipelineError } from './pipeline.errors';
import { ShutdownSignal } from './shutdown';
import { WaveEvents } from './wave-events';

const FONT_FILES: Record<string, string> = {
  'dejavu sans': DEFAULT_FONT_FILE,
  'dejavu sans bold': DEFAULT_FONT_FILE,
  'dejavu sans regular': '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  'dejavu serif': '/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf',
};

const CLIP_FILE = 'clip.mp4';

const color = (value: unknown, fallback: string) =>
  typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value) ? value : fallback;

/**
 * The CPU stage: one ffmpeg process turns the variant's clip into every format (with copy, captions,
 * logo, end card and AI label), each render is checked against its platforms' specs, signed, and
 * only then stored: a failure leaves no objects behind.
 */
@Injectable()
export class ComposeHandler {
  private readonly logger = new Logger('compose');

  constructor(
    @Inject(CONFIG) private readonly config: AdloomConfig,
    private readonly db: Db,
    private readonly repo: ComposeRepository,
    private readonly clips: ClipsRepository,
    private readonly lifecycle: VariantLifecycle,
    private readonly store: ObjectStore,
    private readonly ffmpeg: Ffmpeg,
    private readonly scratch: Scratch,
    private readonly events: WaveEvents,
    private readonly shutdown: ShutdownSignal,
  ) {}

  @JobHandler('compose')
  async handle(data: JobData<'compose'>, job: Job): Promise<{ outcome: string; renders?: number }> {
    const ctx = await this.repo.context(data.workspaceId, data.variantId);
    if (!ctx || ctx.state !== 'composing') return { outcome: 'skipped' };
    const variant = (await this.lifecycle.load(ctx.workspace_id, ctx.variant_id))!;
    if (ctx.campaign_status === 'paused' || ctx.campaign_status === 'archived') {
      await this.lifecycle.cancel(ctx.variant_id);
      await this.events.variantEnded(variant, 'cancelled');
      return { outcome: 'cancelled' };
    }
    const keys = renderKeys(ctx.workspace_id, ctx.campaign_id, ctx.variant_id);
    const uploaded: string[] = [];
    try {
      if (!ctx.clip_key || !ctx.clip_sha256)
        throw new PipelineError('clip_missing', 'the variant has no ready clip');
      const renders = await this.scratch.withDir('compose', (dir) =>
        this.compose(ctx, dir, job, keys, uploaded),
      );
      await this.db.transaction(async (tx) => {
        await this.repo.saveRenders(ctx, renders, tx);
        await this.lifecycle.advance(ctx.variant_id, ['composing'], 'ready', {}, tx);
      });
      await this.events.variantEnded(variant, 'ready');
      return { outcome: 'ready', renders: renders.length };
    } catch (failure) {
      if (uploaded.length) await this.store.delete(uploaded).catch(() => undefined);
      const error = unreadableClip(failure, ctx.clip_key);
      const reason = error instanceof Error ? error.message : String(error);
      // An unreadable cached clip would fail every variant that reuses it: the next wave makes it again.
      if (error instanceof PipelineError && error.code === 'clip_unreadable' && variant.clip_id)
        await this.clips.failed(variant.clip_id, `unreadable: ${reason}`);
      const permanent =
        (error instanceof MediaError && error.code === 'invalid_input') || error instanceof PipelineError;
      // Cut off by a shutdown: the job goes back to the queue, the variant is not the worse for it.
      if (this.shutdown.signal.aborted) throw error;
      if (permanent || isLastAttempt(job)) {
        await this.lifecycle.fail(ctx.variant_id, reason);
        await this.events.variantEnded(variant, 'failed', reason);
        return { outcome: 'failed' };
      }
      this.logger.warn(`variant ${ctx.variant_id}: ${reason} (will retry)`);
      throw error;
    }
  }

  private async compose(
    ctx: ComposeContext,
    dir: string,
    job: Job,
    keys: ReturnType<typeof renderKeys>,
    uploaded: string[],
  ): Promise<NewRender[]> {
    const clipPath = path.join(dir, CLIP_FILE);
    await this.store.getToFile(ctx.clip_key!, clipPath);
    const logoFile = ctx.brand_logo_key ? path.join(dir, 'logo') : null;
    if (logoFile) await this.store.getToFile(ctx.brand_logo_key!, logoFile);
    const musicFile = ctx.brand_music_key ? path.join(dir, 'music') : null;
    if (musicFile) await this.store.getToFile(ctx.brand_music_key!, musicFile);
    const colors = ctx.brand_colors ?? {};
    const disclosure = ctx.brand_ai_disclosure ?? {};
    const aiLabel =
      disclosure[ctx.locale] ?? disclosure[ctx.locale.split('-')[0]] ?? disclosure.default ?? 'AI-generated';

    const outDir = path.join(dir, 'out');
    const result = await this.ffmpeg.compose(
      {
        clipPath,
        brand: {
          fontFile: FONT_FILES[(ctx.brand_font ?? '').toLowerCase()] ?? DEFAULT_FONT_FILE,
          primaryColor: color(colors.primary, '#1a73e8'),
          textColor: color(colors.text, '#ffffff'),
          accentColor: color(colors.accent ?? colors.secondary, '#fbbc04'),
          accentTextColor: color(colors.accentText, '#202124'),
          logoFile,
          musicFile,
        },
        copy: { headline: ctx.copy.headline, cta: ctx.copy.cta },
        captions: ctx.copy.captions ?? [],
        formats: ctx.formats as FormatId[],
        durationMs: ctx.duration_ms,
        aiLabel: aiLabel === '' ? false : aiLabel,
        metadata: { comment: formatProvenanceReference(ctx.variant_id) },
      },
      outDir,
      (fraction) => void job.updateProgress(Math.round(fraction * 100)).catch(() => undefined),
      { signal: this.shutdown.signal },
    );
    const violations = result.renders.flatMap((r) =>
      r.violations.filter((v) => v.severity === 'error').map((v) => `${r.format}: ${v.detail}`),
    );
    if (violations.length)
      throw new PipelineError('render_rejected', `render rejected: ${violations.join('; ')}`);

    let vttKey: string | null = null;
    let srtKey: string | null = null;
    if (result.captions) {
      await this.store.putFile(keys.vtt, result.captions.vtt, { contentType: 'text/vtt' });
      uploaded.push(keys.vtt);
      await this.store.putFile(keys.srt, result.captions.srt, { contentType: 'application/x-subrip' });
      uploaded.push(keys.srt);
      vttKey = keys.vtt;
      srtKey = keys.srt;
    }
    const renders: NewRender[] = [];
    for (const render of result.renders) {
      const id = renderIdFor(ctx.variant_id, render.format);
      const video = await this.store.putFile(keys.video(render.format), render.video, {
        contentType: 'video/mp4',
      });
      uploaded.push(keys.video(render.format));
      await this.store.putFile(keys.poster(render.format), render.poster, { contentType: 'image/jpeg' });
      uploaded.push(keys.poster(render.format));
      const manifest = this.sign(
        buildManifest({
          renderSha256: video.sha256,
          clipSha256: ctx.clip_sha256!,
          generator: ctx.generator,
          model: ctx.clip_model || ctx.model || ctx.generator,
          promptHash: ctx.prompt_hash,
          templateVersionId: ctx.template_version_id,
          segmentKey: ctx.segment_key,
          format: render.format,
          workspaceId: ctx.workspace_id,
          campaignId: ctx.campaign_id,
          variantId: ctx.variant_id,
          renderId: id,
          createdAt: new Date(),
        }),
      );
      await this.store.put(keys.manifest(render.format), JSON.stringify(manifest), {
        contentType: 'application/json',
      });
      uploaded.push(keys.manifest(render.format));
      const durationMs = Math.round((render.probe.format.durationSec ?? ctx.duration_ms / 1000) * 1000);
      renders.push({
        id,
        format: render.format,
        s3Key: keys.video(render.format),
        width: render.width,
        height: render.height,
        durationMs,
        bytes: video.bytes,
        bitrateKbps: Math.round((video.bytes * 8) / durationMs),
        sha256: video.sha256,
        posterKey: keys.poster(render.format),
        captionsVttKey: vttKey,
        captionsSrtKey: srtKey,
        manifestKey: keys.manifest(render.format),
        manifest,
      });
    }
    return renders;
  }

  private sign(manifest: ReturnType<typeof buildManifest>) {
    if (!this.config.PROVENANCE_SIGNING_KEY) return { manifest, signature: null };
    return signManifest(manifest, this.config.PROVENANCE_SIGNING_KEY);
  }
}

/** A base clip ffmpeg cannot read, told in words that name the clip in storage rather than a scratch file. */
function unreadableClip(error: unknown, clipKey: string | null): unknown {
  if (!(error instanceof MediaError) || error.code !== 'invalid_input' || !clipKey) return error;
  const file = typeof error.extras.file === 'string' ? error.extras.file : '';
  if (path.basename(file) !== CLIP_FILE && !error.detail.startsWith('base clip ')) return error;
  const why =
    typeof error.extras.reason === 'string'
      ? error.extras.reason
          .split(`${file}: `)
          .join('')
          .replace(/\[[^\]]* @ 0x[0-9a-f]+\] /g, '')
      : error.detail.replace(/^base clip \S+ (?:is )?/, '');
  return new PipelineError('clip_unreadable', `the generated clip ${clipKey} is not readable media: ${why}`);
}
