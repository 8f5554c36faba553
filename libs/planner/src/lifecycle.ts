import { Injectable, Logger } from '@nestjs/common';
import { Db, Queryable } from '@adloom/db';
import { IN_FLIGHT } from './planner.repository';

export interface VariantForWork {
  id: string;
  workspace_id: string;
  campaign_id: string;
  wave_id: string;
  state: string;
  prompt: string;
  prompt_hash: string;
  campaign_status: string;
  generator: string;
  model: string;
  fallbacks: string[];
  formats: string[];
  duration_ms: number;
  clip_id: string | null;
}

export interface WaveCompleted {
  waveId: string;
  campaignId: string;
  workspaceId: string;
  counts: Record<string, number>;
}

const STOPPED_CAMPAIGN = ['paused', 'archived'];

/**
 * The variant state machine as the pipeline drives it, and wave completion. Postgres decides:
 * a wave is complete when none of its variants is queued, generating or composing, whichever
 * process notices first, so a lost queue or a killed worker cannot leave a wave hanging.
 */
@Injectable()
export class VariantLifecycle {
  private readonly logger = new Logger('pipeline');

  constructor(private readonly db: Db) {}

  load(workspaceId: string, variantId: string) {
    return this.db.one<VariantForWork>(
      `SELECT v.id, v.workspace_id, v.campaign_id, v.wave_id, v.state, v.prompt, v.prompt_hash, v.clip_id,
              c.status AS campaign_status, c.generator, c.model, c.fallbacks, c.formats, c.duration_ms
       FROM variant v JOIN campaign c ON c.id = v.campaign_id
       WHERE v.workspace_id = $1 AND v.id = $2`,
      [workspaceId, variantId],
    );
  }

  async campaignStopped(campaignId: string): Promise<boolean> {
    const row = await this.db.one<{ status: string }>('SELECT status FROM campaign WHERE id = $1', [
      campaignId,
    ]);
    return !row || STOPPED_CAMPAIGN.includes(row.status);
  }

  isStopped(variant: VariantForWork): boolean {
    return STOPPED_CAMPAIGN.includes(variant.campaign_status);
  }

  /** Moves a variant from one in-flight state to the next; false when it had already moved on. */
  async advance(
    variantId: string,
    from: readonly string[],
    to: string,
    extra: { clipId?: string; reason?: string; promptHash?: string } = {},
    tx?: Queryable,
  ): Promise<boolean> {
    // A variant that failed over to another provider takes the address of the clip that provider made.
    const rows = await this.db.query(
      `UPDATE variant SET state = $3, clip_id = coalesce($4, clip_id), prompt_hash = coalesce($6, prompt_hash),
              failure_reason = CASE WHEN $3 = 'failed' THEN $5 ELSE failure_reason END, updated_at = now()
       WHERE id = $1 AND state = ANY($2::text[]) RETURNING id`,
      [variantId, from, to, extra.clipId ?? null, extra.reason ?? null, extra.promptHash ?? null],
      tx,
    );
    return rows.length > 0;
  }

  fail(variantId: string, reason: string): Promise<boolean> {
    return this.advance(variantId, IN_FLIGHT, 'failed', { reason: reason.slice(0, 2000) });
  }

  cancel(variantId: string): Promise<boolean> {
    return this.advance(variantId, IN_FLIGHT, 'cancelled');
  }

  /** Completes the wave when nothing in it is in flight; returns what completed, once. */
  async completeWaveIfDone(waveId: string): Promise<WaveCompleted | undefined> {
    return this.db.transaction(async (tx) => {
      const wave = await this.db.one<{ id: string; campaign_id: string; workspace_id: string }>(
        `UPDATE wave SET status = 'completed', completed_at = now()
         WHERE id = $1 AND status = 'running'
           AND NOT EXISTS (SELECT 1 FROM variant WHERE wave_id = $1 AND state = ANY($2::text[]))
         RETURNING id, campaign_id, workspace_id`,
        [waveId, IN_FLIGHT],
        tx,
      );
      if (!wave) return undefined;
      await this.db.query(
        `UPDATE campaign SET status = 'review', version = version + 1, updated_at = now()
         WHERE id = $1 AND status = 'generating'`,
        [wave.campaign_id],
        tx,
      );
      const counts = await this.db.query<{ state: string; n: number }>(
        `SELECT state, count(*)::int AS n FROM variant WHERE wave_id = $1 GROUP BY state`,
        [waveId],
        tx,
      );
      this.logger.log(`wave ${waveId} completed`);
      return {
        waveId,
        campaignId: wave.campaign_id,
        workspaceId: wave.workspace_id,
        counts: Object.fromEntries(counts.map((c) => [c.state, c.n])),
      };
    });
  }
}
