import { formatCount, formatPercent } from '../format';
import { withAlpha } from '../palette';
import type { ReportRow } from '../types';
import type { VariantInfo } from '../variants';
import { chartBox, drawChart } from './setup';

const STEPS = [
  { key: 'impressions', label: 'Impressions' },
  { key: 'starts', label: 'Starts' },
  { key: 'q25', label: '25%' },
  { key: 'q50', label: '50%' },
  { key: 'q75', label: '75%' },
  { key: 'completes', label: 'Completes' },
] as const;

/** How far viewers get into the video, per variant, as a share of its impressions (counts in the tooltip). */
export function funnelChart(rows: readonly ReportRow[], info: ReadonlyMap<string, VariantInfo>) {
  const arms = rows.filter((row) => row.variantId && row.impressions > 0);
  const summary = arms.length
    ? 'Quartile funnel as a share of impressions: ' +
      arms
        .map(
          (row) =>
            `${info.get(row.variantId!)?.tag ?? 'variant'} starts ${formatPercent(row.starts / row.impressions, 0)}, completes ${formatPercent(row.completes / row.impressions, 0)}`,
        )
        .join('; ')
    : 'No impressions yet.';
  const { box, canvas } = chartBox(summary);
  drawChart(canvas, {
    type: 'bar',
    data: {
      labels: STEPS.map((step) => step.label),
      datasets: arms.map((row) => {
        const variant = info.get(row.variantId!);
        const color = variant?.color ?? '#555';
        return {
          label: variant?.label ?? row.variantId!,
          data: STEPS.map((step) => row[step.key] / row.impressions),
          backgroundColor: withAlpha(color, 0.85),
          borderColor: color,
          borderWidth: 1,
          borderRadius: 3,
        };
      }),
    },
    options: {
      scales: {
        y: {
          min: 0,
          max: 1,
          title: { display: true, text: 'Share of impressions' },
          ticks: { callback: (value) => `${Math.round(Number(value) * 100)}%` },
        },
        x: { grid: { display: false } },
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: (item) => {
              const row = arms[item.datasetIndex];
              const step = STEPS[item.dataIndex];
              return `${item.dataset.label}: ${formatCount(row[step.key])} (${formatPercent(item.parsed.y, 1)})`;
            },
          },
        },
      },
    },
  });
  return { box };
}
