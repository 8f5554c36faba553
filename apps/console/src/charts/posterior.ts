import { densityCurve, plotRange } from '../beta';
import { formatPercent } from '../format';
import { withAlpha } from '../palette';
import type { ReportRow } from '../types';
import type { VariantInfo } from '../variants';
import { chartBox, drawChart, percentTick } from './setup';

/**
 * The posterior of the objective's rate per variant: the Beta(α, β) the report computes from the
 * variant's successes and trials. Variants with no trials (a flat prior) are left out.
 */
export function posteriorChart(rows: readonly ReportRow[], info: ReadonlyMap<string, VariantInfo>) {
  const arms = rows.filter((row) => row.variantId && row.posterior.trials > 0);
  const range = plotRange(arms.map((row) => row.posterior));
  const summary =
    arms.length === 0
      ? 'No variant has data yet.'
      : `Posterior densities of ${arms[0].posterior.objective.toUpperCase()}: ` +
        arms
          .map((row) => {
            const p = row.posterior;
            return `${info.get(row.variantId!)?.tag ?? 'variant'} mean ${formatPercent(p.mean)}, 95% interval ${formatPercent(p.interval[0])} to ${formatPercent(p.interval[1])}`;
          })
          .join('; ');
  const { box, canvas } = chartBox(summary);
  drawChart(canvas, {
    type: 'line',
    data: {
      datasets: arms.map((row) => {
        const variant = info.get(row.variantId!);
        const color = variant?.color ?? '#555';
        return {
          label: variant?.label ?? row.variantId!,
          data: densityCurve(row.posterior, range),
          borderColor: color,
          backgroundColor: withAlpha(color, 0.12),
          borderWidth: 2,
          pointRadius: 0,
          fill: 'origin',
          tension: 0.2,
        };
      }),
    },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: {
          type: 'linear',
          min: range[0],
          max: range[1],
          title: { display: true, text: `${arms[0]?.posterior.objective.toUpperCase() ?? 'Rate'}` },
          ticks: { callback: percentTick(1), maxTicksLimit: 8 },
        },
        y: { beginAtZero: true, title: { display: true, text: 'Density' }, ticks: { maxTicksLimit: 5 } },
      },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => formatPercent(items[0]?.parsed.x ?? null),
            label: (item) => `${item.dataset.label}: ${Number(item.parsed.y).toFixed(1)}`,
          },
        },
      },
    },
  });
  return { box, plotted: arms.length };
}
