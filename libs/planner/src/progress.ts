import { Injectable } from '@nestjs/common';
import { Db } from '@adloom/db';
import type { ProviderSpend } from '@adloom/generation';
import { estimateSecondsLeft } from './expand';
import { PlannerError } from './planner.errors';

export interface CampaignProgress {
  campaignId: string;
  status: string;
  wave: number | null;
  total: number;
  done: number;
  fraction: number;
  states: Record<string, number>;
  uniqueClips: number;
  generationSeconds: number;
  generationCost: number;
  /** Seconds of video generated and money spent, per provider and model that made the campaign's clips. */
  generationByProvider: ProviderSpend[];
  estimatedSecondsLeft: number | null;
  startedAt: string | null;
  completedAt: string | null;
}

const DONE_STATES = new Set(['ready', 'failed', 'approved', 'rejected', 'paused', 'cancelled']);

@Injectable()
export class ProgressService {
  constructor(private readonly db: Db) {}

  async progress(workspaceId: string, campaignId: string): Promise<CampaignProgress> {
    const campaign = await this.db.one<{ status: string }>(
      'SELECT status FROM campaign WHERE workspace_id = $1 AND id = $2',
      [workspaceId, campaignId],
    );
    if (!campaign)
      throw new PlannerError('campaign_not_found', `No campaign ${campaignId}.`, { field: 'id' });
    const wave = await this.db.one<{
      id: string;
      number: number;
      created_at: Date;
      completed_at: Date | null;
    }>(
      `SELECT id, number, created_at, completed_at FROM wave WHERE campaign_id = $1 ORDER BY number DESC LIMIT 1`,
      [campaignId],
    );
    const states = await this.db.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM variant WHERE campaign_id = $1 GROUP BY state`,
      [campaignId],
    );
    const clips = await this.db.one<{ clips: number; seconds: string; cost: string }>(
      `SELECT count(*)::int AS clips, coalesce(sum(gpu_seconds), 0) AS seconds, coalesce(sum(cost), 0) AS cost
       FROM clip WHERE id IN (SELECT DISTINCT clip_id FROM variant WHERE campaign_id = $1 AND clip_id IS NOT NULL)`,
      [campaignId],
    );
    const providers = await this.db.query<{
      provider: string;
      model: string;
      clips: number;
      seconds: string;
      cost: string;
    }>(
      `SELECT generator AS provider, model, count(*)::int AS clips, coalesce(sum(gpu_seconds), 0) AS seconds,
              coalesce(sum(cost), 0) AS cost
       FROM clip WHERE id IN (SELECT DISTINCT clip_id FROM variant WHERE campaign_id = $1 AND clip_id IS NOT NULL)
       GROUP BY generator, model ORDER BY generator, model`,
      [campaignId],
    );
    const byState = Object.fromEntries(states.map((s) => [s.state, s.n]));
    const total = states.reduce((sum, s) => sum + s.n, 0);
    const done = states.filter((s) => DONE_STATES.has(s.state)).reduce((sum, s) => sum + s.n, 0);
    const elapsed = wave ? (wave.completed_at ?? new Date()).getTime() - wave.created_at.getTime() : 0;
    return {
      campaignId,
      status: campaign.status,
      wave: wave?.number ?? null,
      total,
      done,
      fraction: total ? done / total : 0,
      states: byState,
      uniqueClips: clips!.clips,
      generationSeconds: Number(clips!.seconds),
      generationCost: Number(clips!.cost),
      generationByProvider: providers.map((p) => ({
        provider: p.provider,
        model: p.model,
        clips: p.clips,
        generationSeconds: Number(p.seconds),
        cost: Number(p.cost),
      })),
      estimatedSecondsLeft: estimateSecondsLeft(done, total - done, elapsed),
      startedAt: wave?.created_at.toISOString() ?? null,
      completedAt: wave?.completed_at?.toISOString() ?? null,
    };
  }
}
