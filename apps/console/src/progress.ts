import { Api, ApiError } from './api';
import { h } from './dom';
import { formatCount } from './format';
import type { Campaign, CampaignProgress } from './types';

const DONE_STATES = new Set(['ready', 'failed', 'approved', 'rejected', 'paused', 'cancelled']);
const IN_FLIGHT = ['queued', 'generating', 'composing'] as const;

/** Progress as the campaign view's variant counts give it, before the stream says more. */
export function progressOf(campaign: Campaign): CampaignProgress {
  const states = campaign.variantCounts;
  const total = Object.values(states).reduce((sum, n) => sum + n, 0);
  const done = Object.entries(states)
    .filter(([state]) => DONE_STATES.has(state))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    campaignId: campaign.id,
    status: campaign.status,
    total,
    done,
    fraction: total ? done / total : 0,
    states,
    estimatedSecondsLeft: null,
  };
}

export function describeProgress(progress: CampaignProgress): string {
  if (progress.total === 0) return progress.status === 'draft' ? 'Not generated yet' : 'No variants';
  const busy = IN_FLIGHT.filter((state) => progress.states[state])
    .map((state) => `${formatCount(progress.states[state])} ${state}`)
    .join(', ');
  const failed = progress.states.failed ? `, ${formatCount(progress.states.failed)} failed` : '';
  const eta =
    progress.estimatedSecondsLeft !== null && progress.done < progress.total
      ? `, about ${Math.max(1, Math.round(progress.estimatedSecondsLeft))} s left`
      : '';
  return `${formatCount(progress.done)} of ${formatCount(progress.total)} variants done${busy ? ` (${busy})` : ''}${failed}${eta}`;
}

/** A progress bar with its text; the text is a polite live region, so changes are read out. */
export function progressView(initial: CampaignProgress, compact = false) {
  const bar = h('progress', { max: Math.max(1, initial.total), value: initial.done });
  const text = h('span', { class: 'progress-text', 'aria-live': 'polite' });
  const element = h('div', { class: compact ? 'progress compact' : 'progress' }, bar, text);
  const update = (progress: CampaignProgress) => {
    bar.max = Math.max(1, progress.total);
    bar.value = progress.done;
    bar.setAttribute('aria-label', `Generation progress: ${Math.round(progress.fraction * 100)}%`);
    text.textContent = describeProgress(progress);
    element.dataset.status = progress.status;
  };
  update(initial);
  return { element, update };
}

/**
 * Follows `/progress/stream` while the campaign generates: `onProgress` on every change. Resolves when
 * the server ends the stream (the wave is done) or `signal` aborts; reconnects after network errors.
 */
export async function followProgress(
  api: Api,
  campaignId: string,
  signal: AbortSignal,
  onProgress: (progress: CampaignProgress) => void,
): Promise<void> {
  let delay = 1_000;
  while (!signal.aborted) {
    try {
      await api.stream(
        api.client.GET('/v1/campaigns/{id}/progress/stream', {
          params: { path: { id: campaignId } },
          headers: { accept: 'text/event-stream' },
          parseAs: 'stream',
          signal,
        }),
        (event, data) => {
          if (event === 'progress') onProgress(JSON.parse(data) as CampaignProgress);
        },
      );
      return;
    } catch (error) {
      if (signal.aborted || (error instanceof ApiError && error.status >= 400 && error.status < 500)) return;
      await new Promise((resolve) => window.setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  }
}
