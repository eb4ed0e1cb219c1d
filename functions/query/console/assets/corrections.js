// Analysts' corrections (docs/api.md, "Corrections"): the dialog, reason and
// incident-picker pieces every correction shares, the incident page's
// confidence, Merge, and the per-alert Move and Take out, and the one place
// that turns a refused correction into words: 412 reloads the incident and
// says it changed, 409 shows the API's detail, 400 marks the field it names.
import { api, items, ApiError } from './api.js';
import { h, icon, replace, announce } from './dom.js';
import { words } from './format.js';
import { sevBadge, showError } from './alerts.js';

// openDialog shows a modal <dialog> built by body(close) and removes it when
// it closes; focus returns to what had it.
export function openDialog({ id, title, body }) {
  const opener = document.activeElement;
  const dlg = h('dialog', { id, class: 'dialog', 'aria-labelledby': `${id}-title` });
  const close = () => { if (dlg.open) dlg.close(); };
  dlg.addEventListener('close', () => {
    dlg.remove();
    if (opener && document.contains(opener)) opener.focus();
  });
  dlg.append(
    h('div', { class: 'dialog-head' },
      h('h2', { id: `${id}-title` }, title),
      h('button', { type: 'button', class: 'btn-icon', 'aria-label': 'Close', onclick: close }, icon('close'))),
    ...[body(close)].flat());
  document.body.append(dlg);
  dlg.showModal();
  return { dlg, close };
}

// reasonField is the required "why" every correction records in the timeline.
export function reasonField(id, label = 'Reason') {
  const ta = h('textarea', { id, name: 'reason', rows: 2, maxlength: 1000, required: true, 'aria-describedby': `${id}-help` });
  return {
    input: ta,
    el: h('div', { class: 'field' }, h('label', { for: id }, label), ta,
      h('p', { class: 'help', id: `${id}-help` }, 'Recorded in the incident’s timeline with your name.')),
  };
}

// refused shows why the API refused a change in msg; a 400 naming a field
// marks and focuses that field of form.
export function refused(msg, err, context, form) {
  showError(msg, err, context);
  if (!(err instanceof ApiError) || err.status !== 400 || !form) return;
  const field = err.problem && err.problem.field;
  const el = field && form.querySelector(`[name="${CSS.escape(field)}"]`);
  if (!el) return;
  el.setAttribute('aria-invalid', 'true');
  el.addEventListener('input', () => el.removeAttribute('aria-invalid'), { once: true });
  el.focus();
}

// incidentPicker lists incidents of GET /incidents (newest 200) to choose
// from, narrowed as you type by title, id or owner; multiple gives
// checkboxes, else radio buttons.
export function incidentPicker({ idPrefix, exclude = [], multiple = false, legend }) {
  const search = h('input', { id: `${idPrefix}-search`, type: 'search', autocomplete: 'off', placeholder: 'Title, id or owner' });
  const list = h('ul', { class: 'picker', id: `${idPrefix}-list`, 'aria-busy': 'true' }, h('li', { class: 'muted' }, 'Loading incidents…'));
  const msg = h('div', { class: 'form-msg' });
  let all = [];
  const chosen = new Set();
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const shown = all.filter((i) => !q || [i.title, i.id, i.owner].some((v) => String(v || '').toLowerCase().includes(q)));
    replace(list, shown.length ? shown.map((i) => {
      const box = h('input', {
        type: multiple ? 'checkbox' : 'radio', name: `${idPrefix}-pick`, id: `${idPrefix}-${i.id}`, value: i.id, checked: chosen.has(i.id),
        onchange: (e) => { if (!multiple) chosen.clear(); if (e.target.checked) chosen.add(i.id); else chosen.delete(i.id); },
      });
      return h('li', { class: 'check' }, box, h('label', { for: box.id },
        sevBadge(i.severity), ' ', h('strong', {}, i.title), ' ',
        h('span', { class: 'muted small' }, [words(i.status), `${i.alertCount ?? '?'} alerts`,
          i.confidence !== undefined ? `confidence ${i.confidence}` : '', i.owner, i.id].filter(Boolean).join(' · '))));
    }) : h('li', { class: 'muted' }, all.length ? 'No incident matches.' : 'No other incidents.'));
  };
  search.addEventListener('input', draw);
  (async () => {
    try {
      const { data } = await api('GET', 'incidents', { query: { limit: 200 } });
      all = items(data).filter((i) => !exclude.includes(i.id) && !i.mergedInto);
      draw();
    } catch (err) {
      replace(list);
      showError(msg, err, 'The incidents could not be listed');
    } finally { list.removeAttribute('aria-busy'); }
  })();
  const el = h('fieldset', { class: 'picker-box' }, h('legend', {}, legend),
    h('label', { for: search.id }, 'Find incidents'), search, list, msg);
  return { el, chosen: () => [...chosen], titleOf: (id) => (all.find((i) => i.id === id) || {}).title || id };
}

// confidenceView: how strongly the incident's alerts look like one attack,
// and why, shown under the severity.
export function confidenceView(inc) {
  if (inc.confidence === undefined || inc.confidence === null) return null;
  const reasons = inc.confidenceReasons || [];
  const level = inc.confidence >= 70 ? 'high' : inc.confidence >= 40 ? 'medium' : 'low';
  return h('div', { class: 'confidence', id: 'inc-confidence' },
    h('span', { class: `conf conf-${level}` }, `Confidence ${inc.confidence}/100`),
    reasons.length ? h('details', { class: 'conf-reasons' },
      h('summary', {}, `Why (${reasons.length})`),
      h('ul', {}, reasons.map((r) => h('li', {}, r)))) : null);
}

// notice puts a message at the top of the redrawn incident page and moves
// focus to it.
function notice(main, kind, content) {
  const box = h('div', { class: `banner ${kind}`, role: kind === 'ok' ? 'status' : 'alert', id: 'correction-notice', tabindex: '-1' }, content);
  const details = main.querySelector('.details');
  if (!details) return;
  details.insertBefore(box, details.children[1] || null);
  box.focus();
  announce(box.textContent);
}

// correct sends one correction of the incident page; done redraws the page
// with a notice. A 412 closes the dialog, reloads and says the incident
// changed; other refusals stay in the dialog.
async function correct(ctx, { send, msg, form, close, context, done }) {
  const btn = form.querySelector('button[type=submit]');
  if (btn) btn.disabled = true;
  try {
    const res = await send();
    close();
    await ctx.reload();
    notice(ctx.main, 'ok', done(res));
  } catch (err) {
    if (btn) btn.disabled = false;
    if (err instanceof ApiError && err.status === 412) {
      close();
      await ctx.reload();
      notice(ctx.main, 'warn', 'This incident changed since you opened it, so your change was not saved. It has been reloaded: check it and make your change again.');
      return;
    }
    refused(msg, err, context, form);
  }
}

// correctionsSection is the incident page's "Correct the grouping" block.
export function correctionsSection(ctx) {
  return h('section', { class: 'corrections', 'aria-labelledby': 'corrections-title' },
    h('h2', { id: 'corrections-title' }, 'Correct the grouping'),
    h('p', { class: 'muted small' }, 'Merged and moved alerts stay where you put them: the correlator honours your correction from then on.'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', id: 'open-merge', onclick: () => openMerge(ctx) }, icon('incident'), 'Merge incidents into this one…')));
}

function openMerge(ctx) {
  openDialog({
    id: 'merge-dialog', title: 'Merge incidents into this one',
    body: (close) => {
      const picker = incidentPicker({ idPrefix: 'merge', exclude: [ctx.id], multiple: true, legend: 'Incidents to merge' });
      const reason = reasonField('merge-reason');
      const msg = h('div', { class: 'form-msg' });
      const confirmBox = h('div', { class: 'confirm', hidden: true });
      const review = h('button', { type: 'button', class: 'btn btn-primary', id: 'review-merge' }, 'Review merge');
      const form = h('form', { id: 'merge-form', method: 'dialog' }, picker.el, reason.el, confirmBox, msg,
        h('div', { class: 'actions' }, review, h('button', { type: 'button', class: 'btn', onclick: close }, 'Cancel')));
      review.addEventListener('click', () => {
        const ids = picker.chosen();
        if (!ids.length) { replace(msg, h('p', { class: 'banner warn', role: 'alert' }, 'Choose at least one incident to merge.')); return; }
        if (!reason.input.value.trim()) { reason.input.focus(); replace(msg, h('p', { class: 'banner warn', role: 'alert' }, 'Give a reason.')); return; }
        replace(msg);
        replace(confirmBox, h('div', { class: 'banner info' },
          h('p', {}, `Merge ${ids.length} incident${ids.length === 1 ? '' : 's'} into “${ctx.inc().title}”? Their alerts move here and they leave the lists, each marked as merged into this one:`),
          h('ul', {}, ids.map((i) => h('li', {}, picker.titleOf(i), h('span', { class: 'muted small' }, ` (${i})`))))),
        h('button', { type: 'submit', class: 'btn btn-primary', id: 'confirm-merge' }, `Merge ${ids.length} incident${ids.length === 1 ? '' : 's'}`));
        confirmBox.hidden = false;
        review.hidden = true;
        confirmBox.querySelector('#confirm-merge').focus();
      });
      // A changed choice or reason is reviewed again.
      form.addEventListener('input', (e) => {
        if (confirmBox.contains(e.target)) return;
        confirmBox.hidden = true;
        review.hidden = false;
      });
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const ids = picker.chosen();
        correct(ctx, {
          msg, form, close, context: 'The incidents were not merged',
          send: () => api('POST', `incidents/${ctx.enc}/merge`, { body: { incidents: ids, reason: reason.input.value.trim() }, headers: { 'If-Match': ctx.ifMatch() } }),
          done: () => `Merged ${ids.length} incident${ids.length === 1 ? '' : 's'} into this one.`,
        });
      });
      return form;
    },
  });
}

// alertActions are the Move and Take out buttons beside an alert of the
// incident page's Alerts tab.
export function alertActions(ctx, a) {
  const name = a.name || a.type || a.id;
  return h('div', { class: 'alert-actions' },
    h('button', { type: 'button', class: 'btn btn-small move-alert', dataset: { id: a.id }, onclick: () => openMove(ctx, a) },
      'Move to incident…', h('span', { class: 'visually-hidden' }, ` (${name})`)),
    h('button', { type: 'button', class: 'btn btn-small remove-alert', dataset: { id: a.id }, onclick: () => openRemove(ctx, a) },
      'Take out…', h('span', { class: 'visually-hidden' }, ` (${name})`)));
}

function openMove(ctx, a) {
  openDialog({
    id: 'move-dialog', title: `Move “${a.name || a.type}” to another incident`,
    body: (close) => {
      const picker = incidentPicker({ idPrefix: 'move', exclude: [ctx.id], legend: 'Move to' });
      const reason = reasonField('move-reason');
      const msg = h('div', { class: 'form-msg' });
      const form = h('form', { id: 'move-form', method: 'dialog' }, picker.el, reason.el, msg,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'confirm-move' }, 'Move alert'),
          h('button', { type: 'button', class: 'btn', onclick: close }, 'Cancel')));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const [target] = picker.chosen();
        if (!target) { replace(msg, h('p', { class: 'banner warn', role: 'alert' }, 'Choose the incident to move the alert to.')); return; }
        const tenc = encodeURIComponent(target);
        correct(ctx, {
          msg, form, close, context: 'The alert was not moved',
          // The target's version, read just before the move: it is the
          // incident that changes.
          send: async () => {
            const got = await api('GET', `incidents/${tenc}`);
            const t = (got.data && (got.data.incident || got.data)) || {};
            const etag = got.headers.get('ETag') || `"${t.version}"`;
            return api('POST', `incidents/${tenc}/alerts`, { body: { alerts: [a.id], reason: reason.input.value.trim() }, headers: { 'If-Match': etag } });
          },
          done: () => ['Moved the alert to ', h('a', { href: `#/incidents/${tenc}` }, picker.titleOf(target)), '.'],
        });
      });
      return form;
    },
  });
}

function openRemove(ctx, a) {
  openDialog({
    id: 'remove-dialog', title: `Take “${a.name || a.type}” out of this incident`,
    body: (close) => {
      const reason = reasonField('remove-reason');
      const msg = h('div', { class: 'form-msg' });
      const form = h('form', { id: 'remove-form', method: 'dialog' },
        h('p', {}, 'The alert is set apart: it links to nothing from then on, so it never rejoins an incident by itself.'),
        reason.el, msg,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'confirm-remove' }, 'Take out'),
          h('button', { type: 'button', class: 'btn', onclick: close }, 'Cancel')));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        correct(ctx, {
          msg, form, close, context: 'The alert was not taken out',
          send: () => api('DELETE', `incidents/${ctx.enc}/alerts/${encodeURIComponent(a.id)}`, { query: { reason: reason.input.value.trim() }, headers: { 'If-Match': ctx.ifMatch() } }),
          done: () => `Took “${a.name || a.type}” out of this incident.`,
        });
      });
      return form;
    },
  });
}

// tagsView shows the incident's tags (labels a team filters by) and edits
// them: PATCH /incidents/{id} {"tags": [...]} with If-Match.
export function tagsView(ctx) {
  const tags = ctx.inc().tags || [];
  return h('div', { class: 'tags-row', id: 'inc-tags' },
    h('span', { class: 'muted small' }, 'Tags: '),
    tags.length ? tags.map((t) => h('span', { class: 'chip tag' }, t)) : h('span', { class: 'muted small' }, 'none'),
    h('button', { type: 'button', class: 'btn btn-small', id: 'edit-tags', onclick: () => openTags(ctx) }, 'Edit tags…'));
}

function openTags(ctx) {
  openDialog({
    id: 'tags-dialog', title: 'Tags',
    body: (close) => {
      const input = h('input', { id: 'tags-input', name: 'tags', type: 'text', value: (ctx.inc().tags || []).join(', '),
        'aria-describedby': 'tags-help', autocomplete: 'off' });
      const msg = h('div', { class: 'form-msg' });
      const form = h('form', { id: 'tags-form', method: 'dialog' },
        h('div', { class: 'field' }, h('label', { for: 'tags-input' }, 'Tags, comma-separated'), input,
          h('p', { class: 'help', id: 'tags-help' }, 'Up to 20, each 1–64 of A–Z a–z 0–9 : . _ / -')),
        msg,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'save-tags' }, 'Save tags'),
          h('button', { type: 'button', class: 'btn', onclick: close }, 'Cancel')));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const tags = input.value.split(',').map((t) => t.trim()).filter(Boolean);
        correct(ctx, {
          msg, form, close, context: 'The tags were not saved',
          send: () => api('PATCH', `incidents/${ctx.enc}`, { body: { tags }, headers: { 'If-Match': ctx.ifMatch() } }),
          done: () => (tags.length ? `Tags set: ${tags.join(', ')}.` : 'Tags cleared.'),
        });
      });
      return form;
    },
  });
}
