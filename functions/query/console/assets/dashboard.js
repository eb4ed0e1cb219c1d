// The Dashboard (#/dashboard): charts of GET /metrics — incidents over time
// by severity, MTTA and MTTR trend, the noisiest detections and how often
// each kill-chain stage is reached. Time series are drawn with uPlot
// (vendored under vendor/uplot, loaded only here); the rankings are plain
// HTML bars, readable by screen readers and on a 390 px screen. Every chart
// has its numbers in a table under it.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { SEVERITIES, STAGES, stageLabel } from './format.js';
import { showError } from './alerts.js';
import { gapWords } from './entities.js';

const SEV_COLOURS = { Critical: '#a4262c', High: '#c23400', Medium: '#8a5a00', Low: '#0f5fb5', Informational: '#545454' };
const RANGES = [['30d', 'Last 30 days', 'day'], ['89d', 'Last 90 days', 'week'], ['365d', 'Last year', 'week']];

let uplotModule = null;
async function loadUPlot() {
  if (!uplotModule) {
    const css = new URL('./vendor/uplot/uPlot.min.css', import.meta.url).pathname;
    if (!document.querySelector(`link[href="${css}"]`)) document.head.append(h('link', { rel: 'stylesheet', href: css }));
    uplotModule = (await import('./vendor/uplot/uPlot.esm.js')).default;
  }
  return uplotModule;
}

export async function renderDashboard(main, range = '30d') {
  document.title = 'Dashboard · Muster';
  const [since, , bucket] = RANGES.find((r) => r[0] === range) || RANGES[0];
  const picker = h('select', { id: 'dash-range', onchange: () => renderDashboard(main, picker.value) },
    RANGES.map(([v, label]) => h('option', { value: v, selected: v === since }, label)));
  const body = h('div', { class: 'loading' }, 'Loading figures…');
  replace(main, h('div', { class: 'dashboard' },
    h('div', { class: 'title-row' }, h('h1', { id: 'dash-title' }, 'Dashboard')),
    h('div', { class: 'toolbar' }, h('label', { for: 'dash-range' }, 'Period'), picker),
    body));
  let data;
  let UPlot;
  try {
    [{ data }, UPlot] = await Promise.all([api('GET', 'metrics', { query: { since, bucket } }), loadUPlot()]);
  } catch (err) {
    body.className = '';
    showError(body, err, 'The figures could not be loaded');
    return;
  }
  body.className = 'dash-grid';
  const t = data.total;
  replace(body,
    h('section', { class: 'card dash-wide', 'aria-label': 'Totals' }, totals(t)),
    chartCard('dash-incidents', `Incidents created per ${bucket}, by severity`, (el) => incidentsChart(UPlot, el, data),
      table(['Start', ...SEVERITIES], data.buckets.map((b) => [b.start, ...SEVERITIES.map((s) => b.createdBySeverity[s] || 0)]))),
    chartCard('dash-times', `Time to acknowledge and to resolve (median, hours) per ${bucket}`, (el) => timesChart(UPlot, el, data),
      table(['Start', 'MTTA median', 'MTTA p90', 'MTTR median', 'MTTR p90'], data.buckets.map((b) => [b.start,
        dur(b.mtta.medianSeconds), dur(b.mtta.p90Seconds), dur(b.mttr.medianSeconds), dur(b.mttr.p90Seconds)]))),
    barCard('dash-noisy', 'Noisiest detections (alerts; share of incidents classified false or benign positive)',
      data.detections.slice(0, 10).map((d) => [d.detection, d.alerts, `${d.alerts} alert${d.alerts === 1 ? '' : 's'} · ${Math.round(d.noiseShare * 100)}% noise`])),
    barCard('dash-stages', 'Kill-chain stages reached by incidents',
      STAGES.map((s) => [stageLabel(s), t.stages[s] || 0, String(t.stages[s] || 0)])));
}

function totals(t) {
  const cell = (label, value, id) => h('div', { class: 'kpi' }, h('div', { class: 'kpi-value', id }, value), h('div', { class: 'muted small' }, label));
  return h('div', { class: 'kpis' },
    cell('Alerts received', String(t.alerts), 'kpi-alerts'),
    cell('Suppressed', String(t.suppressed), 'kpi-suppressed'),
    cell('Incidents created', String(t.created), 'kpi-created'),
    cell('Resolved', String(t.resolved), 'kpi-resolved'),
    cell('Alerts per incident', t.created ? t.alertsPerIncident.toFixed(1) : '—', 'kpi-api'),
    cell('MTTA median / p90', t.mtta.count ? `${dur(t.mtta.medianSeconds)} / ${dur(t.mtta.p90Seconds)}` : '—', 'kpi-mtta'),
    cell('MTTR median / p90', t.mttr.count ? `${dur(t.mttr.medianSeconds)} / ${dur(t.mttr.p90Seconds)}` : '—', 'kpi-mttr'));
}

function dur(s) { return s === undefined || s === null ? '—' : gapWords(s); }

function chartCard(id, title, draw, tbl) {
  const plot = h('div', { class: 'chart', id, role: 'img', 'aria-label': `${title}; the numbers are in the table below` });
  const card = h('section', { class: 'card', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title), plot,
    h('details', {}, h('summary', {}, 'Numbers'), tbl));
  // Draw once the card is in the page, so the chart takes its width.
  requestAnimationFrame(() => draw(plot));
  return card;
}

function barCard(id, title, rows) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  return h('section', { class: 'card', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title),
    rows.length ? h('ul', { class: 'plain bars', id }, rows.map(([label, n, text]) => h('li', { class: 'bar-row' },
      h('div', { class: 'bar-label' }, label),
      h('div', { class: 'bar-track' }, h('meter', { min: 0, max, value: n, 'aria-label': `${label}: ${text}` })),
      h('div', { class: 'bar-value small' }, text)))) : h('p', { class: 'muted' }, 'Nothing yet.'));
}

function table(head, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid small' },
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, String(c))))))));
}

function xs(data) { return data.buckets.map((b) => Date.parse(`${b.start}T00:00:00Z`) / 1000); }

function plot(UPlot, el, series, values, yLabel) {
  const width = () => Math.max(260, el.clientWidth);
  const u = new UPlot({
    width: width(), height: 220,
    series: [{}, ...series],
    axes: [{}, { label: yLabel, size: 50 }],
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
  }, values, el);
  new ResizeObserver(() => u.setSize({ width: width(), height: 220 })).observe(el);
  return u;
}

function incidentsChart(UPlot, el, data) {
  const series = SEVERITIES.map((s) => ({ label: s, stroke: SEV_COLOURS[s], width: 2, points: { show: data.buckets.length < 40 } }));
  const values = [xs(data), ...SEVERITIES.map((s) => data.buckets.map((b) => b.createdBySeverity[s] || 0))];
  plot(UPlot, el, series, values, 'incidents');
}

function timesChart(UPlot, el, data) {
  const hours = (d) => (d.count ? Math.round((d.medianSeconds / 3600) * 100) / 100 : null);
  const series = [
    { label: 'MTTA median', stroke: '#0f5fb5', width: 2, spanGaps: true },
    { label: 'MTTR median', stroke: '#a4262c', width: 2, spanGaps: true },
  ];
  plot(UPlot, el, series, [xs(data), data.buckets.map((b) => hours(b.mtta)), data.buckets.map((b) => hours(b.mttr))], 'hours');
}
