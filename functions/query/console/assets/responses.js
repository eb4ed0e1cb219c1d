// The incident page's playbook runs: every response request of GET
// /incidents/{id} (`responses`) with what its playbook last reported
// (status, message, outputs, link). While any is Requested or Running the
// section re-reads the incident every few seconds, and stops when none is,
// or when the page is left.
import { api } from './api.js';
import { h, replace, announce } from './dom.js';
import { when } from './format.js';
import { showError } from './alerts.js';

const PENDING = new Set(['Requested', 'Running']);
export const POLL_MS = 3000;
// REQUESTED is the document event the Take action tab fires after a
// successful POST /incidents/{id}/respond.
export const REQUESTED = 'muster:response-requested';

const pending = (list) => list.some((r) => PENDING.has(r.status || 'Requested'));

function responsesOf(body) {
  const inc = (body && (body.incident || body)) || {};
  return inc.responses || (body && body.responses) || [];
}

// responsesSection shows ctx's incident's responses and keeps them live.
export function responsesSection(ctx, body) {
  const list = h('div', { class: 'responses-list' });
  const note = h('p', { class: 'muted small', id: 'responses-live' });
  // Not .form-msg: the page's manage form finds its message box by that class.
  const msg = h('div', { class: 'responses-msg' });
  const sec = h('section', { class: 'responses', id: 'inc-responses', 'aria-labelledby': 'responses-title' },
    h('h2', { id: 'responses-title' }, 'Playbook runs'), note, list, msg);
  let shown = responsesOf(body);
  let timer = 0;
  const draw = () => {
    replace(list, shown.length
      ? h('ul', { class: 'response-list' }, [...shown].sort((a, b) => String(b.requestedAt).localeCompare(String(a.requestedAt))).map(responseItem))
      : h('p', { class: 'muted small' }, 'No playbook was requested for this incident.'));
    note.textContent = pending(shown) ? `Refreshing every ${POLL_MS / 1000} s while a playbook is requested or running.` : '';
  };
  const poll = async () => {
    timer = 0;
    if (!document.contains(sec)) return;
    try {
      const { data } = await api('GET', `incidents/${ctx.enc}`);
      if (!document.contains(sec)) return;
      const before = new Map(shown.map((r) => [r.requestId, r.status]));
      shown = responsesOf(data);
      for (const r of shown) {
        if (before.has(r.requestId) && before.get(r.requestId) !== r.status) announce(`${r.playbook}: ${r.status}`);
      }
      replace(msg);
      draw();
    } catch (err) {
      showError(msg, err, 'The playbook runs could not be refreshed');
    }
    schedule();
  };
  const schedule = () => { if (!timer && pending(shown)) timer = setTimeout(poll, POLL_MS); };
  // A playbook requested on this page (Take action) is read at once, then
  // followed like the others.
  const requested = () => {
    if (!document.contains(sec)) { document.removeEventListener(REQUESTED, requested); return; }
    clearTimeout(timer);
    poll();
  };
  document.addEventListener(REQUESTED, requested);
  draw();
  schedule();
  return sec;
}

function responseItem(r) {
  const status = r.status || 'Requested';
  const outputs = Object.entries(r.outputs || {});
  return h('li', { class: 'response', dataset: { id: r.requestId } },
    h('div', { class: 'response-head' },
      h('strong', {}, r.playbook),
      h('span', { class: `chip run run-${status.toLowerCase()}` }, status)),
    h('p', { class: 'muted small' }, [r.requestedBy ? `requested by ${r.requestedBy}` : '', r.requestedAt ? when(r.requestedAt) : '',
      r.updatedAt ? `last report ${when(r.updatedAt)}` : ''].filter(Boolean).join(' · ')),
    r.message ? h('p', { class: 'response-message' }, r.message) : null,
    outputs.length ? h('dl', { class: 'facts response-outputs' }, outputs.map(([k, v]) =>
      [h('dt', {}, k), h('dd', { class: 'mono' }, typeof v === 'string' ? v : JSON.stringify(v))])) : null,
    safeLink(r.link) ? h('p', {}, h('a', { href: r.link, target: '_blank', rel: 'noopener noreferrer' }, 'Open the playbook run')) : null);
}

// safeLink keeps only http(s) links (the API checks too).
function safeLink(v) {
  try { return ['http:', 'https:'].includes(new URL(v).protocol); } catch { return false; }
}
