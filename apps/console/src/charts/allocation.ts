import { formatPercent } from '../format';
import { colorOf, withAlpha } from '../palette';
import type { AllocationEntry } from '../types';
import type { VariantInfo } from '../variants';
import { Chart, chartBox, drawChart, timeAxis } from './setup';

function datasets(entries: readonly AllocationEntry[], info: ReadonlyMap<string, VariantInfo>) {
  const ids = [...new Set(entries.flatMap((entry) => Object.keys(entry.weights)))].sort(
    (a, b) => (info.get(a)?.number ?? Infinity) - (info.get(b)?.number ?? Infinity),
  );
  return ids.map((id, index) => {
    const variant = info.get(id);
    const color = variant?.color ?? colorOf(index);
    return {
      label: variant?.label ?? id,
      data: entries.map((entry) => ({ x: Date.parse(entry.at), y: entry.weights[id] ?? 0 })),
      borderColor: color,
      backgroundColor: withAlpha(color, 0.55),
      borderWidth: 1.5,
      pointRadius: 0,
      stepped: 'after' as const,
      fill: index === 0 ? ('origin' as const) : ('-1' as const),
    };
  });
}

function rangeOf(entries: readonly AllocationEntry[]) {
  const times = entries.map((entry) => Date.parse(entry.at));
  return timeAxis(Math.min(...times), Math.max(...times));
}

function summaryOf(
  segmentName: string,
  entries: readonly AllocationEntry[],
  info: ReadonlyMap<string, VariantInfo>,
) {
  const last = entries[entries.length - 1];
  if (!last) return `No allocation history for ${segmentName} yet.`;
  const shares = Object.entries(last.weights)
    .map(([id, weight]) => `${info.get(id)?.tag ?? 'variant'} ${formatPercent(weight, 0)}`)
    .join(', ');
  return `Traffic share per variant in ${segmentName} over ${entries.length} optimiser runs; latest: ${shares}.`;
}

/** Traffic weights per variant over time in one segment, stacked to 100%; `show` switches segment. */
export function allocationChart(
  segmentName: string,
  entries: readonly AllocationEntry[],
  info: ReadonlyMap<string, VariantInfo>,
) {
  const { box, canvas } = chartBox(summaryOf(segmentName, entries, info));
  const chart: Chart<'line'> = drawChart(canvas, {
    type: 'line',
    data: { datasets: datasets(entries, info) },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: rangeOf(entries),
        y: {
          stacked: true,
          min: 0,
          max: 1,
          title: { display: true, text: 'Share of traffic' },
          ticks: { callback: (value) => `${Math.round(Number(value) * 100)}%`, stepSize: 0.25 },
        },
      },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => new Date(items[0]?.parsed.x ?? 0).toLocaleString('en-GB'),
            label: (item) => `${item.dataset.label}: ${formatPercent(item.parsed.y, 1)}`,
          },
        },
      },
    },
  });
  const show = (name: string, next: readonly AllocationEntry[]) => {
    chart.data.datasets = datasets(next, info);
    chart.options.scales!.x = rangeOf(next);
    chart.update();
    canvas.setAttribute('aria-label', summaryOf(name, next, info));
  };
  return { box, show };
}
