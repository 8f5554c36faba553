import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  ChartConfiguration,
  ChartType,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Scale,
  Tooltip,
} from 'chart.js';
import { h } from '../dom';
import { timeTicks } from './ticks';

// Only what the console draws, so the bundle carries no other chart types.
Chart.register(
  LineController,
  BarController,
  LineElement,
  PointElement,
  BarElement,
  LinearScale,
  CategoryScale,
  Filler,
  Legend,
  Tooltip,
);
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || 'system-ui, sans-serif';
Chart.defaults.font.size = 12;
Chart.defaults.color = '#3f4a5a';
Chart.defaults.borderColor = '#e3e8ef';
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.plugins.legend.position = 'bottom';
Chart.defaults.plugins.legend.labels.boxWidth = 12;
Chart.defaults.plugins.legend.labels.boxHeight = 12;
Chart.defaults.plugins.tooltip.backgroundColor = '#1b2430';

export { Chart };

/** A canvas in a sized box; the canvas is an image to assistive technology, described by `summary`. */
export function chartBox(summary: string): { box: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = h('canvas', { role: 'img', 'aria-label': summary });
  return { box: h('div', { class: 'chart-box' }, canvas), canvas };
}

export function drawChart<T extends ChartType>(
  canvas: HTMLCanvasElement,
  config: ChartConfiguration<T>,
): Chart<T> {
  return new Chart(canvas, config);
}

export const percentTick =
  (digits = 1) =>
  (value: number | string) =>
    `${(Number(value) * 100).toFixed(digits)}%`;

/** A linear x axis over epoch milliseconds from `min` to `max`, ticked on whole hours (or days) of local time. */
export function timeAxis(min: number, max: number) {
  const offsetMs = -new Date(min).getTimezoneOffset() * 60_000;
  return {
    type: 'linear' as const,
    min,
    max,
    afterBuildTicks: (axis: Scale) => {
      const maxTicks = axis.chart.width < 480 ? 4 : 7;
      axis.ticks = timeTicks(min, max, maxTicks, offsetMs).map((value) => ({ value }));
    },
    ticks: { callback: timeTick, autoSkip: false, maxRotation: 0 },
  };
}

/** Tick labels for an epoch-millisecond axis: the time, with the date when it changes. */
export function timeTick(value: number | string, index: number, ticks: { value: number }[]): string {
  const date = new Date(Number(value));
  const time = date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  const previous = index > 0 ? new Date(ticks[index - 1].value) : undefined;
  if (previous && previous.toDateString() === date.toDateString()) return time;
  return `${date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${time}`;
}
