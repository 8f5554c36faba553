import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Db } from '@adloom/db';
import { JobData, JobHandler, Queues } from '@adloom/queue';
import { DeliveryCache } from '@adloom/delivery';
import { PlannerService } from '@adloom/planner';
import { OptimizerError } from './errors';
import { planSegments, SegmentPlan } from './optimize';
import { EngagementCounts, Objective, armFamilyKey, objectiveCounts } from './posteriors';
import { postStratifiedRates } from './post-stratification';
import { sampleRatioMismatch } from './sample-ratio';
import {
  ArmRow,
  CampaignForOptimizer,
  HistoryRow,
  OptimizerRepository,
  Snapshot,
} from './optimizer.repository';

const SCHEDULER_ID = 'optimize';

export interface SegmentOutcome {
  segment: string;
  weights: Record<string, number>;
  probabilityBest: Record<string, number>;
  burnIn: boolean;
  frozen: boolean;
  srmP: number | null;
  winner: string | null;
  paused: string[];
}

export interface OptimizeOutcome {
  campaignId: string;
  segments: SegmentOutcome[];
  srmFlag: boolean;
  evolvedWave: number | null;
}

interface Period {
  weights: Record<string, number>;
  traffic: Snapshot;
}

const ZERO = { impressions: 0, starts: 0, completes: 0, clicks: 0, conversions: 0 };

function snapshotOf(arms: ArmRow[]): Snapshot {
  return Object.fromEntries(
    arms.map((a) => [
      a.variant_id,
      {
        impressions: a.impressions,
        starts: a.starts,
        completes: a.completes,
        clicks: a.clicks,
        conversions: a.conversions,
      },
    ]),
  );
}

function minus(later: Snapshot[string] | undefined, earlier: Snapshot[string] | undefined): Snapshot[string] {
  const a = later ?? ZERO;
  const b = earlier ?? ZERO;
  return {
    impressions: a.impressions - b.impressions,
    starts: a.starts - b.starts,
    completes: a.completes - b.completes,
    clicks: a.clicks - b.clicks,
    conversions: a.conversions - b.conversions,
  };
}

/**
 * The periods, newest last, during which exactly the current arms were served at known weights:
 * period i runs from snapshot i to snapshot i + 1 (the last one to now) under snapshot i's weights.
 */
export function periodsForArms(history: HistoryRow[], current: Snapshot, armIds: string[]): Period[] {
  const periods: Period[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const keys = Object.keys(history[i].weights);
    if (keys.length !== armIds.length || !armIds.every((id) => keys.includes(id))) break;
    const end = i + 1 < history.length ? history[i + 1].counts : current;
    const traffic = Object.fromEntries(armIds.map((id) => [id, minus(end[id], history[i].counts[id])]));
    periods.unshift({ weights: history[i].weights, traffic });
  }
  return periods;
}

function setRate(
  row: EngagementCounts,
  objective: Objective,
  successes: number,
  trials: number,
): EngagementCounts {
  if (objective === 'ctr') return { ...row, clicks: successes, impressions: trials };
  if (objective === 'vtr') return { ...row, completes: successes, starts: trials };
  return { ...row, conversions: successes, clicks: trials };
}

/**
 * One optimisation pass per live campaign: reads the rollups, computes pooled posteriors, P(best),
 * weights (floor, burn-in, period-weighted estimates), checks the traffic split against the weights
 * that were in force (sample-ratio mismatch freezes the weights and flags the campaign), declares
 * winners, pauses clear losers, writes the allocation and its history, and tells delivery at once.
 * Runs as a BullMQ job scheduler: once per OPTIMIZE_INTERVAL across the fleet.
 */
@Injectable()
export class OptimizerService implements OnApplicationShutdown {
  private readonly logger = new Logger('optimizer');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(CONFIG) private readonly config: AdloomConfig,
    private readonly db: Db,
    private readonly repo: OptimizerRepository,
    private readonly queues: Queues,
    private readonly delivery: DeliveryCache,
    private readonly planner: PlannerService,
  ) {}

  /** Declares the schedule (idempotent) and keeps declaring it; called by workers serving `optimize`. */
  async schedule(): Promise<void> {
    const declare = () =>
      this.queues
        .queue('optimize')
        .upsertJobScheduler(
          SCHEDULER_ID,
          { every: this.config.OPTIMIZE_INTERVAL },
          { name: 'optimize', data: {} },
        );
    await declare();
    if (!this.timer) {
      this.timer = setInterval(
        () => void declare().catch(() => undefined),
        Math.max(this.config.OPTIMIZE_INTERVAL, 5_000),
      );
      this.timer.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  @JobHandler('optimize')
  async handle(data: JobData<'optimize'>): Promise<{ campaigns: number }> {
    const ids = data.campaignId ? [data.campaignId] : await this.repo.liveCampaignIds();
    for (const id of ids) await this.optimize(id);
    return { campaigns: ids.length };
  }

  async optimize(campaignId: string, workspaceId?: string): Promise<OptimizeOutcome> {
    const campaign = await this.repo.campaign(campaignId, workspaceId);
    if (!campaign)
      throw new OptimizerError('campaign_not_found', `No campaign ${campaignId}.`, { field: 'id' });
    if (campaign.status !== 'live') {
      throw new OptimizerError(
        'campaign_not_live',
        `Only a live campaign is optimised; this one is ${campaign.status}.`,
      );
    }
    const settings = campaign.optimizer ?? {};
    const arms = await this.repo.arms(campaignId);
    const poolKey = (a: ArmRow) => armFamilyKey(a.template_version_id, a.locale, a.slots);
    const bySegment = new Map<string, ArmRow[]>();
    for (const arm of arms) bySegment.set(arm.segment_key, [...(bySegment.get(arm.segment_key) ?? []), arm]);

    // Period-weighted counts per arm where the weights changed while exactly these arms were served.
    const rows: EngagementCounts[] = [];
    const srm = new Map<string, { p: number; mismatch: boolean; previous: Record<string, number> | null }>();
    for (const [segment, segmentArms] of bySegment) {
      const ids = segmentArms.map((a) => a.variant_id);
      const history = await this.repo.history(campaignId, segment);
      const periods = periodsForArms(history, snapshotOf(segmentArms), ids);
      const effective = this.periodWeighted(segmentArms, periods, campaign.objective);
      rows.push(...segmentArms.map((a, i) => ({ ...effective[i], variantId: poolKey(a), segment })));
      srm.set(segment, this.sampleRatio(ids, periods, history));
    }

    const plans = planSegments(rows, campaign.objective, {
      allocation: { floor: settings.floor, minTrials: settings.minImpressions },
      pause: { threshold: settings.pauseThreshold, minTrials: settings.minImpressions },
      winnerThreshold: settings.winnerThreshold,
    });
    const outcome: OptimizeOutcome = { campaignId, segments: [], srmFlag: false, evolvedWave: null };
    const winners: NonNullable<CampaignForOptimizer['winner']> = {};
    const newWinners: string[] = [];
    await this.db.transaction(async (tx) => {
      for (const plan of plans) {
        const segmentArms = bySegment.get(plan.segment)!;
        const variantOf = new Map(segmentArms.map((a) => [poolKey(a), a.variant_id]));
        const check = srm.get(plan.segment)!;
        const segmentOutcome = this.decide(plan, variantOf, check, settings.autoPause !== false);
        if (segmentOutcome.frozen) outcome.srmFlag = true;
        if (segmentOutcome.winner) {
          const previous = campaign.winner?.[plan.segment];
          winners[plan.segment] = {
            variantId: segmentOutcome.winner,
            probabilityBest: segmentOutcome.probabilityBest[segmentOutcome.winner],
            at: previous?.variantId === segmentOutcome.winner ? previous.at : new Date().toISOString(),
          };
          if (!campaign.evolved_from.includes(segmentOutcome.winner)) newWinners.push(segmentOutcome.winner);
        }
        await this.repo.write(
          campaignId,
          plan.segment,
          {
            weights: segmentOutcome.weights,
            pBest: segmentOutcome.probabilityBest,
            frozen: segmentOutcome.frozen,
            reason: segmentOutcome.frozen
              ? `sample-ratio mismatch (p = ${segmentOutcome.srmP?.toExponential(2)}): weights frozen`
              : segmentOutcome.burnIn
                ? 'burn-in: equal weights until every variant has its minimum sample'
                : null,
            srmP: segmentOutcome.srmP,
            counts: snapshotOf(segmentArms),
          },
          tx,
        );
        await this.repo.pause(segmentOutcome.paused, tx);
        outcome.segments.push(segmentOutcome);
      }
      const evolve = (settings.autoEvolve ?? this.config.OPTIMIZE_AUTO_EVOLVE) && newWinners.length > 0;
      await this.repo.flags(
        campaignId,
        {
          srm: outcome.srmFlag,
          winner: Object.keys(winners).length ? winners : null,
          evolvedFrom: evolve ? [...campaign.evolved_from, ...newWinners] : campaign.evolved_from,
        },
        tx,
      );
    });
    await this.delivery.invalidate(campaignId);
    if ((settings.autoEvolve ?? this.config.OPTIMIZE_AUTO_EVOLVE) && newWinners.length) {
      const wave = await this.planner
        .evolve(campaign.workspace_id, campaignId, newWinners)
        .catch((error: Error) => {
          this.logger.warn(`campaign ${campaignId}: no evolution wave: ${error.message}`);
          return null;
        });
      outcome.evolvedWave = wave?.wave ?? null;
    }
    return outcome;
  }

  /** Post-stratified counts when weights changed over the arms' whole history; raw counts otherwise. */
  private periodWeighted(arms: ArmRow[], periods: Period[], objective: Objective): EngagementCounts[] {
    const raw: EngagementCounts[] = arms.map((a) => ({
      variantId: a.variant_id,
      segment: a.segment_key,
      impressions: a.impressions,
      starts: a.starts,
      completes: a.completes,
      clicks: a.clicks,
      conversions: a.conversions,
    }));
    if (periods.length < 2) return raw;
    const perPeriod = periods.map((p) => ({
      arms: arms.map((a) => objectiveCounts({ ...raw[0], ...p.traffic[a.variant_id] }, objective)),
    }));
    const covered = arms.every((a, i) => {
      const total = objectiveCounts(raw[i], objective).trials;
      const inPeriods = perPeriod.reduce((sum, p) => sum + p.arms[i].trials, 0);
      return Math.abs(total - inPeriods) < 0.5;
    });
    if (!covered || perPeriod.some((p) => p.arms.some((a) => a.trials === 0))) return raw;
    const estimates = postStratifiedRates(perPeriod);
    return raw.map((row, i) => setRate(row, objective, estimates[i].successes, estimates[i].trials));
  }

  /** Pearson chi-square of served impressions against the weights in force, over the arms' periods. */
  private sampleRatio(ids: string[], periods: Period[], history: HistoryRow[]) {
    const previous = history.length ? history[history.length - 1].weights : null;
    const usable = periods.map((p) => ({
      weights: ids.map((id) => p.weights[id] ?? 0),
      counts: ids.map((id) => p.traffic[id]?.impressions ?? 0),
    }));
    const total = usable.reduce((sum, p) => sum + p.counts.reduce((a, b) => a + b, 0), 0);
    if (ids.length < 2 || total < 20 * ids.length) return { p: NaN, mismatch: false, previous };
    const check = sampleRatioMismatch(usable);
    return { p: check.pValue, mismatch: check.mismatch, previous };
  }

  private decide(
    plan: SegmentPlan,
    variantOf: Map<string, string>,
    srm: { p: number; mismatch: boolean; previous: Record<string, number> | null },
    autoPause: boolean,
  ): SegmentOutcome {
    const id = (key: string) => variantOf.get(key)!;
    const probabilityBest = Object.fromEntries(plan.arms.map((a) => [id(a.variantId), a.probabilityBest]));
    const frozen = srm.mismatch && srm.previous !== null;
    const weights = frozen
      ? srm.previous!
      : Object.fromEntries(plan.arms.map((a) => [id(a.variantId), a.weight]));
    return {
      segment: plan.segment,
      weights,
      probabilityBest,
      burnIn: plan.burnIn,
      frozen,
      srmP: Number.isNaN(srm.p) ? null : srm.p,
      winner: !frozen && plan.winner ? id(plan.winner) : null,
      paused: autoPause && !frozen ? plan.pauseCandidates.map(id) : [],
    };
  }
}
