import { allocationChart } from '../charts/allocation';
import { funnelChart } from '../charts/funnel';
import { posteriorChart } from '../charts/posterior';
import { metricName, rateChart } from '../charts/rate';
import { h, replaceChildren, selectField } from '../dom';
import type { PageContext } from '../context';
import { formatCount, formatPercent } from '../format';
import { AllocationHistory, CampaignReport, RATE_METRICS, RateMetric, Timeseries } from '../types';
import type { VariantInfo } from '../variants';
import { variantTag } from '../variants';
import { campaignShell } from './campaign-shell';
import { messageOf } from './common';

function card(title: string, description: string, ...content: (Node | null)[]): HTMLElement {
  return h(
    'section',
    { class: 'card chart-card' },
    h('h2', {}, title),
    h('p', { class: 'hint' }, description),
    ...content,
  );
}

function stat(label: string, value: string, detail?: Node | string): HTMLElement {
  return h(
    'div',
    { class: 'stat' },
    h('dt', {}, label),
    h(
      'dd',
      {},
      h('span', { class: 'stat-value' }, value),
      detail ? h('span', { class: 'stat-detail' }, detail) : null,
    ),
  );
}

function leaderStat(report: CampaignReport, info: ReadonlyMap<string, VariantInfo>): HTMLElement {
  const ranked = report.rows
    .filter((row) => row.variantId && row.probabilityBest !== null)
    .sort((a, b) => b.probabilityBest! - a.probabilityBest!);
  const leader = ranked[0];
  if (!leader) return stat('Leading variant', '–', 'no data yet');
  const variant = info.get(leader.variantId!);
  return stat(
    report.winners.length ? 'Winner' : 'Leading variant',
    `${formatPercent(leader.probabilityBest, 0)}`,
    h('span', {}, variant ? variantTag(variant) : null, ` P(best), ${variant?.template ?? ''}`),
  );
}

export async function chartsPage(context: PageContext): Promise<void> {
  const data = await campaignShell(context, 'charts');
  const { api, signal } = context;
  const { campaign, info, body } = data;
  const path = { id: campaign.id };
  const initialMetric = (RATE_METRICS as readonly string[]).includes(context.query.get('metric') ?? '')
    ? (context.query.get('metric') as RateMetric)
    : 'ctr';
  const firstSegment = campaign.segmentIds.map((id) => data.segments.get(id)?.key).find((key) => key);
  const rateQuery = { metric: initialMetric, segment: firstSegment ?? '' };
  const timeseries = () =>
    api.json<Timeseries>(
      api.client.GET('/v1/campaigns/{id}/timeseries', {
        params: {
          path,
          query: { metric: rateQuery.metric, bucket: 'hour', segment: rateQuery.segment || undefined },
        },
        signal,
      }),
    );
  replaceChildren(body, h('p', { class: 'loading', role: 'status' }, 'Loading charts…'));
  const [report, allocations, series] = await Promise.all([
    api.json<CampaignReport>(
      api.client.GET('/v1/campaigns/{id}/report', { params: { path, query: { by: 'variant' } }, signal }),
    ),
    api.json<AllocationHistory>(
      api.client.GET('/v1/campaigns/{id}/allocations', { params: { path }, signal }),
    ),
    timeseries(),
  ]);

  const totals = report.totals;
  const stats = h(
    'dl',
    { class: 'stats' },
    stat('Impressions', formatCount(totals.impressions)),
    stat('Clicks', formatCount(totals.clicks), `CTR ${formatPercent(totals.ctr)}`),
    stat('Completes', formatCount(totals.completes), `${formatPercent(totals.completionRate, 0)} of starts`),
    leaderStat(report, info),
  );

  const posterior = posteriorChart(report.rows, info);
  const funnel = funnelChart(report.rows, info);

  const nameOf = (key: string) => data.segmentsByKey.get(key)?.name ?? key;
  const campaignKeys = campaign.segmentIds.flatMap((id) => data.segments.get(id)?.key ?? []);
  const allocationKeys = [
    ...campaignKeys.filter((key) => key in allocations.segments),
    ...Object.keys(allocations.segments)
      .filter((key) => !campaignKeys.includes(key))
      .sort(),
  ];
  let allocationCard: HTMLElement;
  if (allocationKeys.length) {
    const first = allocationKeys[0];
    const allocation = allocationChart(nameOf(first), allocations.segments[first], info);
    allocationCard = card(
      'Allocation over time',
      'Share of the segment’s traffic the optimiser gives each variant after every run.',
      h(
        'div',
        { class: 'card-controls' },
        selectField(
          'Segment',
          allocationKeys.map((key) => ({ value: key, label: nameOf(key) })),
          first,
          (key) => allocation.show(nameOf(key), allocations.segments[key]),
          'allocation-segment',
          'for allocation',
        ),
      ),
      allocation.box,
    );
  } else {
    allocationCard = card('Allocation over time', 'The optimiser has not allocated traffic yet.', null);
  }

  const rate = rateChart(series, info);
  let rateRequest = 0;
  const rateError = h('p', { class: 'form-error', role: 'alert' });
  const redrawRate = async () => {
    const request = ++rateRequest;
    rateError.textContent = '';
    let next: Timeseries;
    try {
      next = await timeseries();
    } catch (error) {
      if (request === rateRequest && !signal.aborted) rateError.textContent = messageOf(error);
      return;
    }
    if (request !== rateRequest) return; // a later choice is on its way
    rate.show(next);
    rateCard.querySelector('h2')!.textContent = `${metricName(next.metric)} over time`;
  };
  const rateCard = card(
    `${metricName(series.metric)} over time`,
    'Per hour, with the 95% credible band of Beta(1 + successes, 1 + failures).',
    h(
      'div',
      { class: 'card-controls' },
      selectField(
        'Segment',
        [
          { value: '', label: 'All segments' },
          ...campaignKeys.map((key) => ({ value: key, label: nameOf(key) })),
        ],
        rateQuery.segment,
        (segment) => {
          rateQuery.segment = segment;
          void redrawRate();
        },
        'rate-segment',
        'for the rate over time',
      ),
      selectField(
        'Metric',
        RATE_METRICS.map((metric) => ({ value: metric, label: metricName(metric) })),
        rateQuery.metric,
        (metric) => {
          rateQuery.metric = metric as RateMetric;
          void redrawRate();
        },
        'rate-metric',
      ),
    ),
    rateError,
    rate.box,
  );

  const objective = report.objective.toUpperCase();
  replaceChildren(
    body,
    stats,
    h(
      'div',
      { class: 'chart-grid', 'data-ready': 'true' },
      card(
        `Posterior ${objective} per variant`,
        posterior.plotted
          ? `Beta posterior of each variant’s ${objective} from its ${report.objective === 'ctr' ? 'clicks and impressions' : 'events'}; narrower means more certain.`
          : 'No variant has data yet.',
        posterior.box,
      ),
      allocationCard,
      card(
        'Quartile funnel',
        'How far viewers get into each variant, as a share of its impressions.',
        funnel.box,
      ),
      rateCard,
    ),
  );
}
