import { Injectable } from '@nestjs/common';
import { buildReport, CampaignReport, ReportGrouping } from './report';
import { ReportsError } from './reports.errors';
import { AllocationRow, ReportCampaign, ReportsRepository, TimeWindow } from './reports.repository';
import { buildTimeseries, Timeseries, TimeseriesBucket, TimeseriesMetric } from './timeseries';

export interface ReportQuery extends Partial<TimeWindow> {
  by: ReportGrouping;
}

export interface AllocationsQuery extends Partial<TimeWindow> {
  segment?: string;
  /** Most recent history entries kept per segment. */
  limit: number;
}

export interface TimeseriesQuery extends Partial<TimeWindow> {
  metric: TimeseriesMetric;
  bucket: TimeseriesBucket;
  segment?: string;
}

export interface AllocationEntry {
  at: string;
  weights: Record<string, number>;
  pBest: Record<string, number>;
  frozen: boolean;
  reason: string | null;
}

export interface AllocationHistoryEntry extends AllocationEntry {
  srmP: number | null;
}

export interface AllocationHistory {
  campaignId: string;
  /** Per segment, oldest first. */
  segments: Record<string, AllocationHistoryEntry[]>;
  /** The weights delivery uses now, per segment. */
  current: Record<string, AllocationEntry>;
}

const entryOf = (row: AllocationRow): AllocationEntry => ({
  at: row.computedAt.toISOString(),
  weights: row.weights,
  pBest: row.pBest,
  frozen: row.frozen,
  reason: row.reason,
});

function windowOf(query: Partial<TimeWindow>): TimeWindow {
  const window = { from: query.from ?? null, to: query.to ?? null };
  if (window.from && window.to && window.from >= window.to) {
    throw new ReportsError('invalid_range', '`from` must be earlier than `to`.', { field: 'query.to' });
  }
  return window;
}

/** The analysts' read side: reports, allocation history and time series of one campaign. */
@Injectable()
export class ReportsService {
  constructor(private readonly reports: ReportsRepository) {}

  private async campaign(workspaceId: string, campaignId: string): Promise<ReportCampaign> {
    const campaign = await this.reports.campaign(workspaceId, campaignId);
    if (!campaign) {
      throw new ReportsError('campaign_not_found', `No campaign ${campaignId} in this workspace.`, {
        field: 'path.id',
      });
    }
    return campaign;
  }

  async report(workspaceId: string, campaignId: string, query: ReportQuery): Promise<CampaignReport> {
    const window = windowOf(query);
    const campaign = await this.campaign(workspaceId, campaignId);
    const [variants, cells, weights, srm, decisions] = await Promise.all([
      this.reports.variants(workspaceId, campaignId),
      this.reports.cells(campaignId, window),
      this.reports.currentWeights(campaignId),
      this.reports.latestSampleRatio(campaignId, window.to),
      this.reports.currentDecisions(campaignId),
    ]);
    return buildReport({
      campaignId,
      objective: campaign.objective,
      by: query.by,
      ...window,
      variants,
      cells,
      weights,
      srm: { segments: srm, flagged: campaign.srmFlag },
      declaredWinner: campaign.winner,
      decisions,
    });
  }

  async allocations(
    workspaceId: string,
    campaignId: string,
    query: AllocationsQuery,
  ): Promise<AllocationHistory> {
    const window = windowOf(query);
    await this.campaign(workspaceId, campaignId);
    const segment = query.segment ?? null;
    const [history, current] = await Promise.all([
      this.reports.allocationHistory(campaignId, window, segment, query.limit),
      this.reports.currentAllocations(campaignId, segment),
    ]);
    const segments: Record<string, AllocationHistoryEntry[]> = {};
    for (const row of history) (segments[row.segment] ??= []).push({ ...entryOf(row), srmP: row.srmP });
    return {
      campaignId,
      segments,
      current: Object.fromEntries(current.map((row) => [row.segment, entryOf(row)])),
    };
  }

  async timeseries(workspaceId: string, campaignId: string, query: TimeseriesQuery): Promise<Timeseries> {
    const window = windowOf(query);
    await this.campaign(workspaceId, campaignId);
    const segment = query.segment ?? null;
    const [rows, variants] = await Promise.all([
      this.reports.timeseries(campaignId, query.metric, query.bucket, window, segment),
      this.reports.variants(workspaceId, campaignId),
    ]);
    return buildTimeseries(
      {
        campaignId,
        metric: query.metric,
        bucket: query.bucket,
        from: window.from?.toISOString() ?? null,
        to: window.to?.toISOString() ?? null,
        segment,
      },
      rows,
      variants.map((variant) => variant.id),
    );
  }
}
