import { formatPercent } from '../format';
import { withAlpha } from '../palette';
import type { Timeseries } from '../types';
import type { VariantInfo } from '../variants';
import { Chart, chartBox, drawChart, percentTick, timeAxis } from './setup';
import { rateAxisMax } from './ticks';

const METRIC_NAMES: Record<string, string> = {
  ctr: 'CTR',
  vtr: 'VTR',
  cvr: 'CVR',
  completion_rate: 'Completion rate',
};

export const metricName = (metric: string) => METRIC_NAMES[metric] ?? metric;

/** Per variant: the rate in each bucket as a line, and its 95% credible band as a shaded area. */
function datasets(series: Timeseries, info: ReadonlyMap<string, VariantInfo>) {
  return series.series.flatMap((line) => {
    const variant = info.get(line.variantId);
    const color = variant?.color ?? '#555';
    const at = (iso: string) => Date.parse(iso);
    const band = { borderWidth: 0, pointRadius: 0, backgroundColor: withAlpha(color, 0.13), spanGaps: false };
    return [
      {
        ...band,
        label: `${variant?.tag ?? line.variantId} 95% low`,
        data: line.points.map((point) => ({ x: at(point.at), y: point.low })),
        fill: false,
        band: true,
      },
      {
        ...band,
        label: `${variant?.tag ?? line.variantId} 95% band`,
        data: line.points.map((point) => ({ x: at(point.at), y: point.high })),
        fill: '-1',
        band: true,
      },
      {
        label: variant?.label ?? line.variantId,
        data: line.points.map((point) => ({ x: at(point.at), y: point.value })),
        borderColor: color,
        backgroundColor: color,
        borderWidth: 2,
        pointRadius: 2,
        spanGaps: false,
        fill: false,
        band: false,
      },
    ];
  });
}

function xAxis(series: Timeseries) {
  const times = series.buckets.map((bucket) => Date.parse(bucket));
  return timeAxis(Math.min(...times), Math.max(...times));
}

/**
 * Room for the rates themselves; a band that reaches higher (a variant the optimiser starved of
 * traffic has a wide one) is cut at the top rather than flattening every line.
 */
function yMax(series: Timeseries): number {
  return rateAxisMax(
    series.series.flatMap((line) =>
      line.points.flatMap((point) => (point.value === null ? [] : [point.value])),
    ),
  );
}

function summaryOf(series: Timeseries, info: ReadonlyMap<string, VariantInfo>): string {
  if (series.series.length === 0) return `No ${metricName(series.metric)} data yet.`;
  const lines = series.series.map((line) => {
    const values = line.points.map((point) => point.value).filter((value): value is number => value !== null);
    const mean = values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null;
    return `${info.get(line.variantId)?.tag ?? 'variant'} averages ${formatPercent(mean)} per ${series.bucket}`;
  });
  return `${metricName(series.metric)} per ${series.bucket} over ${series.buckets.length} ${series.bucket}s, with 95% credible bands: ${lines.join('; ')}.`;
}

export function rateChart(series: Timeseries, info: ReadonlyMap<string, VariantInfo>) {
  const { box, canvas } = chartBox(summaryOf(series, info));
  const chart: Chart<'line'> = drawChart(canvas, {
    type: 'line',
    data: { datasets: datasets(series, info) },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: xAxis(series),
        y: {
          min: 0,
          max: yMax(series),
          title: { display: true, text: metricName(series.metric) },
          ticks: { callback: percentTick(1) },
        },
      },
      plugins: {
        legend: {
          labels: { filter: (item, data) => !(data.datasets[item.datasetIndex!] as { band?: boolean }).band },
        },
        tooltip: {
          filter: (item) => !(item.dataset as { band?: boolean }).band,
          callbacks: {
            title: (items) => new Date(items[0]?.parsed.x ?? 0).toLocaleString('en-GB'),
            label: (item) => {
              const line = series.series[Math.floor(item.datasetIndex / 3)];
              const point = line?.points[item.dataIndex];
              if (!point || point.value === null) return `${item.dataset.label}: no data`;
              return `${item.dataset.label}: ${formatPercent(point.value)} (${formatPercent(point.low)}–${formatPercent(point.high)}, ${point.successes}/${point.trials})`;
            },
          },
        },
      },
    },
  });
  const show = (next: Timeseries) => {
    series = next;
    chart.data.datasets = datasets(next, info);
    const scales = chart.options.scales!;
    scales.x = xAxis(next);
    scales.y = { ...scales.y, max: yMax(next), title: { display: true, text: metricName(next.metric) } };
    chart.update();
    canvas.setAttribute('aria-label', summaryOf(next, info));
  };
  return { box, show };
}
