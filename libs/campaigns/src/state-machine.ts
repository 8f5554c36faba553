import { CampaignError } from './campaigns.errors';

export const CAMPAIGN_STATUSES = ['draft', 'generating', 'review', 'live', 'paused', 'archived'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/**
 * What moves a campaign. `generate` and `generated` belong to the planner (a wave starts, a wave ends);
 * the marketer launches, pauses and archives.
 */
export const CAMPAIGN_EVENTS = ['generate', 'generated', 'launch', 'pause', 'archive'] as const;
export type CampaignEvent = (typeof CAMPAIGN_EVENTS)[number];

interface Transition<State extends string> {
  from: readonly State[];
  to: State;
}

export const CAMPAIGN_TRANSITIONS: Readonly<Record<CampaignEvent, Transition<CampaignStatus>>> = {
  generate: { from: ['draft', 'review', 'paused'], to: 'generating' },
  generated: { from: ['generating'], to: 'review' },
  // From paused, launch resumes delivery.
  launch: { from: ['review', 'paused'], to: 'live' },
  pause: { from: ['live'], to: 'paused' },
  archive: { from: ['draft', 'generating', 'review', 'live', 'paused'], to: 'archived' },
};

/** The status an event leads to, or undefined when the event is not allowed from `from`. */
export function nextCampaignStatus(from: CampaignStatus, event: CampaignEvent): CampaignStatus | undefined {
  const transition = CAMPAIGN_TRANSITIONS[event];
  return transition.from.includes(from) ? transition.to : undefined;
}

/** Like nextCampaignStatus, but refuses an illegal move with 409 `illegal_transition` naming from and to. */
export function campaignTransition(from: CampaignStatus, event: CampaignEvent): CampaignStatus {
  const to = nextCampaignStatus(from, event);
  if (to) return to;
  const target = CAMPAIGN_TRANSITIONS[event].to;
  const allowed = CAMPAIGN_TRANSITIONS[event].from.join(', ');
  throw new CampaignError(
    'illegal_transition',
    `A ${from} campaign cannot ${event} (to ${target}); ${event} is allowed from ${allowed}.`,
    { field: 'status', from, to: target, event },
  );
}

/**
 * Fields a PATCH may change in each status. A draft is free; once variants exist (review, paused) only
 * what does not change the variants may change; generating, live and archived campaigns are read-only.
 */
export const CAMPAIGN_EDITABLE_FIELDS: Readonly<Record<CampaignStatus, readonly string[]>> = {
  draft: [
    'name',
    'objective',
    'templates',
    'segmentIds',
    'formats',
    'generator',
    'model',
    'durationMs',
    'budget',
    'landingUrl',
    'brandKitId',
    'adVerifications',
  ],
  generating: [],
  review: ['name', 'budget', 'landingUrl', 'adVerifications'],
  live: [],
  paused: ['name', 'budget', 'landingUrl', 'adVerifications'],
  archived: [],
};

/** Refuses with 409 `campaign_locked` naming the first field the status does not let a PATCH change. */
export function assertEditable(status: CampaignStatus, fields: readonly string[]): void {
  const editable = CAMPAIGN_EDITABLE_FIELDS[status];
  const locked = fields.find((field) => !editable.includes(field));
  if (locked === undefined) return;
  const detail =
    editable.length === 0
      ? `A ${status} campaign cannot be changed.`
      : `A ${status} campaign's ${locked} cannot be changed; only ${editable.join(', ')} can.`;
  throw new CampaignError('campaign_locked', detail, { field: locked, campaignStatus: status });
}

export const VARIANT_STATES = [
  'queued',
  'generating',
  'composing',
  'ready',
  'failed',
  'approved',
  'rejected',
  'paused',
  'cancelled',
] as const;
export type VariantState = (typeof VARIANT_STATES)[number];

/**
 * Every move a variant can make. The pipeline drives queued → generating → composing → ready (or failed,
 * retried by going back to queued); review moves ready variants; the optimizer pauses and resumes
 * approved ones.
 */
export const VARIANT_TRANSITIONS: Readonly<Record<VariantState, readonly VariantState[]>> = {
  queued: ['generating', 'failed', 'cancelled'],
  generating: ['queued', 'composing', 'failed', 'cancelled'],
  composing: ['queued', 'ready', 'failed', 'cancelled'],
  ready: ['approved', 'rejected', 'cancelled'],
  failed: ['queued', 'cancelled'],
  approved: ['rejected', 'paused'],
  rejected: ['approved'],
  paused: ['approved', 'rejected'],
  cancelled: [],
};

export function canVariantMove(from: VariantState, to: VariantState): boolean {
  return VARIANT_TRANSITIONS[from].includes(to);
}

export type ReviewAction = 'approve' | 'reject';

/**
 * Review: approve a ready variant, or reinstate a rejected one; reject a ready variant, or withdraw one
 * that was approved (or auto-paused) so delivery stops serving it.
 */
export const REVIEW_TRANSITIONS: Readonly<Record<ReviewAction, Transition<VariantState>>> = {
  approve: { from: ['ready', 'rejected'], to: 'approved' },
  reject: { from: ['ready', 'approved', 'paused'], to: 'rejected' },
};

export function reviewTransition(from: VariantState, action: ReviewAction): VariantState {
  const { from: allowed, to } = REVIEW_TRANSITIONS[action];
  if (allowed.includes(from)) return to;
  throw new CampaignError(
    'illegal_transition',
    `A ${from} variant cannot be ${action === 'approve' ? 'approved' : 'rejected'}; only ${allowed.join(', ')} variants can.`,
    { field: 'state', from, to, event: action },
  );
}
