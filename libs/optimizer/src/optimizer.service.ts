import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Db } from '@adloom/db';
import { CampaignEvents, JobData, JobHandler, Queues } from '@adloom/queue';
import { PlannerService } from '@adloom/planner';
import { OptimizerError } from './errors';
import { guardSegment, planSegments } from './optimize';
import { EngagementCounts, Objective, armFamilyKey, objectiveCounts } from './posteriors';
import { DEFAULT_HALF_LIFE_HOURS } from './discount';
import { DEFAULT_GUARDS, NO_WINNER, SegmentDecisions, describeRules } from './guards';
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
  /** The declared winner (it stays declared until the withdrawal rule says otherwise). */
  winner: string | null;
  /** Variants at weight 0 by the pause rule; re-judged every run. */
  paused: string[];
  decisions: SegmentDecisions;
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

/** A new history snapshot only when the split moved: runs a minute apart would otherwise write 1,440 a day. */
const HISTORY_WEIGHT_CHANGE = 0.005;
const HISTORY_MAX_AGE_MS = 3_600_000;

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

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Whether a run's weights differ enough from the last snapshot's, or it is old enough, to record. */
function historyDue(last: HistoryRow, weights: Record<string, number>, now: string): boolean {
  if (Date.parse(now) - new Date(last.computed_at).getTime() >= HISTORY_MAX_AGE_MS) return true;
  const ids = new Set([...Object.keys(last.weights), ...Object.keys(weights)]);
  for (const id of ids) {
    if (Math.abs((last.weights[id] ?? -1) - (weights[id] ?? -1)) >= HISTORY_WEIGHT_CHANGE) return true;
  }
  return false;
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
    private readonly events: CampaignEvents,
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
    const halfLife = settings.halfLifeHours === undefined ? DEFAULT_HALF_LIFE_HOURS : settings.halfLifeHours;
    const guards = { ...DEFAULT_GUARDS, ...settings.guards };
    const rules = describeRules(guards);
    const [arms, history, previous] = await Promise.all([
      this.repo.arms(campaignId, halfLife),
      this.repo.history(campaignId),
      this.repo.previous(campaignId),
    ]);
    const poolKey = (a: ArmRow) => armFamilyKey(a.template_version_id, a.locale, a.slots);
    const bySegment = groupBy(arms, (a) => a.segment_key);
    const historyOf = groupBy(history, (h) => h.segment_key);

    // Discounted counts; for a stationary campaign, period-weighted counts where the weights changed
    // while exactly these arms were served (with discounting the recent hours dominate, and the
    // periods' snapshots hold lifetime counts, so they are not mixed in).
    const rows: EngagementCounts[] = [];
    const srm = new Map<string, { p: number; mismatch: boolean; previous: Record<string, number> | null }>();
    for (const [segment, segmentArms] of bySegment) {
      const ids = segmentArms.map((a) => a.variant_id);
      const segmentHistory = historyOf.get(segment) ?? [];
      const periods = periodsForArms(segmentHistory, snapshotOf(segmentArms), ids);
      const counts =
        halfLife === null
          ? this.periodWeighted(segmentArms, periods, campaign.objective)
          : segmentArms.map((a) => ({ variantId: a.variant_id, segment, ...a.discounted }));
      rows.push(...segmentArms.map((a, i) => ({ ...counts[i], variantId: poolKey(a), segment })));
      srm.set(segment, this.sampleRatio(ids, periods, segmentHistory));
    }

    const plans = planSegments(rows, campaign.objective, { allocation: { minTrials: 0 } });
    const now = new Date().toISOString();
    const outcome: OptimizeOutcome = { campaignId, segments: [], srmFlag: false, evolvedWave: null };
    const winners: NonNullable<CampaignForOptimizer['winner']> = {};
    const newWinners: string[] = [];
    await this.db.transaction(async (tx) => {
      for (const plan of plans) {
        const segmentArms = bySegment.get(plan.segment)!;
        const idOf = new Map(segmentArms.map((a) => [poolKey(a), a.variant_id]));
        const rawOf = new Map(segmentArms.map((a) => [a.variant_id, a]));
        const check = srm.get(plan.segment)!;
        const before = previous.get(plan.segment);
        const guarded = plan.arms.map((arm) => ({
          variantId: idOf.get(arm.variantId)!,
          alpha: arm.alpha,
          beta: arm.beta,
          trials: arm.trials,
          probabilityBest: arm.probabilityBest,
          expectedLoss: arm.expectedLoss,
        }));
        const lifetime = guarded.map(
          (arm) =>
            objectiveCounts(
              { variantId: arm.variantId, segment: plan.segment, ...rawOf.get(arm.variantId)! },
              campaign.objective,
            ).trials,
        );
        const frozen = check.mismatch && check.previous !== null;
        const winnerBefore = before?.decisions.winnerState ?? NO_WINNER;
        const step = guardSegment(guarded, lifetime, winnerBefore, now, {
          guards,
          floor: settings.floor,
          minTrials: settings.minImpressions,
          autoPause: settings.autoPause !== false,
        });
        // A frozen segment keeps its weights and its winner state until the traffic split is explained.
        const weights = frozen
          ? check.previous!
          : Object.fromEntries(guarded.map((arm, i) => [arm.variantId, step.weights[i]]));
        const winnerState = frozen ? winnerBefore : step.winner.state;
        const declaredArm = guarded.find((arm) => arm.variantId === winnerState.declared?.variantId);
        const decisions: SegmentDecisions = {
          rules,
          halfLifeHours: halfLife,
          winnerState,
          winner: declaredArm
            ? {
                probabilityBest: declaredArm.probabilityBest,
                expectedLoss: declaredArm.expectedLoss,
                mean: declaredArm.alpha / (declaredArm.alpha + declaredArm.beta),
              }
            : null,
          paused: frozen ? (before?.decisions.paused ?? {}) : Object.fromEntries(step.paused),
        };
        const segmentOutcome: SegmentOutcome = {
          segment: plan.segment,
          weights,
          probabilityBest: Object.fromEntries(guarded.map((arm) => [arm.variantId, arm.probabilityBest])),
          burnIn: step.burnIn,
          frozen,
          srmP: Number.isNaN(check.p) ? null : check.p,
          winner: winnerState.declared?.variantId ?? null,
          paused: Object.keys(decisions.paused),
          decisions,
        };
        if (frozen) outcome.srmFlag = true;
        if (segmentOutcome.winner) {
          winners[plan.segment] = {
            variantId: segmentOutcome.winner,
            probabilityBest: segmentOutcome.probabilityBest[segmentOutcome.winner],
            at: winnerState.declared!.since,
          };
          if (!campaign.evolved_from.includes(segmentOutcome.winner)) newWinners.push(segmentOutcome.winner);
        }
        const lastHistory = historyOf.get(plan.segment)?.at(-1);
        await this.repo.write(
          campaignId,
          plan.segment,
          {
            weights,
            pBest: segmentOutcome.probabilityBest,
            frozen,
            reason: frozen
              ? `sample-ratio mismatch (p = ${segmentOutcome.srmP?.toExponential(2)}): weights frozen`
              : step.burnIn
                ? 'burn-in: equal weights until every live variant has its minimum sample'
                : null,
            srmP: segmentOutcome.srmP,
            counts: snapshotOf(segmentArms),
            decisions,
            history: !lastHistory || historyDue(lastHistory, weights, now),
          },
          tx,
        );
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
    await this.weightsChanged(campaignId);
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

  /** The one place the optimiser says new weights are in force: `campaign.changed`, heard by every edge. */
  private async weightsChanged(campaignId: string): Promise<void> {
    await this.events.changed(campaignId);
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
}
