// Full details of an incident (left pane, kill-chain strip, Alerts and Take
// action tabs, editable status/owner/classification, comments) and of a
// single alert.
import { api, items, ApiError } from './api.js';
import { h, icon, replace, clear, announce } from './dom.js';
import {
  STAGES, SEVERITIES, INCIDENT_STATUSES, CLASSIFICATIONS, PROVIDERS, stageLabel, words, when,
  resourceName, reasonText,
} from './format.js';
import { responsesSection, REQUESTED } from './responses.js';
import { sevBadge, showError } from './alerts.js';
import { entityLink, relatedSection } from './entities.js';
import { confidenceView, correctionsSection, alertActions, tagsView } from './corrections.js';

const SUPPRESS_REASONS = ['Detected false positive', 'Alert is not relevant', 'Expected activity', 'Other'];
const ENTITY_TYPES = ['ip', 'host', 'account', 'accesskey', 'process', 'filehash', 'domain', 'url', 'container', 'pod'];

// If-Match carries the ETag of the last read (the API's entity tag of the
// incident version); the quoted version when the API sent no ETag.
function ifMatch(etag, version) { return etag || `"${version}"`; }

function text(x) {
  if (x === null || x === undefined) return '';
  if (typeof x === 'string') return x;
  return x.text || x.step || x.title || x.description || x.summary || JSON.stringify(x);
}

function crumbs(label) {
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h('a', { href: '#/alerts' }, 'Security alerts'), h('span', { 'aria-hidden': 'true' }, ' › '), h('span', { 'aria-current': 'page' }, label));
}

function resourceList(resources) {
  if (!resources || !resources.length) return h('p', { class: 'muted' }, 'None recorded.');
  return h('ul', { class: 'resources' }, resources.map((r) => {
    const tags = Object.entries(r.tags || {});
    return h('li', { class: 'resource' },
      h('div', { class: 'resource-name' }, icon('resource'), h('strong', {}, entityLink('resource', r.id, resourceName(r)))),
      h('div', { class: 'muted small' }, [r.type, r.region, r.account].filter(Boolean).join(' · ')),
      r.name && r.id !== r.name ? h('div', { class: 'muted small mono' }, r.id) : null,
      tags.length ? h('ul', { class: 'tags', 'aria-label': `Tags of ${resourceName(r)}` },
        tags.map(([k, v]) => h('li', { class: 'tag' }, icon('tag'), `${k}: ${v}`))) : null);
  }));
}

// entityTags lists entities, each linked to its page when it has one (a
// private IP never links alerts, so it has none).
function entityTags(entities) {
  return h('ul', { class: 'tags entities' }, entities.map((e) => h('li', { class: 'tag' }, `${e.type}: `,
    e.type === 'ip' && !e.public ? e.value : entityLink(e.type, e.value), e.public ? ' (public)' : '')));
}

function killChain(tactics) {
  const reached = new Set(tactics || []);
  const n = STAGES.filter((s) => reached.has(s)).length;
  return h('section', { class: 'killchain', 'aria-labelledby': 'kc-title' },
    h('h2', { id: 'kc-title', class: 'small-head' }, `Kill chain: ${n} of ${STAGES.length} stages reached`),
    h('ol', {}, STAGES.map((s) => h('li', { class: reached.has(s) ? 'reached' : '', dataset: { stage: s } },
      h('span', { class: 'kc-label' }, stageLabel(s)),
      h('span', { class: 'visually-hidden' }, reached.has(s) ? ' (reached)' : ' (not reached)')))));
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// allAlerts reads every alert of an incident (at most 500, so at most three
// pages of 200), following the cursor.
async function allAlerts(enc) {
  const query = { limit: 200 };
  const first = await api('GET', `incidents/${enc}/alerts`, { query });
  const out = [...items(first.data)];
  let cursor = first.data && first.data.cursor;
  for (let pages = 1; cursor && pages < 5; pages++) {
    const { data } = await api('GET', `incidents/${enc}/alerts`, { query: { ...query, cursor } });
    out.push(...items(data));
    cursor = data && data.cursor;
  }
  return { data: { items: out } };
}

export async function renderIncidentPage(main, id) {
  document.title = 'Incident · Muster';
  replace(main, h('p', { class: 'loading' }, 'Loading incident…'));
  const enc = encodeURIComponent(id);
  const [incR, alertsR, actionsR] = await Promise.allSettled([
    api('GET', `incidents/${enc}`),
    allAlerts(enc),
    api('GET', `incidents/${enc}/actions`),
  ]);
  if (incR.status === 'rejected') {
    const box = h('div');
    replace(main, crumbs('Incident'), h('h1', {}, 'Incident'), box);
    showError(box, incR.reason, 'The incident could not be loaded');
    return;
  }
  const body = incR.value.data || {};
  let inc = body.incident || body;
  let etag = incR.value.headers.get('ETag') || '';
  // What the corrections (corrections.js) need of this page.
  const ctx = { id, enc, main, inc: () => inc, ifMatch: () => ifMatch(etag, inc.version), reload: () => renderIncidentPage(main, id) };
  document.title = `${inc.title} · Muster`;
  const alerts = alertsR.status === 'fulfilled' ? items(alertsR.value.data) : (items(body.alerts) || []);
  const actions = actionsR.status === 'fulfilled' ? (actionsR.value.data || {}) : null;

  const left = h('section', { class: 'card left-pane', 'aria-labelledby': 'inc-title' });
  const related = relatedSection(inc.id);
  const right = h('section', { class: 'card right-pane', 'aria-label': 'Alerts and actions' });
  replace(main,
    h('div', { class: 'details' },
      crumbs(inc.title),
      killChain(inc.tactics),
      h('div', { class: 'details-grid' }, left, right)));

  function drawLeft() {
    replace(left,
      h('div', { class: 'title-row' }, icon('incident', 'Incident'), h('h1', { id: 'inc-title', tabindex: '-1' }, inc.title)),
      h('div', { class: 'badges' }, sevBadge(inc.severity), h('span', { class: 'status', id: 'inc-status' }, words(inc.status)),
        inc.classification ? h('span', { class: 'status' }, words(inc.classification)) : null),
      confidenceView(inc),
      tagsView(ctx),
      facts([
        ['Activity time', `${when(inc.firstActivity)} – ${when(inc.lastActivity)}`],
        ['Alerts', String(inc.alertCount ?? alerts.length)],
        ['Sources', (inc.sources || []).map(words).join(', ')],
        ['Owner', inc.owner || 'Unassigned'],
        ['Incident id', h('span', { class: 'mono' }, inc.id)],
        inc.mergedInto ? ['Merged into', h('a', { href: `#/incidents/${encodeURIComponent(inc.mergedInto)}` }, inc.mergedInto)] : null,
        inc.continuationOf ? ['Continues', h('a', { href: `#/incidents/${encodeURIComponent(inc.continuationOf)}` }, inc.continuationOf)] : null,
        inc.continuedIn ? ['Continued in', h('a', { href: `#/incidents/${encodeURIComponent(inc.continuedIn)}` }, inc.continuedIn)] : null,
      ]),
      h('h2', {}, 'Description'),
      h('p', { class: 'desc' }, inc.description || 'No description.'),
      h('h2', {}, 'Affected resources'),
      resourceList(inc.resources),
      (inc.entities || []).length ? [h('h2', {}, 'Entities'), entityTags(inc.entities)] : null,
      responsesSection(ctx, body),
      related,
      manageForm(),
      correctionsSection(ctx),
      commentsBlock(),
      timelineBlock());
  }

  function manageForm() {
    const msg = h('div', { class: 'form-msg' });
    const status = h('select', { id: 'edit-status', name: 'status' }, INCIDENT_STATUSES.map((s) => h('option', { value: s, selected: s === inc.status }, words(s))));
    const owner = h('input', { id: 'edit-owner', name: 'owner', type: 'text', value: inc.owner || '', autocomplete: 'off', placeholder: 'e.g. alice@example.com' });
    const cls = h('select', { id: 'edit-classification', name: 'classification' },
      h('option', { value: '' }, 'Not classified'),
      CLASSIFICATIONS.map((c) => h('option', { value: c, selected: c === inc.classification }, words(c))));
    const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'save-incident' }, 'Save changes');
    const form = h('form', {
      class: 'manage', 'aria-labelledby': 'manage-title',
      onsubmit: async (e) => {
        e.preventDefault();
        const patch = {};
        if (status.value !== inc.status) patch.status = status.value;
        if (owner.value.trim() !== (inc.owner || '')) patch.owner = owner.value.trim();
        if (cls.value !== (inc.classification || '')) patch.classification = cls.value;
        if (!Object.keys(patch).length) { replace(msg, h('p', { class: 'banner info', role: 'status' }, 'Nothing changed.')); return; }
        save.disabled = true;
        try {
          const { data, headers: rh } = await api('PATCH', `incidents/${enc}`, { body: patch, headers: { 'If-Match': ifMatch(etag, inc.version) } });
          etag = rh.get('ETag') || '';
          const next = data && (data.incident || data);
          inc = next && next.id ? next : { ...inc, ...patch, version: inc.version + 1 };
          // The change is on the timeline now: fetch it so the page shows it.
          let timelineErr = null;
          try {
            const { data: fresh } = await api('GET', `incidents/${enc}`);
            if (fresh && Array.isArray(fresh.timeline)) body.timeline = fresh.timeline;
          } catch (err) { timelineErr = err; }
          drawLeft();
          const m = left.querySelector('.form-msg');
          replace(m, h('p', { class: 'banner ok', role: 'status' }, 'Saved.'));
          if (timelineErr) showError(m, timelineErr, 'Saved, but the timeline could not be refreshed');
          left.querySelector('#save-incident').focus();
          announce('Incident saved');
        } catch (err) {
          save.disabled = false;
          showError(msg, err, 'Your change was not saved');
          if (err instanceof ApiError && err.status === 412) {
            msg.querySelector('.banner').append(' ', h('button', { type: 'button', class: 'btn btn-link', id: 'reload-incident', onclick: () => renderIncidentPage(main, id) }, 'Reload'));
          }
          msg.querySelector('.banner').focus?.();
        }
      },
    },
    h('h2', { id: 'manage-title' }, 'Manage incident'),
    h('div', { class: 'form-grid' },
      h('div', { class: 'field' }, h('label', { for: 'edit-status' }, 'Status'), status),
      h('div', { class: 'field' }, h('label', { for: 'edit-owner' }, 'Owner'), owner),
      h('div', { class: 'field' }, h('label', { for: 'edit-classification' }, 'Classification'), cls)),
    h('div', { class: 'actions' }, save),
    msg);
    return form;
  }

  function commentsBlock() {
    const list = body.comments || inc.comments || [];
    const msg = h('div', { class: 'form-msg' });
    const ta = h('textarea', { id: 'comment-text', name: 'text', rows: 3, maxlength: 4000, required: true });
    return h('section', { class: 'comments', 'aria-labelledby': 'comments-title' },
      h('h2', { id: 'comments-title' }, 'Comments'),
      list.length ? h('ul', { class: 'plain comment-list' }, list.map((c) => h('li', {},
        h('div', { class: 'muted small' }, icon('comment'), ` ${c.author || 'someone'} · ${when(c.at)}`),
        h('p', {}, c.text)))) : h('p', { class: 'muted' }, 'No comments yet.'),
      h('form', {
        onsubmit: async (e) => {
          e.preventDefault();
          const t = ta.value.trim();
          if (!t) { ta.focus(); return; }
          try {
            await api('POST', `incidents/${enc}/comments`, { body: { text: t } });
            await renderIncidentPage(main, id);
            announce('Comment added');
            document.getElementById('comment-text')?.focus();
          } catch (err) { showError(msg, err, 'The comment was not added'); }
        },
      },
      h('label', { for: 'comment-text' }, 'Add a comment'), ta,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'add-comment' }, 'Add comment')),
      msg));
  }

  function timelineBlock() {
    const tl = body.timeline || inc.timeline || [];
    if (!tl.length) return null;
    return h('details', { class: 'timeline' },
      h('summary', {}, `Timeline (${tl.length})`),
      h('ol', { class: 'plain' }, tl.map((t) => h('li', {},
        h('span', { class: 'muted small' }, `${when(t.at)} · ${t.actor || ''}`), ' ',
        t.action, t.from || t.to ? ` (${t.from || '—'} → ${t.to || '—'})` : '', t.detail ? `: ${t.detail}` : ''))));
  }

  // Right pane: tabs.
  const tabs = [
    { id: 'alerts', label: `Alerts (${alerts.length})`, draw: (p) => alertsTab(p) },
    { id: 'action', label: 'Take action', draw: (p) => actionTab(p) },
  ];
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Incident details', class: 'tabs' });
  const panels = {};
  const tabBtns = {};
  for (const t of tabs) {
    tabBtns[t.id] = h('button', {
      type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': `panel-${t.id}`,
      'aria-selected': 'false', tabindex: '-1', onclick: () => selectTab(t.id, true),
      onkeydown: (e) => {
        const i = tabs.findIndex((x) => x.id === t.id);
        let j = null;
        if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
        else if (e.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
        else if (e.key === 'Home') j = 0;
        else if (e.key === 'End') j = tabs.length - 1;
        if (j !== null) { e.preventDefault(); selectTab(tabs[j].id, true); }
      },
    }, t.label);
    tablist.append(tabBtns[t.id]);
    panels[t.id] = h('div', { role: 'tabpanel', id: `panel-${t.id}`, 'aria-labelledby': `tab-${t.id}`, tabindex: '0', hidden: true, class: 'tabpanel' });
    t.draw(panels[t.id]);
  }
  function selectTab(tid, focus) {
    for (const t of tabs) {
      const on = t.id === tid;
      tabBtns[t.id].setAttribute('aria-selected', on ? 'true' : 'false');
      tabBtns[t.id].tabIndex = on ? 0 : -1;
      panels[t.id].hidden = !on;
    }
    if (focus) tabBtns[tid].focus();
  }
  replace(right, tablist, ...Object.values(panels));
  selectTab('alerts', false);

  function alertsTab(panel) {
    if (alertsR.status === 'rejected') { showError(panel, alertsR.reason, 'The alerts of this incident could not be loaded'); return; }
    const detail = h('div', { class: 'alert-detail', id: 'alert-detail', 'aria-live': 'polite' });
    const list = h('ul', { class: 'alert-list', 'aria-label': 'Correlated alerts' }, alerts.map((a) => {
      const btn = h('button', {
        type: 'button', class: 'alert-item', 'aria-pressed': 'false', dataset: { id: a.id },
        onclick: () => {
          for (const b of list.querySelectorAll('.alert-item')) b.setAttribute('aria-pressed', b === btn ? 'true' : 'false');
          replace(detail, alertDetail(a, true, catalogueSteps(a)));
          announce(`Showing alert ${a.name || a.type}`);
        },
      },
      h('span', { class: 'alert-item-head' }, sevBadge(a.severity), h('strong', {}, a.name || a.type)),
      h('span', { class: 'muted small' }, `${words(a.provider)} · ${when(a.lastSeen || a.firstSeen)} · ${(a.tactics || []).filter((t) => t !== 'Unknown').map(stageLabel).join(', ')}`),
      reasonText(a) ? h('span', { class: 'reason' }, h('span', { class: 'reason-label' }, 'Why it joined: '), reasonText(a)) : null);
      return h('li', {}, btn, alertActions(ctx, a));
    }));
    replace(panel, alerts.length ? list : h('p', { class: 'muted' }, 'No alerts.'), detail);
  }

  // Muster's catalogued steps for an alert's detection type, from the
  // incident's take-action content.
  function catalogueSteps(a) {
    const m = actions && (Array.isArray(actions.mitigate) ? actions.mitigate : []);
    return (m || []).filter((st) => st && st.source === `catalogue:${a.type}`).map((st) => st.text);
  }

  function actionTab(panel) {
    if (!actions) { showError(panel, actionsR.reason, 'The actions for this incident could not be loaded'); return; }
    const mitigate = Array.isArray(actions.mitigate) ? actions.mitigate : (actions.mitigate && (actions.mitigate.steps || items(actions.mitigate))) || [];
    const prevent = Array.isArray(actions.prevent) ? actions.prevent : (actions.prevent && (actions.prevent.recommendations || items(actions.prevent))) || [];
    replace(panel,
      h('details', { class: 'action', open: true, id: 'act-mitigate' },
        h('summary', {}, icon('wrench'), h('span', {}, 'Mitigate the threat')),
        mitigate.length ? h('ol', {}, mitigate.map((s) => h('li', {}, text(s),
          s && s.source ? h('span', { class: 'muted small' }, ` (${sourceWords(s.source)})`) : null)))
          : h('p', { class: 'muted' }, 'No remediation steps for these alerts.')),
      h('details', { class: 'action', id: 'act-prevent' },
        h('summary', {}, icon('shield'), h('span', {}, 'Prevent future attacks')),
        prevent.length ? h('ul', {}, prevent.map((s) => h('li', {},
          typeof s === 'object' && s.title ? [h('strong', {}, s.title), s.detail || s.description || s.text ? h('div', {}, s.detail || s.description || s.text) : null,
            s.basis ? h('div', { class: 'muted small' }, `Because of ${sourceWords(s.basis)}`) : null] : text(s))))
          : h('p', { class: 'muted' }, 'No recommendations.')),
      respondSection(),
      suppressSection());
  }

  function respondSection() {
    const body2 = h('div', { class: 'respond-body' }, h('p', { class: 'muted' }, 'Loading playbooks…'));
    const sec = h('details', { class: 'action', id: 'act-respond' },
      h('summary', {}, icon('bolt'), h('span', {}, 'Trigger automated response')), body2);
    const respond = actions.respond || {};
    const past = respond.requests || respond.past || respond.history || [];
    (async () => {
      let playbooks = respond.playbooks || [];
      try {
        const { data } = await api('GET', 'playbooks');
        playbooks = items(data).length ? items(data) : (data && data.playbooks) || playbooks;
      } catch (err) {
        if (!playbooks.length) { showError(body2, err, 'The playbooks could not be loaded'); return; }
      }
      const msg = h('div', { class: 'form-msg' });
      const params = h('fieldset', { class: 'params' });
      const picker = h('select', { id: 'playbook', name: 'playbook', required: true },
        h('option', { value: '' }, 'Choose a playbook…'),
        playbooks.map((p) => h('option', { value: p.name }, p.name)));
      const desc = h('p', { class: 'muted', id: 'playbook-desc' });
      const drawParams = () => {
        const p = playbooks.find((x) => x.name === picker.value);
        clear(params);
        desc.textContent = p ? p.description || '' : '';
        if (!p) { params.hidden = true; return; }
        params.hidden = false;
        params.append(h('legend', {}, 'Parameters'));
        if (!(p.parameters || []).length) params.append(h('p', { class: 'muted' }, 'This playbook takes no parameters.'));
        for (const prm of p.parameters || []) {
          const fid = `param-${prm.name}`;
          let input;
          const guess = guessParam(prm, inc);
          if (prm.enum && prm.enum.length) {
            input = h('select', { id: fid, name: prm.name, required: prm.required }, prm.required ? null : h('option', { value: '' }, '—'), prm.enum.map((v) => h('option', { value: v, selected: v === guess }, v)));
          } else if (prm.type === 'boolean') {
            input = h('input', { id: fid, name: prm.name, type: 'checkbox' });
          } else {
            input = h('input', { id: fid, name: prm.name, type: prm.type === 'number' || prm.type === 'integer' ? 'number' : 'text', required: prm.required, value: guess || '', autocomplete: 'off', 'aria-describedby': `${fid}-help` });
          }
          input.dataset.type = prm.type || 'string';
          params.append(h('div', { class: prm.type === 'boolean' ? 'field check' : 'field' },
            prm.type === 'boolean' ? [input, h('label', { for: fid }, prm.name)] : [h('label', { for: fid }, prm.name, prm.required ? h('span', { class: 'req' }, ' (required)') : null), input],
            prm.description ? h('p', { class: 'help', id: `${fid}-help` }, prm.description) : null));
        }
      };
      picker.addEventListener('change', drawParams);
      const pastBox = h('div', { class: 'past' });
      const drawPast = (list) => replace(pastBox, list.length ? [h('h4', {}, 'Past requests'), h('ul', { class: 'plain' }, list.map((r) => h('li', { class: 'small' },
        [r.playbook, r.status || '', r.message || '', r.requestedBy ? `by ${r.requestedBy}` : '', r.requestedAt ? when(r.requestedAt) : 'just now'].filter(Boolean).join(' · '))))] : null);
      drawPast(past);
      const form = h('form', {
        id: 'respond-form',
        onsubmit: async (e) => {
          e.preventDefault();
          if (!picker.value) { picker.focus(); return; }
          const parameters = {};
          for (const el of params.querySelectorAll('input, select')) {
            if (el.type === 'checkbox') parameters[el.name] = el.checked;
            else if (el.value === '') continue;
            else if (el.dataset.type === 'number' || el.dataset.type === 'integer') parameters[el.name] = Number(el.value);
            else parameters[el.name] = el.value;
          }
          const btn = form.querySelector('button[type=submit]');
          btn.disabled = true;
          try {
            const { data } = await api('POST', `incidents/${enc}/respond`, { body: { playbook: picker.value, parameters } });
            replace(msg, h('p', { class: 'banner ok', role: 'status' }, `Response requested: ${picker.value}. Muster publishes an “Incident Response Requested” event for the playbook.`));
            const req = data && (data.request || data);
            if (req && req.playbook) drawPast([...past, req]);
            announce('Response requested');
            document.dispatchEvent(new Event(REQUESTED));
          } catch (err) {
            showError(msg, err, 'The response was not requested');
          } finally { btn.disabled = false; }
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'playbook' }, 'Playbook'), picker),
      desc, params,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'trigger-response' }, icon('play'), 'Trigger response')),
      msg);
      params.hidden = true;
      replace(body2, playbooks.length ? form : h('p', { class: 'muted' }, 'No playbooks are configured.'), pastBox);
    })();
    return sec;
  }

  function suppressSection() {
    const drafts = Array.isArray(actions.suppress) ? actions.suppress : items(actions.suppress);
    const msg = h('div', { class: 'form-msg' });
    const sim = h('div', { class: 'simulation', id: 'simulation', 'aria-live': 'polite' });
    const alertSel = h('select', { id: 'sup-alert', name: 'alertId' },
      alerts.map((a) => h('option', { value: a.id }, `${a.name || a.type} (${words(a.provider)})`)));
    const f = {
      name: h('input', { id: 'sup-name', type: 'text', autocomplete: 'off' }),
      alertType: h('input', { id: 'sup-type', type: 'text', autocomplete: 'off', 'aria-describedby': 'sup-type-help' }),
      provider: h('select', { id: 'sup-provider' }, h('option', { value: '' }, 'Any provider'), PROVIDERS.map((p) => h('option', { value: p }, words(p)))),
      resourceId: h('input', { id: 'sup-resource', type: 'text', autocomplete: 'off' }),
      entityType: h('select', { id: 'sup-entity-type' }, h('option', { value: '' }, 'No entity criterion'), ENTITY_TYPES.map((t) => h('option', { value: t }, t))),
      entityValue: h('input', { id: 'sup-entity-value', type: 'text', autocomplete: 'off' }),
      entityContains: h('input', { id: 'sup-entity-contains', type: 'checkbox' }),
      maxSeverity: h('select', { id: 'sup-maxsev' }, h('option', { value: '' }, 'Any severity'), [...SEVERITIES].reverse().map((s) => h('option', { value: s }, `${s} or lower`))),
      reason: h('select', { id: 'sup-reason', required: true }, SUPPRESS_REASONS.map((r) => h('option', { value: r }, r))),
      comment: h('textarea', { id: 'sup-comment', rows: 2, maxlength: 2000 }),
      state: h('select', { id: 'sup-state' }, h('option', { value: 'Enabled' }, 'Enabled: suppress matching alerts'), h('option', { value: 'Shadow' }, 'Shadow: only count matches')),
      expires: h('input', { id: 'sup-expires', type: 'date' }),
      dismiss: h('input', { id: 'sup-dismiss', type: 'checkbox' }),
      days: h('select', { id: 'sup-days' }, [7, 30, 90].map((d) => h('option', { value: d, selected: d === 30 }, `Last ${d} days`))),
    };
    const fillFrom = (alertId) => {
      const a = alerts.find((x) => x.id === alertId) || {};
      const d = drafts.find((x) => x.alertId === alertId || (x.source && x.source.alertId === alertId));
      const m = (d && (d.rule ? d.rule.match : d.match)) || {
        alertType: a.type, provider: a.provider, resourceId: (a.resources || [])[0] ? a.resources[0].id : '',
      };
      f.name.value = (d && (d.rule ? d.rule.name : d.name)) || `Suppress ${a.name || a.type || 'similar alerts'}`;
      const reason = d && (d.rule ? d.rule.reason : d.reason);
      if (reason && SUPPRESS_REASONS.includes(reason)) f.reason.value = reason;
      f.alertType.value = m.alertType || '';
      f.provider.value = m.provider || '';
      f.resourceId.value = m.resourceId || '';
      f.entityType.value = m.entity ? m.entity.type : '';
      f.entityValue.value = m.entity ? m.entity.value : '';
      f.entityContains.checked = Boolean(m.entity && m.entity.contains);
      f.maxSeverity.value = m.maxSeverity || '';
      clear(sim);
    };
    alertSel.addEventListener('change', () => fillFrom(alertSel.value));
    const rule = () => {
      const match = {};
      if (f.alertType.value.trim()) match.alertType = f.alertType.value.trim();
      if (f.provider.value) match.provider = f.provider.value;
      if (f.resourceId.value.trim()) match.resourceId = f.resourceId.value.trim();
      if (f.entityType.value && f.entityValue.value.trim()) match.entity = { type: f.entityType.value, value: f.entityValue.value.trim(), contains: f.entityContains.checked };
      if (f.maxSeverity.value) match.maxSeverity = f.maxSeverity.value;
      const r = { name: f.name.value.trim(), match, reason: f.reason.value, comment: f.comment.value.trim(), state: f.state.value };
      if (f.expires.value) r.expiresAt = new Date(`${f.expires.value}T23:59:59Z`).toISOString();
      return r;
    };
    const simulate = async () => {
      replace(sim, h('p', { class: 'muted' }, 'Checking what this rule would match…'));
      try {
        const { data } = await api('POST', 'suppression-rules/simulate', { body: { match: rule().match, days: Number(f.days.value) } });
        replace(sim, simulationView(data));
      } catch (err) { showError(sim, err, 'The rule could not be checked'); }
    };
    const form = h('form', {
      id: 'suppress-form',
      onsubmit: async (e) => {
        e.preventDefault();
        const btn = form.querySelector('button[type=submit]');
        btn.disabled = true;
        try {
          const r = rule();
          const { data } = await api('POST', `incidents/${enc}/suppress`, { body: { alertId: alertSel.value, ...r, dismissExisting: f.dismiss.checked } });
          const created = (data && (data.rule || data)) || {};
          const dismissed = data && data.dismissed ? ` Dismissed ${data.dismissed} matching alert${data.dismissed === 1 ? '' : 's'} of this incident.` : '';
          replace(msg, h('p', { class: 'banner ok', role: 'status', id: 'suppress-created' },
            `Suppression rule created${created.id ? ` (${created.id})` : ''}: ${created.name || r.name || 'similar alerts'}, state ${created.state || r.state}.${dismissed}`));
          announce('Suppression rule created');
        } catch (err) {
          showError(msg, err, 'The suppression rule was not created');
        } finally { btn.disabled = false; }
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'sup-alert' }, 'Based on alert'), alertSel),
    h('div', { class: 'field' }, h('label', { for: 'sup-name' }, 'Rule name'), f.name),
    h('fieldset', {}, h('legend', {}, 'Match alerts where'),
      h('div', { class: 'form-grid' },
        h('div', { class: 'field' }, h('label', { for: 'sup-type' }, 'Alert type'), f.alertType, h('p', { class: 'help', id: 'sup-type-help' }, 'Exact type, or * for any type.')),
        h('div', { class: 'field' }, h('label', { for: 'sup-provider' }, 'Provider'), f.provider),
        h('div', { class: 'field' }, h('label', { for: 'sup-resource' }, 'Resource id'), f.resourceId),
        h('div', { class: 'field' }, h('label', { for: 'sup-maxsev' }, 'Severity at most'), f.maxSeverity),
        h('div', { class: 'field' }, h('label', { for: 'sup-entity-type' }, 'Entity type'), f.entityType),
        h('div', { class: 'field' }, h('label', { for: 'sup-entity-value' }, 'Entity value'), f.entityValue,
          h('div', { class: 'check' }, f.entityContains, h('label', { for: 'sup-entity-contains' }, 'Contains (not exact)'))))),
    h('div', { class: 'form-grid' },
      h('div', { class: 'field' }, h('label', { for: 'sup-reason' }, 'Reason'), f.reason),
      h('div', { class: 'field' }, h('label', { for: 'sup-state' }, 'State'), f.state),
      h('div', { class: 'field' }, h('label', { for: 'sup-expires' }, 'Expires (optional)'), f.expires)),
    h('div', { class: 'field' }, h('label', { for: 'sup-comment' }, 'Comment'), f.comment),
    h('div', { class: 'check' }, f.dismiss, h('label', { for: 'sup-dismiss' }, 'Also dismiss the matching alerts already in this incident')),
    h('div', { class: 'actions simulate-row' },
      h('label', { for: 'sup-days', class: 'visually-hidden' }, 'Stored alerts to check'), f.days,
      h('button', { type: 'button', class: 'btn', id: 'simulate-rule', onclick: simulate }, 'Show what it would match'),
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'create-rule' }, icon('mute'), 'Create rule')),
    sim, msg);
    if (alerts.length) fillFrom(alerts[0].id);
    return h('details', { class: 'action', id: 'act-suppress' },
      h('summary', {}, icon('mute'), h('span', {}, 'Suppress similar alerts')),
      alerts.length ? form : h('p', { class: 'muted' }, 'This incident has no alerts to build a rule from.'));
  }

  drawLeft();
  left.querySelector('#inc-title').focus();
}

// "alert:SSH brute force" → "from alert SSH brute force"; "type:…" and
// "tactic:…" read likewise.
function sourceWords(src) {
  const [kind, ...rest] = String(src).split(':');
  const v = rest.join(':');
  if (!v) return src;
  switch (kind) {
    case 'alert': return `from alert ${v}`;
    case 'catalogue': return `Muster catalogue for ${v}`;
    case 'type': return `detection type ${v}`;
    case 'tactic': return `the ${stageLabel(v)} stage`;
    case 'resource': return `resource type ${v}`;
    default: return src;
  }
}

function guessParam(prm, inc) {
  const n = prm.name.toLowerCase();
  const res = inc.resources || [];
  if (n.includes('instance')) {
    const r = res.find((x) => /instance/i.test(x.type || '') || /(^|\/)i-[0-9a-f]+$/.test(x.id || ''));
    if (r) { const m = (r.id || '').match(/i-[0-9a-f]+/); return m ? m[0] : r.id; }
  }
  if (n === 'incidentid' || n === 'incident') return inc.id;
  if (n.includes('resource') && res[0]) return res[0].id;
  return prm.default !== undefined ? String(prm.default) : '';
}

function simulationView(data) {
  const d = data || {};
  const n = d.matched ?? d.matches ?? d.count;
  const examined = d.examined;
  const days = d.days;
  if (n === undefined) return h('div', { class: 'banner warn', role: 'status' }, 'The API did not say how many alerts match.');
  const scope = [days ? `last ${days} days` : '', examined !== undefined ? `${examined} alert${examined === 1 ? '' : 's'} checked` : '',
    d.truncated ? 'more were stored than a simulation checks' : ''].filter(Boolean).join(', ');
  return h('div', { class: 'banner info', role: 'status' },
    h('p', {}, h('strong', {}, `Would match ${n} stored alert${n === 1 ? '' : 's'}`), scope ? ` (${scope}).` : '.'));
}

// catalogued: Muster's steps for the alert's type (from an incident's
// take-action content), or null when they were not looked up.
function alertDetail(a, compact, catalogued = null) {
  const own = a.remediationSteps || [];
  const seen = new Set(own.map((x) => x.trim().toLowerCase()));
  const extra = (catalogued || []).filter((x) => !seen.has(x.trim().toLowerCase()));
  const none = catalogued
    ? h('p', { class: 'muted' }, 'Neither the source nor Muster\u2019s catalogue has remediation steps for this alert type.')
    : h('p', { class: 'muted' }, 'The source gave no remediation steps.',
      a.incidentId ? [' Muster\u2019s catalogued steps are on its ', h('a', { href: `#/incidents/${encodeURIComponent(a.incidentId)}` }, 'incident'), '\u2019s Take action tab.'] : null);
  return h('article', { class: compact ? 'alert-card' : 'card', 'aria-labelledby': `alert-title-${a.id}` },
    h(compact ? 'h3' : 'h1', { id: `alert-title-${a.id}`, tabindex: '-1' }, icon('alert'), ' ', a.name || a.type),
    h('div', { class: 'badges' }, sevBadge(a.severity), h('span', { class: 'status' }, words(a.status))),
    a.description ? h('p', { class: 'desc' }, a.description) : null,
    facts([
      ['Detection type', h('span', { class: 'mono' }, a.type)],
      ['Provider', words(a.provider)],
      ['Activity time', `${when(a.firstSeen)} – ${when(a.lastSeen)}`],
      ['Count', a.count ? String(a.count) : ''],
      ['Tactics', (a.tactics || []).filter((t) => t !== 'Unknown').map(stageLabel).join(', ') || '—'],
      ['Techniques', (a.techniques || []).join(', ')],
      reasonText(a) ? ['Why it joined', reasonText(a)] : null,
      ['Source id', h('span', { class: 'mono break' }, a.sourceId)],
      a.suppressedBy ? ['Suppressed by', a.suppressedBy] : null,
      !compact && a.incidentId ? ['Incident', h('a', { href: `#/incidents/${encodeURIComponent(a.incidentId)}` }, a.incidentId)] : null,
    ]),
    (a.entities || []).length ? [h(compact ? 'h4' : 'h2', {}, 'Entities'),
      entityTags(a.entities)] : null,
    h(compact ? 'h4' : 'h2', {}, 'Affected resources'),
    resourceList(a.resources),
    h(compact ? 'h4' : 'h2', {}, 'Remediation steps'),
    own.length || extra.length ? h('ol', { class: 'steps' },
      own.map((s) => h('li', {}, s)),
      extra.map((s) => h('li', {}, s, h('span', { class: 'muted small' }, ' (Muster catalogue)'))))
      : none);
}

export async function renderAlertPage(main, id) {
  document.title = 'Alert · Muster';
  replace(main, h('p', { class: 'loading' }, 'Loading alert…'));
  try {
    const { data } = await api('GET', `alerts/${encodeURIComponent(id)}`);
    const a = (data && (data.alert || data)) || {};
    document.title = `${a.name || a.type} · Muster`;
    replace(main, h('div', { class: 'details narrow-page' }, crumbs(a.name || a.type), alertDetail(a, false)));
    main.querySelector('h1').focus();
  } catch (err) {
    const box = h('div');
    replace(main, crumbs('Alert'), h('h1', {}, 'Alert'), box);
    showError(box, err, 'The alert could not be loaded');
  }
}
