import { Api, ApiError } from '../api';
import { announce, h, replaceChildren, selectField } from '../dom';
import type { PageContext } from '../context';
import { formatAspect, formatBytes, formatSeconds, plural } from '../format';
import { reload, replaceQuery } from '../router';
import type { Variant, VariantRender } from '../types';
import { canApprove, canReject, STATE_LABELS, VariantInfo, variantTag } from '../variants';
import { campaignShell } from './campaign-shell';
import { messageOf } from './common';

const BATCH = 12;

interface Filters {
  segment: string;
  locale: string;
  format: string;
  state: string;
}

/**
 * A render playing in a muted, inline `<video>` with its poster. The captions are burned into the
 * picture; they are also attached as a text track (off by default) for assistive technology, fetched
 * through the API because a track from another origin needs CORS on the bucket.
 */
function renderFigure(api: Api, render: VariantRender, locale: string, signal: AbortSignal): HTMLElement {
  const video = h('video', {
    controls: true,
    playsinline: true,
    preload: 'metadata',
    poster: render.posterUrl,
    width: render.width,
    height: render.height,
    'data-render-id': render.id,
    'data-format': render.format,
    'data-duration-ms': render.durationMs,
    'aria-label': `${formatAspect(render.format)} render, ${formatSeconds(render.durationMs)}`,
  });
  video.muted = true;
  video.defaultMuted = true;
  video.append(h('source', { src: render.url, type: 'video/mp4' }));
  video.addEventListener(
    'loadedmetadata',
    async () => {
      try {
        const captions = await api.json<Blob>(
          api.client.GET('/v1/renders/{id}/captions', {
            params: { path: { id: render.id } },
            headers: { accept: 'text/vtt' },
            parseAs: 'blob',
            signal,
          }),
        );
        const src = URL.createObjectURL(captions);
        signal.addEventListener('abort', () => URL.revokeObjectURL(src), { once: true });
        video.append(h('track', { kind: 'captions', srclang: locale, label: `Captions (${locale})`, src }));
      } catch {
        /* a render without captions plays without a track */
      }
    },
    { once: true },
  );
  return h(
    'figure',
    { class: `render format-${render.format}` },
    video,
    h(
      'figcaption',
      {},
      h('strong', {}, formatAspect(render.format)),
      ` ${render.width}×${render.height} · ${formatSeconds(render.durationMs)} · ${formatBytes(render.bytes)}`,
    ),
  );
}

function variantCard(
  context: PageContext,
  info: VariantInfo,
  formats: string | undefined,
  onChange: (variant: Variant) => void,
): HTMLElement {
  const { api, signal } = context;
  let variant = info.variant;
  const titleId = `variant-${variant.id}-title`;
  const badge = h('span', { class: 'badge', tabindex: '-1' });
  const reason = h('p', { class: 'review-reason' });
  const actions = h('div', { class: 'card-actions' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const rejectForm = h('form', { class: 'reject-form', hidden: true });

  const review = async (action: 'approve' | 'reject', body?: { reason: string }) => {
    error.textContent = '';
    for (const button of actions.querySelectorAll('button')) button.disabled = true;
    try {
      const params = { path: { id: variant.id } };
      variant = await api.json<Variant>(
        action === 'approve'
          ? api.client.POST('/v1/variants/{id}/approve', { params })
          : api.client.POST('/v1/variants/{id}/reject', { params, body: body ?? { reason: '' } }),
      );
      rejectForm.hidden = true;
      refresh();
      onChange(variant);
      badge.focus();
      announce(`${info.tag} ${action === 'approve' ? 'approved' : 'rejected'}.`);
    } catch (problem) {
      error.textContent =
        problem instanceof ApiError && problem.status === 403
          ? 'Your key cannot review variants; a marketer key can.'
          : messageOf(problem);
      refresh();
    }
  };

  const reasonId = `reject-${variant.id}`;
  const reasonInput = h('textarea', {
    id: reasonId,
    name: 'reason',
    rows: 2,
    required: true,
    maxlength: 1000,
  });
  rejectForm.append(
    h('label', { for: reasonId }, 'Why is this variant rejected?'),
    reasonInput,
    h(
      'div',
      { class: 'card-actions' },
      h('button', { type: 'submit', class: 'button danger' }, 'Reject variant'),
      h('button', { type: 'button', class: 'button ghost', onclick: () => closeReject() }, 'Cancel'),
    ),
  );
  const closeReject = () => {
    rejectForm.hidden = true;
    refresh();
    actions.querySelector<HTMLButtonElement>('[data-action="reject"]')?.focus();
  };
  rejectForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = reasonInput.value.trim();
    if (!text) {
      error.textContent = 'Give a reason: it is kept with the variant.';
      reasonInput.focus();
      return;
    }
    void review('reject', { reason: text });
  });
  rejectForm.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeReject();
  });

  function refresh() {
    badge.className = `badge state-${variant.state}`;
    badge.textContent = STATE_LABELS[variant.state] ?? variant.state;
    reason.textContent =
      variant.state === 'rejected' && variant.reviewReason ? `Rejected: ${variant.reviewReason}` : '';
    reason.hidden = !reason.textContent;
    const buttons: HTMLButtonElement[] = [];
    if (canApprove(variant.state))
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            class: 'button primary',
            'data-action': 'approve',
            onclick: () => void review('approve'),
          },
          'Approve',
          h('span', { class: 'visually-hidden' }, ` ${info.tag}`),
        ),
      );
    if (canReject(variant.state))
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            'data-action': 'reject',
            'aria-expanded': String(!rejectForm.hidden),
            onclick: () => {
              rejectForm.hidden = false;
              refresh();
              reasonInput.focus();
            },
          },
          'Reject…',
          h('span', { class: 'visually-hidden' }, ` ${info.tag}`),
        ),
      );
    replaceChildren(actions, buttons);
  }
  refresh();

  const renders = variant.renders.filter((render) => !formats || render.format === formats);
  const headline = info.headline || variant.prompt;
  const cta = typeof variant.copy.cta === 'string' ? variant.copy.cta : '';
  return h(
    'article',
    { class: 'card variant-card', 'aria-labelledby': titleId, 'data-variant-id': variant.id },
    h(
      'div',
      { class: 'renders' },
      renders.length
        ? renders.map((render) => renderFigure(api, render, variant.locale, signal))
        : h('p', { class: 'no-renders' }, variant.failureReason ?? 'No renders yet.'),
    ),
    h(
      'div',
      { class: 'card-body' },
      h('div', { class: 'card-title' }, variantTag(info), h('h3', { id: titleId, tabindex: '-1' }, headline)),
      h(
        'p',
        { class: 'card-meta' },
        `${info.template} · ${info.segment?.name ?? 'Segment'} · ${variant.locale}`,
        cta ? h('span', { class: 'cta' }, cta) : null,
      ),
      h(
        'div',
        { class: 'card-status' },
        badge,
        variant.isControl ? h('span', { class: 'badge' }, 'Control') : null,
      ),
      reason,
      h('details', {}, h('summary', {}, 'Prompt'), h('p', { class: 'prompt' }, variant.prompt)),
      actions,
      rejectForm,
      error,
    ),
  );
}

function matches(variant: Variant, filters: Filters): boolean {
  return (
    (!filters.segment || variant.segmentId === filters.segment) &&
    (!filters.locale || variant.locale === filters.locale) &&
    (!filters.format || variant.renders.some((render) => render.format === filters.format)) &&
    (!filters.state || variant.state === filters.state)
  );
}

export async function galleryPage(context: PageContext): Promise<void> {
  const data = await campaignShell(context, 'gallery');
  const { campaign, variants, info, body } = data;
  const filters: Filters = {
    segment: context.query.get('segment') ?? '',
    locale: context.query.get('locale') ?? '',
    format: context.query.get('format') ?? '',
    state: context.query.get('state') ?? '',
  };

  const grid = h('div', { class: 'gallery', id: 'gallery' });
  const summary = h('p', { class: 'gallery-summary', role: 'status' });
  const more = h('button', { type: 'button', class: 'button' });
  let shown = 0;
  let matching: Variant[] = [];

  const showMore = () => {
    const next = matching.slice(shown, shown + BATCH);
    grid.append(
      ...next.map((variant) =>
        variantCard(context, info.get(variant.id)!, filters.format || undefined, (changed) => {
          info.get(changed.id)!.variant = changed;
          Object.assign(variant, changed);
          updateStateFilter();
        }),
      ),
    );
    shown += next.length;
    const left = matching.length - shown;
    more.hidden = left <= 0;
    more.textContent = `Show ${Math.min(BATCH, left)} more of ${left}`;
  };
  more.addEventListener('click', () => {
    const firstNew = shown;
    showMore();
    grid.children[firstNew]?.querySelector<HTMLElement>('h3')?.focus();
  });

  const apply = () => {
    replaceQuery({ ...filters });
    matching = variants.filter((variant) => matches(variant, filters));
    const renders = matching.reduce(
      (sum, variant) =>
        sum + variant.renders.filter((render) => !filters.format || render.format === filters.format).length,
      0,
    );
    summary.textContent = `${plural(matching.length, 'variant')} of ${variants.length}, ${plural(renders, 'render')}`;
    grid.replaceChildren();
    shown = 0;
    showMore();
  };

  const segmentOptions = campaign.segmentIds
    .map((id) => data.segments.get(id))
    .filter((segment) => segment !== undefined)
    .map((segment) => ({ value: segment.id, label: segment.name }));
  const locales = [...new Set(variants.map((variant) => variant.locale))].sort();
  const stateField = h('div', { class: 'field-slot' });
  const updateStateFilter = () => {
    const counts = new Map<string, number>();
    for (const variant of variants) counts.set(variant.state, (counts.get(variant.state) ?? 0) + 1);
    replaceChildren(
      stateField,
      selectField(
        'State',
        [
          { value: '', label: 'All states' },
          ...[...counts].map(([state, n]) => ({
            value: state,
            label: `${STATE_LABELS[state as Variant['state']] ?? state} (${n})`,
          })),
        ],
        filters.state,
        (value) => {
          filters.state = value;
          apply();
        },
      ),
    );
  };
  updateStateFilter();

  const filterBar = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter variants',
      onsubmit: (e: Event) => e.preventDefault(),
    },
    selectField(
      'Segment',
      [{ value: '', label: 'All segments' }, ...segmentOptions],
      filters.segment,
      (value) => {
        filters.segment = value;
        apply();
      },
    ),
    selectField(
      'Locale',
      [{ value: '', label: 'All locales' }, ...locales.map((locale) => ({ value: locale, label: locale }))],
      filters.locale,
      (value) => {
        filters.locale = value;
        apply();
      },
    ),
    selectField(
      'Format',
      [
        { value: '', label: 'All formats' },
        ...campaign.formats.map((format) => ({ value: format, label: formatAspect(format) })),
      ],
      filters.format,
      (value) => {
        filters.format = value;
        apply();
      },
    ),
    stateField,
  );

  const refreshNotice = h(
    'div',
    { class: 'notice', hidden: true, role: 'status' },
    'New renders are ready. ',
    h('button', { type: 'button', class: 'link-button', onclick: reload }, 'Show them'),
  );
  let knownDone = variants.filter((variant) => variant.renders.length > 0).length;
  data.onProgress((progress) => {
    const ready = (progress.states.ready ?? 0) + (progress.states.approved ?? 0);
    if (ready > knownDone) {
      knownDone = ready;
      refreshNotice.hidden = false;
    }
  });

  replaceChildren(
    body,
    h('h2', { class: 'visually-hidden' }, 'Variant gallery'),
    filterBar,
    refreshNotice,
    summary,
    variants.length
      ? grid
      : h('p', { class: 'panel empty' }, 'No variants yet: generate the campaign to see its renders here.'),
    h('p', { class: 'actions' }, more),
  );
  apply();
}
