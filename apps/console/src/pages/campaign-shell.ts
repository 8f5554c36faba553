import { h, replaceChildren } from '../dom';
import type { PageContext } from '../context';
import { formatAspect, formatSeconds, plural } from '../format';
import { followProgress, progressOf, progressView } from '../progress';
import type { Campaign, CampaignProgress, Segment, Variant } from '../types';
import { describeVariants, VariantInfo } from '../variants';
import { statusBadge } from './common';

export type CampaignTab = 'gallery' | 'charts' | 'report';

const TABS: { tab: CampaignTab; label: string }[] = [
  { tab: 'gallery', label: 'Variants' },
  { tab: 'charts', label: 'Charts' },
  { tab: 'report', label: 'Report' },
];

export interface CampaignData {
  campaign: Campaign;
  variants: Variant[];
  segments: Map<string, Segment>;
  /** Variant id → what the console shows about it. */
  info: Map<string, VariantInfo>;
  /** Segment key → segment. */
  segmentsByKey: Map<string, Segment>;
  /** Where the tab draws itself, under the campaign's header. */
  body: HTMLElement;
  /** Called with each progress update while the campaign generates. */
  onProgress: (listener: (progress: CampaignProgress) => void) => void;
}

/** Loads a campaign with its variants and segments and draws its header: name, status, live progress, tabs. */
export async function campaignShell(context: PageContext, active: CampaignTab): Promise<CampaignData> {
  const { api, main, params, signal } = context;
  const [campaign, variants, segmentList] = await Promise.all([
    api.json<Campaign>(api.client.GET('/v1/campaigns/{id}', { params: { path: { id: params.id } }, signal })),
    api.all<Variant>((query) =>
      api.client.GET('/v1/campaigns/{id}/variants', { params: { path: { id: params.id }, query }, signal }),
    ),
    api.all<Segment>((query) => api.client.GET('/v1/segments', { params: { query }, signal })),
  ]);
  const segments = new Map(segmentList.map((segment) => [segment.id, segment]));
  const segmentsByKey = new Map(segmentList.map((segment) => [segment.key, segment]));
  const info = describeVariants(campaign, variants, segments);

  const progress = progressView(progressOf(campaign));
  const status = h('span', {}, statusBadge(campaign.status));
  const listeners: ((progress: CampaignProgress) => void)[] = [];
  if (campaign.status === 'generating') {
    void followProgress(api, campaign.id, signal, (update) => {
      progress.update(update);
      replaceChildren(status, statusBadge(update.status));
      for (const listener of listeners) listener(update);
    });
  }

  const body = h('div', { class: 'campaign-body', id: 'campaign-panel' });
  const meta = [
    `${plural(campaign.templates.length, 'template')} × ${plural(campaign.segmentIds.length, 'segment')}`,
    `formats ${campaign.formats.map(formatAspect).join(', ')}`,
    formatSeconds(campaign.durationMs),
    `objective ${campaign.objective.toUpperCase()}`,
  ].join(' · ');
  replaceChildren(
    main,
    h(
      'nav',
      { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/campaigns' }, 'Campaigns'),
      h('span', { 'aria-hidden': 'true' }, ' / '),
      h('span', { 'aria-current': 'page' }, campaign.name),
    ),
    h(
      'header',
      { class: 'campaign-head' },
      h('div', { class: 'campaign-title' }, h('h1', { tabindex: '-1' }, campaign.name), status),
      h('p', { class: 'campaign-meta' }, meta),
      progress.element,
    ),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Campaign views' },
      TABS.map(({ tab, label }) =>
        h(
          'a',
          {
            href: `#/campaigns/${campaign.id}/${tab}`,
            class: tab === active ? 'tab active' : 'tab',
            'aria-current': tab === active ? 'page' : undefined,
          },
          label,
        ),
      ),
    ),
    body,
  );
  return {
    campaign,
    variants,
    segments,
    segmentsByKey,
    info,
    body,
    onProgress: (listener) => listeners.push(listener),
  };
}
