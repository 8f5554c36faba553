import { CampaignError } from './campaigns.errors';
import {
  CAMPAIGN_STATUSES,
  REVIEW_TRANSITIONS,
  assertEditable,
  campaignTransition,
  canVariantMove,
  nextCampaignStatus,
  reviewTransition,
  type CampaignEvent,
  type CampaignStatus,
} from './state-machine';

function refusal(work: () => unknown): CampaignError {
  try {
    work();
  } catch (error) {
    if (error instanceof CampaignError) return error;
    throw error;
  }
  throw new Error('expected a CampaignError');
}

describe('campaign state machine', () => {
  it('walks the happy path draft → generating → review → live ⇄ paused → archived', () => {
    const path: [CampaignEvent, CampaignStatus][] = [
      ['generate', 'generating'],
      ['generated', 'review'],
      ['launch', 'live'],
      ['pause', 'paused'],
      ['launch', 'live'],
      ['pause', 'paused'],
      ['archive', 'archived'],
    ];
    let status: CampaignStatus = 'draft';
    for (const [event, expected] of path) {
      status = campaignTransition(status, event);
      expect(status).toBe(expected);
    }
  });

  it.each<[CampaignStatus, CampaignEvent, CampaignStatus]>([
    ['draft', 'launch', 'live'],
    ['draft', 'pause', 'paused'],
    ['generating', 'launch', 'live'],
    ['review', 'pause', 'paused'],
    ['live', 'generated', 'review'],
    ['archived', 'launch', 'live'],
    ['archived', 'archive', 'archived'],
  ])('refuses %s --%s--> with 409 naming from and to', (from, event, to) => {
    const error = refusal(() => campaignTransition(from, event));
    expect(error.status).toBe(409);
    expect(error.code).toBe('illegal_transition');
    expect(error.extras).toMatchObject({ from, to, field: 'status' });
  });

  it('lets nothing leave archived', () => {
    for (const event of ['generate', 'generated', 'launch', 'pause', 'archive'] as const)
      expect(nextCampaignStatus('archived', event)).toBeUndefined();
  });

  it('lets a draft change anything and a live campaign nothing', () => {
    expect(() => assertEditable('draft', ['segmentIds', 'formats', 'name'])).not.toThrow();
    expect(() => assertEditable('review', ['name', 'budget'])).not.toThrow();
    expect(refusal(() => assertEditable('review', ['name', 'segmentIds'])).extras.field).toBe('segmentIds');
    expect(refusal(() => assertEditable('live', ['name'])).code).toBe('campaign_locked');
    for (const status of CAMPAIGN_STATUSES) expect(() => assertEditable(status, [])).not.toThrow();
  });
});

describe('variant review', () => {
  it('approves ready or rejected variants and rejects ready, approved or paused ones', () => {
    expect(reviewTransition('ready', 'approve')).toBe('approved');
    expect(reviewTransition('rejected', 'approve')).toBe('approved');
    expect(reviewTransition('ready', 'reject')).toBe('rejected');
    expect(reviewTransition('approved', 'reject')).toBe('rejected');
    expect(reviewTransition('paused', 'reject')).toBe('rejected');
  });

  it.each([
    ['queued', 'approve'],
    ['failed', 'approve'],
    ['approved', 'approve'],
    ['composing', 'reject'],
    ['rejected', 'reject'],
    ['cancelled', 'reject'],
  ] as const)('refuses to %s → %s', (from, action) => {
    const error = refusal(() => reviewTransition(from, action));
    expect(error.code).toBe('illegal_transition');
    expect(error.extras.from).toBe(from);
  });

  it('keeps review moves within the variant lifecycle', () => {
    for (const { from, to } of Object.values(REVIEW_TRANSITIONS))
      for (const state of from) expect(canVariantMove(state, to)).toBe(true);
    expect(canVariantMove('queued', 'approved')).toBe(false);
    expect(canVariantMove('cancelled', 'queued')).toBe(false);
  });
});
