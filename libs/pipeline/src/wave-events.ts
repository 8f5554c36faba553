import { Injectable } from '@nestjs/common';
import { VariantForWork, VariantLifecycle } from '@adloom/planner';
import { Webhooks } from '@adloom/webhooks';

/** What happens when a variant leaves the pipeline: its webhook, and the wave's completion once it is the last. */
@Injectable()
export class WaveEvents {
  constructor(
    private readonly lifecycle: VariantLifecycle,
    private readonly webhooks: Webhooks,
  ) {}

  async variantEnded(
    variant: VariantForWork,
    state: 'ready' | 'failed' | 'cancelled',
    reason?: string,
  ): Promise<void> {
    if (state !== 'cancelled') {
      await this.webhooks.emit(variant.workspace_id, state === 'ready' ? 'variant.ready' : 'variant.failed', {
        variantId: variant.id,
        campaignId: variant.campaign_id,
        waveId: variant.wave_id,
        ...(reason ? { reason } : {}),
      });
    }
    await this.waveMayBeDone(variant.wave_id);
  }

  /** True when this call completed the wave. */
  async waveMayBeDone(waveId: string): Promise<boolean> {
    const done = await this.lifecycle.completeWaveIfDone(waveId);
    if (done) {
      await this.webhooks.emit(done.workspaceId, 'wave.completed', {
        waveId: done.waveId,
        campaignId: done.campaignId,
        counts: done.counts,
      });
    }
    return done !== undefined;
  }
}
