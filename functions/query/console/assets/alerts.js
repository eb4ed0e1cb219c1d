// The Security alerts page: alerts and incidents in one list, newest first
// (GET /alerts?kind=all), an "Add filter" control, cursor paging, and the
// quick-look side pane.
import { api, items, ApiError } from './api.js';
import { h, icon, replace, announce, clear } from './dom.js';
import {
  STAGES, SEVERITIES, INCIDENT_STATUSES, PROVIDERS, stageLabel, words, when,
  resourceName, isIncident, itemName, itemTime, normItem,
} from './format.js';
import { CONFIDENCE_FILTER, listRequest, matchesName, bulkBar } from './bulk.js';

const PAGE_SIZES = [10, 25, 50, 100];

// Filters survive navigating to details and back.
const state = {
  filters: {}, // key → value; time range as {since, until, label}
  cursors: [''], // cursor of each page visited; last is the current page
  pageSize: 25,
  selectedId: '',
};

const FIELDS = [
  { key: 'name', label: 'Name', kind: 'text', placeholder: 'e.g. Security incident detected on multiple resources' },
  { key: 'severity', label: 'Severity', kind: 'select', options: SEVERITIES },
  { key: 'status', label: 'Status', kind: 'select', options: INCIDENT_STATUSES },
  { key: 'provider', label: 'Provider', kind: 'select', options: PROVIDERS },
  { key: 'resource', label: 'Affected resource', kind: 'text', placeholder: 'resource id, e.g. i-0abc…' },
  { key: 'tactic', label: 'Tactic', kind: 'select', options: STAGES, optionLabel: stageLabel },
  { key: 'tag', label: 'Tag (incidents)', kind: 'text', placeholder: 'e.g. team:data' },
  { key: 'time', label: 'Time range', kind: 'time' },
  CONFIDENCE_FILTER,
];

const RANGES = [
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3600e3 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600e3 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600e3 },
  { value: '90d', label: 'Last 90 days', ms: 90 * 24 * 3600e3 },
  { value: 'custom', label: 'Custom range' },
];

function query() {
  const q = { kind: 'all', limit: state.pageSize };
  for (const [k, v] of Object.entries(state.filters)) {
    if (k === 'time') {
      if (v.since) q.since = v.since;
      if (v.until) q.until = v.until;
    } else q[k] = v;
  }
  const cursor = state.cursors[state.cursors.length - 1];
  if (cursor) q.cursor = cursor;
  return q;
}

function filterLabel(key, v) {
  const f = FIELDS.find((x) => x.key === key);
  if (key === 'time') return `${f.label}: ${v.label}`;
  return `${f.label}: ${f.optionLabel ? f.optionLabel(v) : words(v)}`;
}

// Each list load has a number, module-wide (state is module-wide too): a
// load that a newer one — a changed filter, a page turn, the page drawn
// again — has overtaken leaves the state and the page alone.
let loads = 0;

export async function renderAlertsPage(main) {
  document.title = 'Security alerts · Muster';
  const chips = h('ul', { class: 'chips', 'aria-label': 'Active filters' });
  const editor = h('div', { class: 'filter-editor card', id: 'filter-editor', hidden: true });
  const banner = h('div', { class: 'list-banner' });
  const tbody = h('tbody');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const count = h('p', { class: 'count', 'aria-live': 'polite' });
  const pane = h('aside', { class: 'side-pane', id: 'quick-look', hidden: true, 'aria-labelledby': 'ql-title' });
  const addBtn = h('button', { type: 'button', class: 'btn', id: 'add-filter', 'aria-expanded': 'false', 'aria-controls': 'filter-editor' },
    icon('filter'), 'Add filter');
  const refreshBtn = h('button', { type: 'button', class: 'btn', id: 'refresh' }, icon('refresh'), 'Refresh');
  const bulk = bulkBar(() => load());

  const page = h('div', { class: 'with-pane' },
    h('section', { class: 'content', 'aria-labelledby': 'page-title' },
      h('h1', { id: 'page-title' }, 'Security alerts'),
      h('p', { class: 'lead' }, 'Alerts and the incidents Muster correlated from them, newest activity first.'),
      h('div', { class: 'toolbar' }, refreshBtn, addBtn, chips),
      editor,
      bulk.el,
      banner,
      count,
      h('div', { class: 'table-wrap' },
        h('table', { class: 'grid', id: 'alerts-table' },
          h('caption', { class: 'visually-hidden' }, 'Security alerts and incidents'),
          h('thead', {}, h('tr', {}, bulk.header(),
            h('th', { scope: 'col' }, 'Severity'),
            h('th', { scope: 'col' }, 'Alert name'),
            h('th', { scope: 'col', class: 'hide-narrow' }, 'Affected resource'),
            h('th', { scope: 'col' }, 'Activity time'),
            h('th', { scope: 'col', class: 'hide-narrow' }, 'Status'),
            h('th', { scope: 'col', class: 'hide-narrow col-extra' }, 'Tactics'),
            h('th', { scope: 'col', class: 'hide-narrow col-extra' }, 'Provider'))),
          tbody)),
      pager),
    pane);
  replace(main, page);

  let rows = [];

  function renderChips() {
    clear(chips);
    for (const [k, v] of Object.entries(state.filters)) {
      const label = filterLabel(k, v);
      chips.append(h('li', { class: 'chip' }, h('span', {}, label),
        h('button', {
          type: 'button', class: 'chip-remove', 'aria-label': `Remove filter ${label}`,
          onclick: () => { delete state.filters[k]; state.cursors = ['']; renderChips(); load(); addBtn.focus(); },
        }, icon('close'))));
    }
    if (Object.keys(state.filters).length > 1) {
      chips.append(h('li', {}, h('button', {
        type: 'button', class: 'btn btn-link', onclick: () => { state.filters = {}; state.cursors = ['']; renderChips(); load(); addBtn.focus(); },
      }, 'Clear all')));
    }
  }

  function closeEditor() {
    editor.hidden = true;
    addBtn.setAttribute('aria-expanded', 'false');
    clear(editor);
  }

  function openEditor() {
    clear(editor);
    const fieldSel = h('select', { id: 'filter-field' },
      FIELDS.map((f) => h('option', { value: f.key }, f.label)));
    const valueBox = h('div', { class: 'filter-value' });
    const draw = () => {
      const f = FIELDS.find((x) => x.key === fieldSel.value);
      const cur = state.filters[f.key];
      clear(valueBox);
      if (f.kind === 'text') {
        // Names match exactly: offer the names on this page.
        const names = f.key === 'name' ? [...new Set(rows.map(itemName))].sort() : [];
        valueBox.append(h('label', { for: 'filter-value' }, f.label),
          h('input', { id: 'filter-value', type: 'text', value: cur || '', placeholder: f.placeholder || '', autocomplete: 'off', list: names.length ? 'filter-suggestions' : null }),
          names.length ? h('datalist', { id: 'filter-suggestions' }, names.map((n) => h('option', { value: n }))) : null,
          f.key === 'name' ? h('p', { class: 'help' }, 'The exact alert or incident name.') : null);
      } else if (f.kind === 'select') {
        valueBox.append(h('label', { for: 'filter-value' }, f.label),
          h('select', { id: 'filter-value' }, f.options.map((o) => h('option', { value: o, selected: o === cur }, f.optionLabel ? f.optionLabel(o) : words(o)))));
      } else {
        const range = h('select', { id: 'filter-value' }, RANGES.map((r) => h('option', { value: r.value }, r.label)));
        const custom = h('div', { class: 'custom-range', hidden: true },
          h('label', { for: 'filter-since' }, 'From'), h('input', { id: 'filter-since', type: 'datetime-local' }),
          h('label', { for: 'filter-until' }, 'To'), h('input', { id: 'filter-until', type: 'datetime-local' }));
        range.addEventListener('change', () => { custom.hidden = range.value !== 'custom'; });
        valueBox.append(h('label', { for: 'filter-value' }, f.label), range, custom);
      }
    };
    fieldSel.addEventListener('change', draw);
    draw();
    const form = h('form', {
      class: 'filter-form', 'aria-label': 'Add filter',
      onsubmit: (e) => {
        e.preventDefault();
        const key = fieldSel.value;
        const el = editor.querySelector('#filter-value');
        if (key === 'time') {
          const r = RANGES.find((x) => x.value === el.value);
          if (r.value === 'custom') {
            const s = editor.querySelector('#filter-since').value;
            const u = editor.querySelector('#filter-until').value;
            if (!s && !u) { editor.querySelector('#filter-since').focus(); return; }
            const since = s ? new Date(s).toISOString() : '';
            const until = u ? new Date(u).toISOString() : '';
            state.filters.time = { since, until, label: `${s ? when(since) : '…'} – ${u ? when(until) : 'now'}` };
          } else {
            state.filters.time = { since: new Date(Date.now() - r.ms).toISOString(), label: r.label };
          }
        } else {
          const v = el.value.trim();
          if (!v) { el.focus(); return; }
          state.filters[key] = v;
        }
        state.cursors = [''];
        closeEditor();
        renderChips();
        load();
        addBtn.focus();
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'filter-field' }, 'Filter by'), fieldSel),
    valueBox,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'apply-filter' }, 'Apply'),
      h('button', { type: 'button', class: 'btn', onclick: () => { closeEditor(); addBtn.focus(); } }, 'Cancel')));
    form.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); closeEditor(); addBtn.focus(); } });
    editor.append(form);
    editor.hidden = false;
    addBtn.setAttribute('aria-expanded', 'true');
    fieldSel.focus();
  }

  addBtn.addEventListener('click', () => (editor.hidden ? openEditor() : closeEditor()));
  refreshBtn.addEventListener('click', () => load());

  function renderPager(cursor) {
    clear(pager);
    const n = state.cursors.length;
    pager.append(
      h('button', {
        type: 'button', class: 'btn', id: 'prev-page', disabled: n <= 1,
        onclick: () => { state.cursors.pop(); load(); },
      }, icon('chevron-left'), 'Previous'),
      h('span', { class: 'page-no' }, `Page ${n}`),
      h('button', {
        type: 'button', class: 'btn', id: 'next-page', disabled: !cursor,
        onclick: () => { state.cursors.push(cursor); load(); },
      }, 'Next', icon('chevron-right')),
      h('label', { for: 'page-size', class: 'inline-label' }, 'Rows per page'),
      h('select', {
        id: 'page-size', class: 'inline-select',
        onchange: (e) => { state.pageSize = Number(e.target.value); state.cursors = ['']; load(); },
      }, PAGE_SIZES.map((n2) => h('option', { value: n2, selected: n2 === state.pageSize }, String(n2)))));
  }

  function rowFor(item) {
    const inc = isIncident(item);
    const name = itemName(item);
    const res = (item.resources || [])[0];
    const more = (item.resources || []).length > 1 ? ` +${item.resources.length - 1}` : '';
    const btn = h('button', {
      type: 'button', class: 'row-link', 'aria-haspopup': 'dialog', 'aria-controls': 'quick-look',
      dataset: { id: item.id },
      onclick: (e) => { e.stopPropagation(); select(item, btn); },
      onkeydown: (e) => {
        if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
        e.preventDefault();
        const all = [...tbody.querySelectorAll('.row-link')];
        const i = all.indexOf(btn) + (e.key === 'ArrowDown' ? 1 : -1);
        if (all[i]) all[i].focus();
      },
    }, icon(inc ? 'incident' : 'alert', inc ? 'Incident' : 'Alert'), h('span', {}, name));
    const tr = h('tr', { class: inc ? 'row incident' : 'row', dataset: { id: item.id, kind: inc ? 'incident' : 'alert', tactics: (item.tactics || []).join(' ') } },
      bulk.cell(item),
      h('td', {}, sevBadge(item.severity)),
      h('th', { scope: 'row' }, btn),
      h('td', { class: 'hide-narrow' }, res ? h('span', { class: 'res', title: res.id }, `${resourceName(res)}${more}`) : '—'),
      h('td', {}, h('time', { datetime: itemTime(item) || '' }, when(itemTime(item)))),
      h('td', { class: 'hide-narrow' }, words(item.status)),
      h('td', { class: 'hide-narrow col-extra' }, tacticsShort(item.tactics)),
      h('td', { class: 'hide-narrow col-extra' }, inc ? (item.sources || []).map(words).join(', ') || 'Muster' : words(item.provider)));
    tr.addEventListener('click', () => select(item, btn));
    if (item.id === state.selectedId) tr.classList.add('selected');
    return tr;
  }

  async function load() {
    const mine = ++loads;
    clear(banner);
    live.etag = ''; // no polls while the page loads
    tbody.setAttribute('aria-busy', 'true');
    count.textContent = 'Loading…';
    try {
      const [path, q] = listRequest(query());
      let { data, headers } = await api('GET', path, { query: q });
      live.etag = state.cursors.length === 1 ? (headers.get('ETag') || '') : '';
      // A selective filter can come back with an empty page and a cursor
      // (the server stops after a bounded amount of reading): follow it a
      // few times before showing an empty page.
      for (let hops = 0; hops < 5 && !items(data).length && data && data.cursor; hops++) {
        if (mine !== loads) return;
        const next = data.cursor;
        ({ data } = await api('GET', path, { query: { ...q, cursor: next } }));
        if (mine !== loads) return;
        state.cursors[state.cursors.length - 1] = next; // this page now starts there
      }
      if (mine !== loads) return;
      rows = items(data).map(normItem).filter((x) => matchesName(state.filters, x));
      bulk.reset();
      clear(live.box);
      const emptyText = data && data.cursor
        ? 'No matches among the most recent alerts searched so far; use Next to search older ones.'
        : Object.keys(state.filters).length ? 'Nothing matches these filters.' : 'No alerts yet.';
      replace(tbody, rows.length ? rows.map(rowFor)
        : h('tr', {}, h('td', { colspan: 8, class: 'empty' }, emptyText)));
      const incidents = rows.filter(isIncident).length;
      count.textContent = `${rows.length} on this page: ${incidents} incident${incidents === 1 ? '' : 's'}, ${rows.length - incidents} alert${rows.length - incidents === 1 ? '' : 's'}.`;
      renderPager(data && data.cursor);
    } catch (err) {
      if (mine !== loads) return;
      showError(banner, err, 'The list could not be loaded');
      replace(tbody);
      count.textContent = '';
      renderPager('');
    } finally {
      if (mine === loads) tbody.removeAttribute('aria-busy');
    }
  }

  let opener = null;
  function closePane() {
    pane.hidden = true;
    clear(pane);
    state.selectedId = '';
    for (const tr of tbody.querySelectorAll('tr.selected')) tr.classList.remove('selected');
    page.classList.remove('pane-open');
    if (opener && document.contains(opener)) opener.focus();
  }

  function select(item, btn) {
    opener = btn;
    state.selectedId = item.id;
    for (const tr of tbody.querySelectorAll('tr')) tr.classList.toggle('selected', tr.dataset.id === item.id);
    renderQuickLook(pane, item, closePane);
    pane.hidden = false;
    page.classList.add('pane-open');
    pane.querySelector('#ql-title').focus();
    announce(`Quick look: ${itemName(item)}`);
  }

  pane.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); closePane(); } });

  // Live list: while the first page is shown, poll it with If-None-Match
  // (a 304 costs one small request) and say how many new rows there are.
  const live = { etag: '', box: h('div', { class: 'live', 'aria-live': 'polite' }) };
  banner.before(live.box);
  const every = Number(sessionStorage.getItem('muster.pollMs')) || 30000;
  const timer = setInterval(async () => {
    if (!document.contains(tbody)) { clearInterval(timer); return; }
    if (document.hidden || !live.etag || state.cursors.length !== 1) return;
    const sent = live.etag;
    try {
      const [path, q] = listRequest(query());
      const { status, data } = await api('GET', path, { query: q, headers: { 'If-None-Match': sent } });
      // Stale when the page reloaded meanwhile (its ETag changed).
      if (status === 304 || sent !== live.etag || !document.contains(tbody)) return;
      const shown = new Set(rows.map((r) => r.id));
      const fresh = items(data).map(normItem).filter((x) => !shown.has(x.id)).length;
      replace(live.box, h('p', { class: 'banner info live-banner' },
        fresh ? `${fresh} new since this page was loaded. ` : 'This page changed since it was loaded. ',
        h('button', { type: 'button', class: 'btn btn-link', id: 'show-new', onclick: () => load() }, fresh ? 'Show them' : 'Reload')));
    } catch { /* a failed poll says nothing; the next one tries again */ }
  }, every);

  renderChips();
  await load();
}

// At most three stages in a list cell; the quick look shows them all.
function tacticsShort(tactics) {
  const t = (tactics || []).filter((x) => x !== 'Unknown').map(stageLabel);
  if (!t.length) return '—';
  return t.length > 3 ? `${t.slice(0, 3).join(', ')} +${t.length - 3}` : t.join(', ');
}

export function sevBadge(sev) {
  const s = sev || 'Informational';
  return h('span', { class: `sev sev-${String(s).toLowerCase()}` }, h('span', { class: 'dot', 'aria-hidden': 'true' }), s);
}

export function showError(box, err, context) {
  const title = err instanceof ApiError ? err.title : 'Something went wrong';
  const detail = err instanceof ApiError ? err.detail : (err && err.message) || String(err);
  replace(box, h('div', { class: 'banner error', role: 'alert' },
    h('strong', {}, `${context}. ${title}`), detail ? h('span', {}, ` — ${detail}`) : null));
}

function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function renderQuickLook(pane, item, close) {
  const inc = isIncident(item);
  const href = inc ? `#/incidents/${encodeURIComponent(item.id)}` : `#/alerts/${encodeURIComponent(item.id)}`;
  const resources = item.resources || [];
  replace(pane,
    h('div', { class: 'pane-head' },
      icon(inc ? 'incident' : 'alert', inc ? 'Incident' : 'Alert'),
      h('h2', { id: 'ql-title', tabindex: '-1' }, itemName(item)),
      h('button', { type: 'button', class: 'btn-icon', 'aria-label': 'Close quick look', onclick: close }, icon('close'))),
    h('div', { class: 'pane-body' },
      h('div', { class: 'badges' }, sevBadge(item.severity), h('span', { class: 'status' }, words(item.status))),
      item.description ? h('p', { class: 'desc' }, item.description) : null,
      dl([
        ['Kind', inc ? 'Incident' : 'Alert'],
        ['Activity time', inc ? `${when(item.firstActivity)} – ${when(item.lastActivity)}` : `${when(item.firstSeen)} – ${when(item.lastSeen)}`],
        inc ? ['Alerts', String(item.alertCount ?? '—')] : ['Provider', words(item.provider)],
        inc ? null : ['Detection type', item.type],
        ['Tactics', (item.tactics || []).filter((t) => t !== 'Unknown').map(stageLabel).join(', ') || '—'],
        inc && item.owner ? ['Owner', item.owner] : null,
        !inc && item.incidentId ? ['Part of incident', h('a', { href: `#/incidents/${encodeURIComponent(item.incidentId)}` }, item.incidentId)] : null,
      ].filter(Boolean)),
      h('h3', {}, 'Affected resources'),
      resources.length ? h('ul', { class: 'plain' }, resources.map((r) => h('li', {}, icon('resource'), ' ', resourceName(r), r.type ? h('span', { class: 'muted' }, ` (${r.type})`) : null)))
        : h('p', { class: 'muted' }, 'None recorded.')),
    h('div', { class: 'pane-foot' },
      h('a', { class: 'btn btn-primary', id: 'view-full-details', href }, 'View full details')));
}
