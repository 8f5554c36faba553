import { ApiError } from '../api';
import { h, replaceChildren } from '../dom';
import type { CampaignStatus } from '../types';

const STATUS_LABELS: Record<CampaignStatus, string> = {
  draft: 'Draft',
  generating: 'Generating',
  review: 'In review',
  live: 'Live',
  paused: 'Paused',
  archived: 'Archived',
};

export const statusBadge = (status: CampaignStatus) =>
  h('span', { class: `badge status-${status}` }, STATUS_LABELS[status] ?? status);

export function loading(main: HTMLElement, what: string): void {
  replaceChildren(main, h('p', { class: 'loading', role: 'status' }, `Loading ${what}…`));
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something went wrong. Reload the page and try again.';
}

/** Replaces the page with what went wrong and a way to retry. */
export function showError(main: HTMLElement, error: unknown, retry: () => void): void {
  const notFound = error instanceof ApiError && error.status === 404;
  replaceChildren(
    main,
    h(
      'section',
      { class: 'panel error-panel', role: 'alert' },
      h('h1', { tabindex: '-1' }, notFound ? 'Not found' : 'Could not load this page'),
      h('p', {}, messageOf(error)),
      h(
        'p',
        { class: 'actions' },
        h('button', { type: 'button', class: 'button', onclick: retry }, 'Try again'),
        h('a', { class: 'button ghost', href: '#/campaigns' }, 'All campaigns'),
      ),
    ),
  );
}
