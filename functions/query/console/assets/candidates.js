// The Candidates page: linked groups of two or more alerts that stayed below
// the incident threshold (GET /candidates), with their confidence and its
// reasons, and Promote (POST /candidates/{id}/promote) to make one an
// incident whatever its confidence.
import { api, items } from './api.js';
import { h, icon, replace, announce } from './dom.js';
import { words, when, stageLabel, resourceName } from './format.js';
import { sevBadge, showError } from './alerts.js';
import { openDialog, reasonField, refused } from './corrections.js';

const DAYS = [1, 7, 14, 30];
let days = 7;

export async function renderCandidatesPage(main) {
  document.title = 'Candidates · Muster';
  const list = h('div', { id: 'candidates', 'aria-live': 'polite' });
  const msg = h('div', { class: 'list-banner', id: 'candidates-msg' });
  const daysSel = h('select', { id: 'candidate-days', class: 'inline-select', onchange: (e) => { days = Number(e.target.value); load(); } },
    DAYS.map((d) => h('option', { value: d, selected: d === days }, d === 1 ? 'Last day' : `Last ${d} days`)));
  replace(main, h('section', { class: 'content', 'aria-labelledby': 'page-title' },
    h('h1', { id: 'page-title' }, 'Candidates'),
    h('p', { class: 'lead' }, 'Alerts Muster linked together but did not call an incident: the evidence stayed below the threshold. Promote one when you judge it is an attack.'),
    h('div', { class: 'toolbar' }, h('label', { for: 'candidate-days', class: 'inline-label' }, 'Activity'), daysSel,
      h('button', { type: 'button', class: 'btn', id: 'refresh-candidates', onclick: () => load() }, icon('refresh'), 'Refresh')),
    msg, list));

  async function load() {
    list.setAttribute('aria-busy', 'true');
    replace(list, h('p', { class: 'loading' }, 'Loading candidates…'));
    try {
      const { data } = await api('GET', 'candidates', { query: { days } });
      const cands = items(data);
      replace(list, cands.length ? h('ul', { class: 'candidate-list' }, cands.map((c) => candidateCard(c, promoted)))
        : h('p', { class: 'muted' }, `No candidates in the last ${days === 1 ? 'day' : `${days} days`}.`));
    } catch (err) {
      replace(list);
      showError(msg, err, 'The candidates could not be loaded');
    } finally { list.removeAttribute('aria-busy'); }
  }

  async function promoted(inc) {
    await load();
    replace(msg, h('p', { class: 'banner ok', role: 'status', id: 'promoted', tabindex: '-1' }, 'Promoted to an incident: ',
      h('a', { href: `#/incidents/${encodeURIComponent(inc.id)}` }, inc.title || inc.id), '.'));
    msg.querySelector('#promoted').focus();
    announce('Candidate promoted to an incident');
  }

  await load();
}

function candidateCard(c, promoted) {
  const reasons = c.confidenceReasons || [];
  const tactics = (c.tactics || []).filter((t) => t !== 'Unknown').map(stageLabel);
  return h('li', { class: 'card candidate', dataset: { id: c.id }, 'aria-labelledby': `cand-${c.id}` },
    h('div', { class: 'candidate-head' }, sevBadge(c.severity), h('h2', { id: `cand-${c.id}` }, c.title || c.id),
      h('span', { class: 'conf' }, `Confidence ${c.confidence ?? '?'}/100`)),
    h('p', { class: 'muted small' }, [`${c.alertCount ?? '?'} alerts`, `${when(c.firstActivity)} – ${when(c.lastActivity)}`,
      (c.sources || []).map(words).join(', '), tactics.join(', ')].filter(Boolean).join(' · ')),
    (c.resources || []).length ? h('p', { class: 'small' }, icon('resource'), ' ', c.resources.map(resourceName).join(', ')) : null,
    reasons.length ? [h('h3', { class: 'small-head' }, 'Why this confidence'), h('ul', { class: 'conf-list' }, reasons.map((r) => h('li', {}, r)))] : null,
    h('div', { class: 'actions' }, h('button', {
      type: 'button', class: 'btn btn-primary promote', onclick: () => openPromote(c, promoted),
    }, 'Promote to incident…', h('span', { class: 'visually-hidden' }, ` (${c.title || c.id})`))));
}

function openPromote(c, promoted) {
  openDialog({
    id: 'promote-dialog', title: `Promote “${c.title || c.id}” to an incident`,
    body: (close) => {
      const reason = reasonField('promote-reason');
      const msg = h('div', { class: 'form-msg' });
      const form = h('form', { id: 'promote-form', method: 'dialog' },
        h('p', {}, `Its ${c.alertCount ?? ''} alerts become an incident and stay together whatever arrives later.`),
        reason.el, msg,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'confirm-promote' }, 'Promote'),
          h('button', { type: 'button', class: 'btn', onclick: close }, 'Cancel')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const btn = form.querySelector('button[type=submit]');
        btn.disabled = true;
        try {
          const { data } = await api('POST', `candidates/${encodeURIComponent(c.id)}/promote`, { body: { reason: reason.input.value.trim() } });
          close();
          await promoted((data && (data.incident || data)) || { id: c.id });
        } catch (err) {
          btn.disabled = false;
          refused(msg, err, 'The candidate was not promoted', form);
        }
      });
      return form;
    },
  });
}
