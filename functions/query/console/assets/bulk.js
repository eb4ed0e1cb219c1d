// The alerts list's corrections: row checkboxes; a bar that changes the
// status or owner of the selected incidents at once (POST /incidents/bulk,
// with each failure named) and creates an incident from the selected alerts
// (POST /incidents); and the confidence filter, which lists incidents only
// (GET /incidents?minConfidence=, as GET /alerts has no confidence).
import { api } from './api.js';
import { h, icon, replace, announce } from './dom.js';
import { SEVERITIES, INCIDENT_STATUSES, words, isIncident, itemName } from './format.js';
import { openDialog, reasonField, refused } from './corrections.js';

export const CONFIDENCE_FILTER = {
  key: 'minConfidence', label: 'Confidence at least', kind: 'select',
  options: ['90', '70', '50', '30'], optionLabel: (v) => `${v} of 100`,
};

// listRequest turns the list's query into the request that answers it: with
// a confidence or tag filter (incidents only), GET /incidents, which takes
// neither kind nor name (the name is then matched here, see matchesName).
export function listRequest(q) {
  if (!q.minConfidence && !q.tag) return ['alerts', q];
  const { kind, name, ...rest } = q;
  return ['incidents', rest];
}

export function matchesName(q, item) {
  return !(q.minConfidence || q.tag) || !q.name || itemName(item) === q.name;
}

// bulkBar keeps the selection of the rows on the page; reload redraws the
// list (which resets the selection).
export function bulkBar(reload) {
  const selected = new Map();
  const el = h('div', { class: 'bulk-bar', id: 'bulk-bar', hidden: true, role: 'region', 'aria-label': 'Selected rows' });
  const msg = h('div', { class: 'bulk-msg', id: 'bulk-msg' });
  const wrap = h('div', {}, el, msg);

  const incidents = () => [...selected.values()].filter(isIncident);
  const alerts = () => [...selected.values()].filter((x) => !isIncident(x));

  function draw() {
    const ni = incidents().length;
    const na = alerts().length;
    el.hidden = !selected.size;
    if (!selected.size) { replace(el); return; }
    // What was already chosen survives a changed selection.
    const was = { status: el.querySelector('#bulk-status')?.value || '', owner: el.querySelector('#bulk-owner')?.value || '' };
    const status = h('select', { id: 'bulk-status', name: 'status' }, h('option', { value: '' }, 'Keep status'),
      INCIDENT_STATUSES.map((s) => h('option', { value: s, selected: s === was.status }, words(s))));
    const owner = h('input', { id: 'bulk-owner', name: 'owner', type: 'text', autocomplete: 'off', placeholder: 'Keep owner', value: was.owner });
    const form = h('form', {
      class: 'bulk-form', 'aria-label': 'Change the selected incidents',
      onsubmit: (e) => { e.preventDefault(); applyBulk(form, status.value, owner.value.trim()); },
    },
    h('div', { class: 'field' }, h('label', { for: 'bulk-status' }, 'Status'), status),
    h('div', { class: 'field' }, h('label', { for: 'bulk-owner' }, 'Owner'), owner),
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'bulk-apply', disabled: !ni }, `Apply to ${ni} incident${ni === 1 ? '' : 's'}`));
    replace(el,
      h('p', { class: 'bulk-count' }, `${selected.size} selected: ${ni} incident${ni === 1 ? '' : 's'}, ${na} alert${na === 1 ? '' : 's'}.`),
      form,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', id: 'create-incident', disabled: !na, onclick: () => openCreate(alerts()) }, icon('incident'), `Create incident from ${na} alert${na === 1 ? '' : 's'}…`),
        h('button', { type: 'button', class: 'btn btn-link', onclick: () => { clearBoxes(); draw(); } }, 'Clear selection')));
  }

  function clearBoxes() {
    selected.clear();
    for (const b of document.querySelectorAll('.row-select, #select-all')) b.checked = false;
  }

  async function applyBulk(form, status, owner) {
    const set = {};
    if (status) set.status = status;
    if (owner) set.owner = owner;
    if (!Object.keys(set).length) { replace(msg, h('p', { class: 'banner warn', role: 'alert' }, 'Choose a status or type an owner to apply.')); return; }
    const ids = incidents().map((i) => i.id);
    form.querySelector('button[type=submit]').disabled = true;
    try {
      const { data } = await api('POST', 'incidents/bulk', { body: { ids, set } });
      await reload();
      replace(msg, bulkResult(data, ids.length));
      announce(msg.textContent);
    } catch (err) {
      form.querySelector('button[type=submit]').disabled = false;
      refused(msg, err, 'Nothing was changed', form);
    }
  }

  return {
    el: wrap,
    reset() {
      selected.clear();
      const all = document.getElementById('select-all');
      if (all) all.checked = false;
      draw();
    },
    // header is the select column's heading; cell the row's checkbox.
    header: () => h('th', { scope: 'col', class: 'col-select' }, h('input', {
      type: 'checkbox', id: 'select-all', 'aria-label': 'Select every row on this page',
      onchange: (e) => {
        for (const box of document.querySelectorAll('.row-select')) {
          if (box.checked !== e.target.checked) { box.checked = e.target.checked; box.dispatchEvent(new Event('change')); }
        }
      },
    })),
    cell(item) {
      const box = h('input', {
        type: 'checkbox', class: 'row-select', 'aria-label': `Select ${itemName(item)}`, checked: selected.has(item.id),
        onchange: (e) => { if (e.target.checked) selected.set(item.id, item); else selected.delete(item.id); draw(); },
      });
      return h('td', { class: 'col-select', onclick: (e) => e.stopPropagation() }, box);
    },
  };
}

// openCreate asks for a title, a severity and a reason, creates the
// incident from the chosen alerts (POST /incidents) and opens it.
function openCreate(chosen) {
  openDialog({
    id: 'create-dialog', title: `Create an incident from ${chosen.length} alert${chosen.length === 1 ? '' : 's'}`,
    body: (close) => {
      const title = h('input', { id: 'create-title', name: 'title', type: 'text', autocomplete: 'off', placeholder: 'Derived from the alerts when empty' });
      const severity = h('select', { id: 'create-severity', name: 'severity' }, h('option', { value: '' }, 'Derived from the alerts'),
        SEVERITIES.map((s) => h('option', { value: s }, s)));
      const reason = reasonField('create-reason');
      const m = h('div', { class: 'form-msg' });
      const form = h('form', { id: 'create-form', method: 'dialog' },
        h('ul', { class: 'plain small' }, chosen.map((a) => h('li', {}, icon('alert'), ' ', itemName(a)))),
        h('div', { class: 'field' }, h('label', { for: 'create-title' }, 'Title (optional)'), title),
        h('div', { class: 'field' }, h('label', { for: 'create-severity' }, 'Severity'), severity),
        reason.el, m,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'confirm-create' }, 'Create incident'),
          h('button', { type: 'button', class: 'btn', onclick: close }, 'Cancel')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const body = { alerts: chosen.map((a) => a.id), reason: reason.input.value.trim() };
        if (title.value.trim()) body.title = title.value.trim();
        if (severity.value) body.severity = severity.value;
        const btn = form.querySelector('button[type=submit]');
        btn.disabled = true;
        try {
          const { data, headers } = await api('POST', 'incidents', { body });
          const id = (data && (data.incident || data).id) || (headers.get('Location') || '').split('/').pop();
          close();
          window.location.hash = `#/incidents/${encodeURIComponent(id)}`;
        } catch (err) {
          btn.disabled = false;
          refused(m, err, 'The incident was not created', form);
        }
      });
      return form;
    },
  });
}

// bulkResult says how many changed and names each failure with its reason.
function bulkResult(data, asked) {
  const d = data || {};
  const failed = (d.results || []).filter((r) => r.status === 'failed');
  const updated = d.updated ?? asked - failed.length;
  return h('div', { class: `banner ${failed.length ? 'warn' : 'ok'}`, role: 'status', id: 'bulk-result' },
    h('p', {}, `Updated ${updated} incident${updated === 1 ? '' : 's'}.${failed.length ? ` ${failed.length} not changed:` : ''}`),
    failed.length ? h('ul', {}, failed.map((r) => h('li', {}, h('span', { class: 'mono' }, r.id), ` — ${r.error ? `${r.error.status}: ${r.error.detail}` : 'failed'}`))) : null);
}
