// Hand-written SVG charts for the funnel: the period's stages as a funnel, and counts per day.
import { h, s } from './dom.js';

export const SERIES = [
  { key: 'visitors', label: 'Visitors', color: '#cbd5e1' },
  { key: 'known', label: 'Known', color: '#38bdf8' },
  { key: 'mql', label: 'MQL', color: '#f59e0b' },
  { key: 'sql', label: 'SQL', color: '#8b5cf6' },
  { key: 'sal', label: 'SAL', color: '#22c55e' },
];

/** Horizontal bars, one per stage, with the conversion from the stage above. */
export function funnelBars(totals) {
  const W = 640, row = 38, left = 90, right = 150;
  const max = Math.max(1, ...SERIES.map((x) => totals[x.key] ?? 0));
  const svg = s('svg', { viewBox: `0 0 ${W} ${SERIES.length * row + 8}`, role: 'img', 'aria-label': 'Funnel for the period' });
  SERIES.forEach((x, i) => {
    const n = totals[x.key] ?? 0;
    const prev = i > 0 ? totals[SERIES[i - 1].key] ?? 0 : null;
    const w = Math.max(n > 0 ? 3 : 0, ((W - left - right) * n) / max);
    const y = i * row + 4;
    svg.append(
      s('text', { x: left - 10, y: y + 20, 'text-anchor': 'end', 'font-size': 13, fill: '#374151' }, x.label),
      s('rect', { x: left, y, width: W - left - right, height: row - 10, rx: 4, fill: '#f3f4f6' }),
      s('rect', { x: left, y, width: w, height: row - 10, rx: 4, fill: x.color }, s('title', {}, `${x.label}: ${n}`)),
      s('text', { x: left + w + 8, y: y + 20, 'font-size': 13, 'font-weight': 700, fill: '#111827' }, String(n)),
      prev != null ? s('text', { x: W - 4, y: y + 20, 'text-anchor': 'end', 'font-size': 12, fill: '#6b7280' }, prev > 0 ? `${Math.round((n / prev) * 100)}% of ${SERIES[i - 1].label}` : '–') : null,
    );
  });
  return h('div', { class: 'chart' }, svg);
}

/** Grouped bars per day (every series), with a y axis and sparse day labels. */
export function dailyBars(days) {
  const W = 1180, H = 250, left = 34, bottom = 26, top = 10;
  const max = niceMax(Math.max(1, ...days.flatMap((d) => SERIES.map((x) => d[x.key] ?? 0))));
  const plotW = W - left - 8, plotH = H - top - bottom;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(1, Math.min(14, (slot - 4) / SERIES.length));
  const y = (v) => top + plotH - (plotH * v) / max;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Funnel counts per day' });
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    svg.append(
      s('line', { x1: left, x2: W - 8, y1: y(v), y2: y(v), stroke: i ? '#eef0f3' : '#d1d5db' }),
      s('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7280' }, String(Math.round(v))),
    );
  }
  const every = Math.ceil(days.length / 10);
  days.forEach((d, i) => {
    const x0 = left + i * slot + (slot - barW * SERIES.length) / 2;
    const g = s('g', {}, s('title', {}, `${d.day}\n${SERIES.map((x) => `${x.label}: ${d[x.key] ?? 0}`).join('\n')}`));
    SERIES.forEach((x, j) => {
      const v = d[x.key] ?? 0;
      if (v > 0) g.append(s('rect', { x: x0 + j * barW, y: y(v), width: Math.max(1, barW - 1), height: y(0) - y(v), fill: x.color, rx: 1 }));
    });
    g.append(s('rect', { x: left + i * slot, y: top, width: slot, height: plotH, fill: 'transparent' }));
    svg.append(g);
    if (i % every === 0) svg.append(s('text', { x: left + i * slot + slot / 2, y: H - 8, 'text-anchor': 'middle', 'font-size': 11, fill: '#6b7280' }, d.day.slice(5)));
  });
  return h('div', { class: 'chart' }, svg);
}

export const legend = () => h('div', { class: 'legend' }, SERIES.map((x) => h('span', {}, h('i', { style: `background:${x.color}` }), x.label)));

/** A y-axis top whose four gridlines are whole numbers: 3 -> 4, 5 -> 8, 45 -> 60. */
function niceMax(v) {
  const raw = v / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((k) => k * p).find((k) => k >= raw && Number.isInteger(k)) ?? 10 * p;
  return Math.max(1, step) * 4;
}
