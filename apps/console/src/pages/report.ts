import { saveFile } from '../api';
import { announce, h, replaceChildren, selectField } from '../dom';
import type { PageContext } from '../context';
import { formatCount, formatPercent } from '../format';
import { replaceQuery } from '../router';
import type { CampaignReport, Objective, ReportGrouping, ReportRow } from '../types';
import type { VariantInfo } from '../variants';
import { variantTag } from '../variants';
import { campaignShell } from './campaign-shell';
import { messageOf } from './common';

const GROUPINGS: { value: ReportGrouping; label: string }[] = [
  { value: 'variant,segment', label: 'Variant × segment' },
  { value: 'variant', label: 'Variant' },
  { value: 'segment', label: 'Segment' },
];

interface Column {
  header: string;
  numeric?: boolean;
  cell: (row: ReportRow) => Node | string;
  /** The totals row's cell; empty when absent. */
  total?: (report: CampaignReport) => string;
  when?: (by: ReportGrouping) => boolean;
}

type Counter = 'impressions' | 'starts' | 'completes' | 'clicks' | 'conversions';

/** The two counts behind each objective's rate (trials, successes), and the rate itself. */
const OBJECTIVE_COLUMNS: Record<
  Objective,
  { counts: [Counter, string][]; rate: (row: ReportRow | CampaignReport['totals']) => number | null }
> = {
  ctr: {
    counts: [
      ['impressions', 'Impressions'],
      ['clicks', 'Clicks'],
    ],
    rate: (row) => row.ctr,
  },
  vtr: {
    counts: [
      ['starts', 'Starts'],
      ['completes', 'Completes'],
    ],
    rate: (row) => row.completionRate,
  },
  cvr: {
    counts: [
      ['clicks', 'Clicks'],
      ['conversions', 'Conversions'],
    ],
    rate: (row) => row.cvr,
  },
};

function columns(
  objective: Objective,
  info: ReadonlyMap<string, VariantInfo>,
  segmentName: (key: string) => string,
): Column[] {
  const hasVariant = (by: ReportGrouping) => by !== 'segment';
  const name = objective.toUpperCase();
  const { counts, rate } = OBJECTIVE_COLUMNS[objective];
  return [
    {
      header: 'Variant',
      when: hasVariant,
      cell: (row) => {
        const variant = row.variantId ? info.get(row.variantId) : undefined;
        if (!variant) return row.variantId ?? '';
        return h(
          'span',
          { class: 'variant-cell' },
          variantTag(variant),
          h(
            'span',
            {},
            h('span', { class: 'variant-name' }, variant.template),
            h('span', { class: 'sub' }, `${row.state ?? variant.variant.state} · ${variant.variant.locale}`),
          ),
        );
      },
    },
    {
      header: 'Segment',
      when: (by) => by !== 'variant',
      cell: (row) => (row.segment ? segmentName(row.segment) : ''),
    },
    ...counts.map(([key, header]): Column => ({
      header,
      numeric: true,
      cell: (row) => formatCount(row[key]),
      total: (report) => formatCount(report.totals[key]),
    })),
    {
      header: name,
      numeric: true,
      cell: (row) => formatPercent(rate(row)),
      total: (report) => formatPercent(rate(report.totals)),
    },
    {
      header: `Posterior ${name} (95%)`,
      numeric: true,
      cell: (row) =>
        h(
          'span',
          { class: 'stacked' },
          formatPercent(row.posterior.mean),
          h(
            'span',
            { class: 'sub' },
            `${formatPercent(row.posterior.interval[0])}–${formatPercent(row.posterior.interval[1])}`,
          ),
        ),
    },
    {
      header: 'P(best)',
      numeric: true,
      when: hasVariant,
      cell: (row) =>
        h(
          'span',
          {},
          row.winner ? h('span', { class: 'badge winner' }, 'Winner') : null,
          ` ${formatPercent(row.probabilityBest, 1)}`,
        ),
    },
    {
      header: 'Beats control',
      numeric: true,
      when: hasVariant,
      cell: (row) =>
        row.control ? h('span', { class: 'badge' }, 'Control') : formatPercent(row.chanceToBeatControl, 1),
    },
    { header: 'Weight', numeric: true, when: hasVariant, cell: (row) => formatPercent(row.weight, 1) },
    { header: 'Optimiser', when: hasVariant, cell: decisionCell },
  ];
}

/** Paused or declared, with the rule's numbers beside the badge (the full rule on hover). */
function decisionCell(row: ReportRow): Node | string {
  const decision = row.optimizer;
  if (!decision || decision.status === 'live') return '';
  return h(
    'span',
    { class: 'stacked decision', title: decision.rule ?? '' },
    h(
      'span',
      { class: decision.status === 'winner' ? 'badge winner' : 'badge paused' },
      decision.status === 'winner' ? 'Declared winner' : 'Paused',
    ),
    h('span', { class: 'sub' }, decision.reason ?? ''),
  );
}

function rulesNote(report: CampaignReport): Node | null {
  const rules = report.optimizerRules;
  if (!rules) return null;
  return h(
    'div',
    { class: 'notice', id: 'optimizer-rules' },
    h('p', {}, `Pause rule: ${rules.pause}.`),
    h('p', {}, `Winner rule: ${rules.winner}.`),
    h(
      'p',
      {},
      rules.halfLifeHours === null
        ? 'Evidence is not discounted.'
        : `Evidence is discounted with a half-life of ${rules.halfLifeHours} h (fatigue).`,
    ),
  );
}

function table(report: CampaignReport, visible: Column[]): HTMLTableElement {
  return h(
    'table',
    { class: 'data-table report-table' },
    h('caption', { class: 'visually-hidden' }, `Report by ${report.by.replace(',', ' and ')}`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        visible.map((column) =>
          h('th', { scope: 'col', class: column.numeric ? 'num' : undefined }, column.header),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      report.rows.map((row) =>
        h(
          'tr',
          { class: row.winner ? 'winner-row' : undefined },
          visible.map((column, index) =>
            index === 0
              ? h('th', { scope: 'row' }, column.cell(row))
              : h('td', { class: column.numeric ? 'num' : undefined }, column.cell(row)),
          ),
        ),
      ),
    ),
    h(
      'tfoot',
      {},
      h(
        'tr',
        {},
        visible.map((column, index) =>
          index === 0
            ? h('th', { scope: 'row' }, 'Total')
            : h('td', { class: column.numeric ? 'num' : undefined }, column.total?.(report) ?? ''),
        ),
      ),
    ),
  );
}

export async function reportPage(context: PageContext): Promise<void> {
  const data = await campaignShell(context, 'report');
  const { api, signal } = context;
  const { campaign, info, body } = data;
  const segmentName = (key: string) => data.segmentsByKey.get(key)?.name ?? key;
  let by = (GROUPINGS.find((g) => g.value === context.query.get('by'))?.value ??
    'variant,segment') as ReportGrouping;
  const params = () => ({ path: { id: campaign.id }, query: { by } });

  const tableSlot = h('div', { class: 'panel table-scroll', id: 'report-table' });
  const notes = h('div', { class: 'report-notes' });
  const status = h('p', { class: 'form-error', role: 'alert' });

  let latest = 0;
  const draw = async () => {
    const request = ++latest;
    const report = await api.json<CampaignReport>(
      api.client.GET('/v1/campaigns/{id}/report', { params: params(), signal }),
    );
    if (request !== latest) return; // a later grouping is on its way
    const visible = columns(report.objective, info, segmentName).filter(
      (column) => !column.when || column.when(report.by),
    );
    replaceChildren(tableSlot, table(report, visible));
    replaceChildren(
      notes,
      report.srm.mismatch
        ? h(
            'p',
            { class: 'notice warning' },
            `Sample ratio mismatch (p = ${report.srm.pValue?.toPrecision(2)}): traffic did not split as allocated; treat comparisons with care.`,
          )
        : null,
      report.cautions.map((caution) => h('p', { class: 'notice' }, caution.caution)),
      rulesNote(report),
    );
  };

  const download = h(
    'button',
    { type: 'button', class: 'button primary', id: 'download-csv' },
    'Download CSV',
  );
  download.addEventListener('click', async () => {
    status.textContent = '';
    download.disabled = true;
    try {
      const csv = api.client.GET('/v1/campaigns/{id}/report', {
        params: params(),
        headers: { accept: 'text/csv' },
        parseAs: 'blob',
      });
      saveFile(await api.download(csv, `report-${campaign.id}.csv`));
      announce('Report downloaded as CSV.');
    } catch (error) {
      status.textContent = messageOf(error);
    } finally {
      download.disabled = false;
    }
  });

  replaceChildren(
    body,
    h(
      'div',
      { class: 'toolbar' },
      h('h2', {}, 'Performance report'),
      h(
        'div',
        { class: 'toolbar-controls' },
        selectField('Group by', GROUPINGS, by, async (value) => {
          by = value as ReportGrouping;
          replaceQuery({ by });
          await draw().catch((error: unknown) => (status.textContent = messageOf(error)));
        }),
        download,
      ),
    ),
    status,
    tableSlot,
    notes,
  );
  await draw();
}
