import { h, replaceChildren } from '../dom';
import type { PageContext } from '../context';
import { formatAspect, formatDateTime, plural } from '../format';
import { followProgress, progressOf, progressView } from '../progress';
import type { Campaign, Page } from '../types';
import { messageOf, statusBadge } from './common';

const OBJECTIVE_LABELS = { ctr: 'Click-through', vtr: 'View-through', cvr: 'Conversion' } as const;

function row(context: PageContext, campaign: Campaign): HTMLTableRowElement {
  const progress = progressView(progressOf(campaign), true);
  const status = h('td', {}, statusBadge(campaign.status));
  const total = Object.values(campaign.variantCounts).reduce((sum, n) => sum + n, 0);
  const tr = h(
    'tr',
    { 'data-campaign-id': campaign.id },
    h('th', { scope: 'row' }, h('a', { href: `#/campaigns/${campaign.id}/gallery` }, campaign.name)),
    status,
    h('td', {}, OBJECTIVE_LABELS[campaign.objective] ?? campaign.objective),
    h('td', {}, campaign.formats.map(formatAspect).join(', ')),
    h('td', { class: 'num' }, String(total)),
    h('td', { class: 'progress-cell' }, progress.element),
    h('td', {}, h('time', { datetime: campaign.updatedAt }, formatDateTime(campaign.updatedAt))),
  );
  if (campaign.status === 'generating') {
    void followProgress(context.api, campaign.id, context.signal, (update) => {
      progress.update(update);
      if (update.status !== campaign.status) replaceChildren(status, statusBadge(update.status));
    });
  }
  return tr;
}

export async function campaignsPage(context: PageContext): Promise<void> {
  const { api, main, signal } = context;
  const list = (cursor?: string) =>
    api.json<Page<Campaign>>(
      api.client.GET('/v1/campaigns', { params: { query: { limit: 50, cursor } }, signal }),
    );
  const first = await list();
  const body = h(
    'tbody',
    {},
    first.items.map((campaign) => row(context, campaign)),
  );
  let cursor = first.nextCursor;
  const more = h('button', { type: 'button', class: 'button', hidden: !cursor }, 'Show more campaigns');
  const moreError = h('p', { class: 'form-error', role: 'alert' });
  more.addEventListener('click', async () => {
    if (!cursor) return;
    more.disabled = true;
    moreError.textContent = '';
    try {
      const page = await list(cursor);
      body.append(...page.items.map((campaign) => row(context, campaign)));
      cursor = page.nextCursor;
      more.hidden = !cursor;
    } catch (error) {
      moreError.textContent = messageOf(error);
    } finally {
      more.disabled = false;
    }
  });

  const table = h(
    'table',
    { class: 'data-table campaigns-table' },
    h('caption', { class: 'visually-hidden' }, 'Campaigns, newest last, with their generation progress'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Campaign', 'Status', 'Objective', 'Formats', 'Variants', 'Progress', 'Updated'].map((label) =>
          h('th', { scope: 'col', class: label === 'Variants' ? 'num' : undefined }, label),
        ),
      ),
    ),
    body,
  );
  replaceChildren(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Campaigns'),
      h(
        'p',
        { class: 'lead' },
        cursor ? `${first.items.length}+ campaigns` : plural(first.items.length, 'campaign'),
      ),
    ),
    first.items.length
      ? h('div', { class: 'panel table-scroll' }, table)
      : h(
          'div',
          { class: 'panel empty' },
          h('p', {}, 'No campaigns yet. Create one with the API (POST /v1/campaigns) or run `adloom demo`.'),
        ),
    h('p', { class: 'actions' }, more),
    moreError,
  );
}
