/**
 * The shapes of the API responses the console reads (see libs/campaigns, libs/planner, libs/reports).
 * openapi.json declares the API's parameters but not yet its response bodies: what it does declare is
 * taken from the generated openapi.d.ts, the rest is written here.
 */
import type { operations } from './openapi';

type QueryOf<Operation extends keyof operations> = NonNullable<operations[Operation]['parameters']['query']>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type CampaignStatus = NonNullable<QueryOf<'CampaignsController_list'>['status']>;
export type Objective = 'ctr' | 'vtr' | 'cvr';

export interface Campaign {
  id: string;
  name: string;
  status: CampaignStatus;
  objective: Objective;
  templates: { templateId: string; templateVersionId: string; version: number; name: string }[];
  segmentIds: string[];
  formats: string[];
  generator: string;
  durationMs: number;
  variantCounts: Record<string, number>;
  createdAt: string;
  updatedAt: string;
}

export interface Segment {
  id: string;
  key: string;
  name: string;
  locales: string[];
}

export type VariantState = NonNullable<QueryOf<'CampaignsController_variantsOf'>['state']>;

export interface VariantRender {
  id: string;
  format: string;
  width: number;
  height: number;
  durationMs: number;
  bytes: number;
  url: string;
  posterUrl: string;
}

export interface Variant {
  id: string;
  campaignId: string;
  templateVersionId: string;
  segmentId: string;
  locale: string;
  state: VariantState;
  prompt: string;
  copy: Record<string, unknown>;
  generation: number;
  isControl: boolean;
  reviewReason: string | null;
  failureReason: string | null;
  renders: VariantRender[];
  createdAt: string;
  updatedAt: string;
}

export interface CampaignProgress {
  campaignId: string;
  status: CampaignStatus;
  total: number;
  done: number;
  fraction: number;
  states: Record<string, number>;
  estimatedSecondsLeft: number | null;
}

export type ReportGrouping = 'variant' | 'segment' | 'variant,segment';

export interface ReportRow {
  variantId: string | null;
  segment: string | null;
  state: string | null;
  control: boolean;
  impressions: number;
  starts: number;
  q25: number;
  q50: number;
  q75: number;
  completes: number;
  clicks: number;
  conversions: number;
  ctr: number | null;
  cvr: number | null;
  completionRate: number | null;
  posterior: {
    objective: Objective;
    successes: number;
    trials: number;
    alpha: number;
    beta: number;
    mean: number;
    interval: [number, number];
  };
  probabilityBest: number | null;
  chanceToBeatControl: number | null;
  winner: boolean;
  /** Why the optimiser pauses the variant or declared it its segment's winner. */
  optimizer: {
    status: 'paused' | 'winner' | 'live';
    rule: string | null;
    reason: string | null;
    numbers: Record<string, number | string> | null;
  } | null;
  weight: number | null;
}

export interface CampaignReport {
  campaignId: string;
  objective: Objective;
  by: ReportGrouping;
  rows: ReportRow[];
  totals: Omit<
    ReportRow,
    | 'variantId'
    | 'segment'
    | 'state'
    | 'control'
    | 'posterior'
    | 'probabilityBest'
    | 'chanceToBeatControl'
    | 'winner'
    | 'optimizer'
    | 'weight'
  >;
  srm: { pValue: number | null; threshold: number; mismatch: boolean };
  /** The optimiser's pause and winner rules and its discount half-life; null before its first run. */
  optimizerRules: { pause: string; winner: string; halfLifeHours: number | null } | null;
  winners: { segment: string | null; variantId: string; probabilityBest: number }[];
  cautions: {
    caution: string;
    arms: { variantId: string | null; segment: string | null; trials: number }[];
  }[];
}

export interface AllocationEntry {
  at: string;
  weights: Record<string, number>;
  pBest: Record<string, number>;
  frozen: boolean;
  reason: string | null;
}

export interface AllocationHistory {
  campaignId: string;
  segments: Record<string, AllocationEntry[]>;
  current: Record<string, AllocationEntry>;
}

export const RATE_METRICS = ['ctr', 'vtr', 'cvr', 'completion_rate'] as const;
export type RateMetric = (typeof RATE_METRICS)[number];

export interface RatePoint {
  at: string;
  value: number | null;
  low: number | null;
  high: number | null;
  successes: number;
  trials: number;
}

export interface Timeseries {
  metric: RateMetric;
  bucket: 'hour' | 'day';
  buckets: string[];
  series: { variantId: string; points: RatePoint[] }[];
}
