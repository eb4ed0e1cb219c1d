// The Automation page (#/automation): the automation rules in run order
// (GET /automation-rules) with their state, triggers, hits and last hit; a
// form that creates or edits one (POST, or PATCH with If-Match), previewed
// first by POST /automation-rules/simulate; and delete. A 400 marks the
// field the API names (e.g. actions[1].owner), 409 shows the API's detail,
// 412 says someone else changed the rule. What a rule is: docs/automation.md.
import { api, items, ApiError } from './api.js';
import { h, icon, replace, announce } from './dom.js';
import { words, when, SEVERITIES, STAGES, INCIDENT_STATUSES, CLASSIFICATIONS } from './format.js';
import { sevBadge, showError } from './alerts.js';
import { openDialog } from './corrections.js';

const STATES = ['Enabled', 'Shadow', 'Disabled'];
const TRIGGERS = [
  ['created', 'Created'], ['updated', 'Updated'], ['alertsAdded', 'Alerts added'], ['statusChanged', 'Status changed'],
];
const ACTIONS = [
  ['assign', 'Assign'], ['setSeverity', 'Set severity'], ['addTags', 'Add tags'], ['removeTags', 'Remove tags'],
  ['setStatus', 'Set status'], ['runPlaybook', 'Run playbook'], ['stop', 'Stop'],
];
// List conditions edited as comma-separated text.
const LIST_CONDITIONS = [
  ['tactics', 'Tactics', `any of: ${STAGES.join(', ')}`],
  ['providers', 'Providers', 'e.g. guardduty, falco'],
  ['alertTypes', 'Alert types', 'exact, or a prefix ending in * (UnauthorizedAccess:*)'],
  ['resources', 'Resource ids', 'e.g. i-0a1b2c3d4e5f60718'],
  ['tags', 'Incident tags', 'the incident carries one of these'],
];
const PREVIEW_DAYS = [1, 7, 14, 30];

const csv = (v) => String(v || '').split(',').map((x) => x.trim()).filter(Boolean);
const triggerWords = (ts) => (ts && ts.length ? ts : TRIGGERS.map(([t]) => t))
  .map((t) => (TRIGGERS.find(([k]) => k === t) || [t, t])[1]).join(', ');

export async function renderAutomationPage(main) {
  document.title = 'Automation · Muster';
  const list = h('div', { id: 'rules', 'aria-live': 'polite' });
  const msg = h('div', { class: 'list-banner', id: 'rules-msg', tabindex: '-1' });
  const editor = h('div', { id: 'rule-editor-box' });
  let playbooks = null;
  const page = {
    msg, editor,
    playbooks: async () => {
      if (playbooks) return playbooks;
      try { playbooks = items((await api('GET', 'playbooks')).data).map((p) => p.name); } catch { playbooks = []; }
      return playbooks;
    },
    reload: () => load(),
  };
  replace(main, h('section', { class: 'content automation', 'aria-labelledby': 'page-title' },
    h('h1', { id: 'page-title' }, 'Automation'),
    h('p', { class: 'lead' }, 'Rules that act on incidents the moment they appear or change: assign, set severity, tag, set status or run a playbook. They run in order; Shadow rules only record what they would do.'),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'btn btn-primary', id: 'new-rule', onclick: () => openEditor(page, null) }, 'New rule'),
      h('button', { type: 'button', class: 'btn', id: 'refresh-rules', onclick: () => load() }, icon('refresh'), 'Refresh')),
    msg, editor, list));

  async function load() {
    list.setAttribute('aria-busy', 'true');
    replace(list, h('p', { class: 'loading' }, 'Loading rules…'));
    try {
      const rules = items((await api('GET', 'automation-rules')).data);
      replace(list, rules.length
        ? h('ol', { class: 'rule-list' }, rules.map((r) => ruleCard(page, r)))
        : h('p', { class: 'muted' }, 'No automation rules yet. Create one with New rule.'));
    } catch (err) {
      replace(list);
      showError(msg, err, 'The rules could not be listed');
    } finally { list.removeAttribute('aria-busy'); }
  }
  await load();
}

function ruleCard(page, r) {
  const state = r.effectiveState && r.effectiveState !== r.state ? `${r.state} (${r.effectiveState} now)` : r.state;
  return h('li', { class: 'card rule', dataset: { id: r.id } },
    h('div', { class: 'rule-head' },
      h('span', { class: 'rule-order', title: 'Order' }, `#${r.order}`),
      h('h2', {}, r.name),
      h('span', { class: `chip state state-${String(r.effectiveState || r.state).toLowerCase()}` }, state)),
    h('dl', { class: 'facts rule-facts' },
      h('dt', {}, 'Triggers'), h('dd', { class: 'rule-triggers' }, triggerWords(r.triggers)),
      h('dt', {}, 'Hits'), h('dd', { class: 'rule-hits' }, String(r.hits || 0)),
      h('dt', {}, 'Last hit'), h('dd', { class: 'rule-last-hit' }, r.lastHitAt ? when(r.lastHitAt) : 'never'),
      h('dt', {}, 'Does'), h('dd', {}, (r.actions || []).map(actionWords).join('; ') || 'nothing'),
      r.expiresAt ? [h('dt', {}, 'Expires'), h('dd', {}, when(r.expiresAt))] : null),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn btn-small edit-rule', onclick: () => openEditor(page, r) },
        'Edit', h('span', { class: 'visually-hidden' }, ` ${r.name}`)),
      h('button', { type: 'button', class: 'btn btn-small delete-rule', onclick: () => confirmDelete(page, r) },
        'Delete…', h('span', { class: 'visually-hidden' }, ` ${r.name}`))));
}

function actionWords(a) {
  const name = (ACTIONS.find(([k]) => k === a.type) || [a.type, a.type])[1];
  const what = a.owner || a.severity || (a.tags || []).join(', ') || a.playbook || (a.status ? words(a.status) : '');
  return what ? `${name} ${what}` : name;
}

function banner(box, kind, text) {
  replace(box, h('p', { class: `banner ${kind}`, role: kind === 'error' || kind === 'warn' ? 'alert' : 'status' }, text));
  announce(text);
}

function confirmDelete(page, r) {
  openDialog({
    id: 'delete-rule-dialog', title: `Delete “${r.name}”?`,
    body: (close) => {
      const msg = h('div', { class: 'form-msg' });
      const yes = h('button', { type: 'button', class: 'btn btn-primary', id: 'confirm-delete-rule' }, 'Delete rule');
      yes.addEventListener('click', async () => {
        yes.disabled = true;
        try {
          await api('DELETE', `automation-rules/${encodeURIComponent(r.id)}`);
          close();
          await page.reload();
          banner(page.msg, 'ok', `Deleted the rule “${r.name}”.`);
        } catch (err) {
          yes.disabled = false;
          showError(msg, err, 'The rule was not deleted');
        }
      });
      return [h('p', {}, 'It stops acting at once. Timeline entries it left stay.'), msg,
        h('div', { class: 'actions' }, yes, h('button', { type: 'button', class: 'btn', onclick: close }, 'Cancel'))];
    },
  });
}

// field is a labelled input whose name is the API's field path, so a 400
// naming that path marks it.
function field(id, label, input, help) {
  if (help) input.setAttribute('aria-describedby', `${id}-help`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input,
    help ? h('p', { class: 'help', id: `${id}-help` }, help) : null);
}

function select(id, name, options, value, blank) {
  return h('select', { id, name },
    blank ? h('option', { value: '' }, blank) : null,
    options.map((o) => {
      const [v, label] = Array.isArray(o) ? o : [o, words(o)];
      return h('option', { value: v, selected: v === value }, label);
    }));
}

async function openEditor(page, rule) {
  replace(page.msg);
  const r = rule || { name: '', order: 100, state: 'Shadow', triggers: ['created'], conditions: {}, actions: [{ type: 'addTags', tags: [] }] };
  let etag = rule ? `"${rule.version}"` : '';
  if (rule) {
    // The rule as stored now, with its ETag for If-Match.
    try {
      const got = await api('GET', `automation-rules/${encodeURIComponent(rule.id)}`);
      Object.assign(r, got.data || {});
      etag = got.headers.get('ETag') || `"${r.version}"`;
    } catch (err) { showError(page.msg, err, 'The rule could not be loaded'); return; }
  }
  const pbs = await page.playbooks();
  const form = ruleForm(r, pbs);
  const msg = h('div', { class: 'form-msg', id: 'rule-msg' });
  const sim = h('div', { class: 'simulation', id: 'rule-preview', 'aria-live': 'polite' });
  const days = select('preview-days', 'days', PREVIEW_DAYS.map((d) => [String(d), d === 1 ? 'Last day' : `Last ${d} days`]), '7');
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'save-rule' }, rule ? 'Save rule' : 'Create rule');
  const previewBtn = h('button', { type: 'button', class: 'btn', id: 'preview-rule' }, 'Preview');
  const close = () => { replace(page.editor); document.getElementById('new-rule')?.focus(); };
  form.el.append(
    h('fieldset', { class: 'preview-box' }, h('legend', {}, 'Preview on stored incidents'),
      h('div', { class: 'inline-fields' }, field('preview-days', 'Incidents active in the', days), previewBtn), sim),
    msg,
    h('div', { class: 'actions' }, save, h('button', { type: 'button', class: 'btn', id: 'cancel-rule', onclick: close }, 'Cancel')));
  previewBtn.addEventListener('click', () => preview(form, Number(days.value), sim));
  form.el.addEventListener('submit', async (e) => {
    e.preventDefault();
    save.disabled = true;
    try {
      const body = form.read();
      const got = rule
        ? await api('PATCH', `automation-rules/${encodeURIComponent(rule.id)}`, { body, headers: { 'If-Match': etag } })
        : await api('POST', 'automation-rules', { body });
      close();
      await page.reload();
      banner(page.msg, 'ok', `${rule ? 'Saved' : 'Created'} the rule “${(got.data && got.data.name) || body.name}”.`);
      page.msg.focus();
    } catch (err) {
      refusedRule(msg, err, form.el);
    } finally { save.disabled = false; }
  });
  replace(page.editor, h('section', { class: 'card rule-editor', id: 'rule-editor', 'aria-labelledby': 'rule-editor-title' },
    h('h2', { id: 'rule-editor-title', tabindex: '-1' }, rule ? `Edit “${rule.name}”` : 'New rule'), form.el));
  document.getElementById('rule-name').focus();
}

// refusedRule says why the API refused the rule: 412 someone changed it,
// 409 the API's words, 400 marks the field it names (or the nearest
// enclosing one: actions[2].parameters.instanceId marks actions[2].parameters).
function refusedRule(msg, err, form) {
  if (err instanceof ApiError && err.status === 412) {
    banner(msg, 'warn', 'Someone else changed this rule since you opened it, so your change was not saved. Cancel, then edit it again to see the latest version.');
    return;
  }
  showError(msg, err, 'The rule was not saved');
  if (!(err instanceof ApiError) || err.status !== 400) return;
  let name = (err.problem && err.problem.field) || '';
  while (name) {
    const el = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      el.addEventListener('input', () => el.removeAttribute('aria-invalid'), { once: true });
      el.focus();
      return;
    }
    name = name.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
  }
}

async function preview(form, days, sim) {
  sim.setAttribute('aria-busy', 'true');
  replace(sim, h('p', { class: 'loading' }, 'Trying the rule…'));
  try {
    const { data } = await api('POST', 'automation-rules/simulate', { body: { rule: form.read(), days } });
    replace(sim, previewView(data || {}));
  } catch (err) {
    refusedRule(sim, err, form.el);
  } finally { sim.removeAttribute('aria-busy'); }
}

function previewView(d) {
  const incs = d.incidents || [];
  return [
    h('p', { class: 'banner info', role: 'status' },
      `It would match ${d.matched ?? incs.length} of the ${d.examined ?? '?'} incidents active in the last ${d.days || '?'} days`,
      d.truncated ? ' (only the newest were tried)' : '', '. Nothing was changed.'),
    incs.length ? h('ul', { class: 'preview-list' }, incs.map((i) => h('li', {},
      h('div', {}, sevBadge(i.severity), ' ', h('a', { href: `#/incidents/${encodeURIComponent(i.incidentId)}` }, i.title),
        h('span', { class: 'muted small' }, ` · ${words(i.status)}`)),
      h('ul', { class: 'plain small' },
        (i.actions || []).map((a) => h('li', {}, [a.action, a.detail, a.from || a.to ? `${a.from || '—'} → ${a.to || '—'}` : ''].filter(Boolean).join(': '))),
        (i.requests || []).map((q) => h('li', {}, `runs ${q.playbook}`, Object.keys(q.parameters || {}).length ? ` with ${JSON.stringify(q.parameters)}` : '')))))) : null,
  ];
}

// ruleForm builds the rule's fields; read() gives the API body.
function ruleForm(r, playbooks) {
  const c = r.conditions || {};
  const name = h('input', { id: 'rule-name', name: 'name', type: 'text', value: r.name, maxlength: 128, required: true, autocomplete: 'off' });
  const order = h('input', { id: 'rule-order', name: 'order', type: 'number', value: String(r.order ?? 100), step: 1 });
  const state = select('rule-state', 'state', STATES, r.state || 'Enabled');
  const trig = TRIGGERS.map(([t, label]) => h('input', { type: 'checkbox', id: `trigger-${t}`, name: 'triggers', value: t,
    checked: !(r.triggers || []).length || r.triggers.includes(t), 'aria-label': label }));
  const sevAtLeast = select('cond-severityAtLeast', 'conditions.severityAtLeast', SEVERITIES, c.severityAtLeast || '', 'Any severity');
  const lists = LIST_CONDITIONS.map(([k, label, help]) => [k, label, help,
    h('input', { id: `cond-${k}`, name: `conditions.${k}`, type: 'text', value: (c[k] || []).join(', '), autocomplete: 'off' })]);
  const title = h('input', { id: 'cond-titleContains', name: 'conditions.titleContains', type: 'text', value: c.titleContains || '', autocomplete: 'off' });
  const minConf = h('input', { id: 'cond-minConfidence', name: 'conditions.minConfidence', type: 'number', min: 0, max: 100, value: c.minConfidence ? String(c.minConfidence) : '' });
  const actions = actionList(r.actions || [], playbooks);
  const el = h('form', { id: 'rule-form', novalidate: true },
    h('div', { class: 'inline-fields' }, field('rule-name', 'Name', name), field('rule-order', 'Order (lower runs first)', order), field('rule-state', 'State', state)),
    h('fieldset', { class: 'triggers' }, h('legend', {}, 'Runs when an incident is'),
      TRIGGERS.map(([t, label], i) => h('span', { class: 'check' }, trig[i], h('label', { for: `trigger-${t}` }, label)))),
    h('fieldset', { class: 'conditions' }, h('legend', {}, 'Conditions (every one given must hold; lists are comma-separated, any value matches)'),
      field('cond-severityAtLeast', 'Severity at least', sevAtLeast),
      lists.map(([k, label, help, input]) => field(`cond-${k}`, label, input, help)),
      field('cond-titleContains', 'Title contains', title),
      field('cond-minConfidence', 'Confidence at least (0–100)', minConf)),
    actions.el);
  const read = () => {
    const conditions = {};
    if (sevAtLeast.value) conditions.severityAtLeast = sevAtLeast.value;
    for (const [k, , , input] of lists) if (csv(input.value).length) conditions[k] = csv(input.value);
    if (title.value.trim()) conditions.titleContains = title.value.trim();
    if (minConf.value !== '') conditions.minConfidence = Number(minConf.value);
    return {
      name: name.value.trim(), order: Number(order.value || 0), state: state.value,
      triggers: trig.filter((t) => t.checked).map((t) => t.value),
      conditions, actions: actions.read(),
    };
  };
  return { el, read };
}

// actionList edits the rule's actions in order: a type, then its fields.
function actionList(initial, playbooks) {
  const rows = initial.map((a) => ({ ...a }));
  const box = h('ol', { class: 'action-rows', id: 'action-rows' });
  const add = h('button', { type: 'button', class: 'btn btn-small', id: 'add-action' }, 'Add action');
  const el = h('fieldset', { class: 'rule-actions' }, h('legend', {}, 'Actions, in order'), box, add);
  const draw = () => replace(box, rows.map((a, i) => actionRow(a, i, playbooks, {
    change: draw,
    remove: () => { rows.splice(i, 1); draw(); },
  })));
  add.addEventListener('click', () => {
    rows.push({ type: 'addTags', tags: [] });
    draw();
    document.getElementById(`action-${rows.length - 1}-type`).focus();
  });
  draw();
  return { el, read: () => rows.map(cleanAction) };
}

function cleanAction(a) {
  const keep = {
    assign: ['owner'], setSeverity: ['severity'], addTags: ['tags'], removeTags: ['tags'],
    setStatus: ['status', 'classification', 'comment'], runPlaybook: ['playbook', 'parameters'], stop: [],
  }[a.type] || [];
  const out = { type: a.type };
  for (const k of keep) if (a[k] !== undefined && a[k] !== '') out[k] = a[k];
  return out;
}

function actionRow(a, i, playbooks, on) {
  const id = (k) => `action-${i}-${k}`;
  const nm = (k) => `actions[${i}].${k}`;
  const set = (k) => (e) => { a[k] = e.target.value; };
  const type = select(id('type'), nm('type'), ACTIONS, a.type);
  type.addEventListener('change', (e) => { a.type = e.target.value; on.change(); document.getElementById(id('type')).focus(); });
  let fields = [];
  switch (a.type) {
  case 'assign':
    fields = [field(id('owner'), 'Owner', h('input', { id: id('owner'), name: nm('owner'), type: 'text', value: a.owner || '', autocomplete: 'off', oninput: set('owner') }))];
    break;
  case 'setSeverity':
    fields = [field(id('severity'), 'Severity', select(id('severity'), nm('severity'), SEVERITIES, a.severity || '', 'Choose…'))];
    fields[0].querySelector('select').addEventListener('change', set('severity'));
    break;
  case 'addTags': case 'removeTags':
    fields = [field(id('tags'), 'Tags, comma-separated', h('input', { id: id('tags'), name: nm('tags'), type: 'text', value: (a.tags || []).join(', '), autocomplete: 'off',
      oninput: (e) => { a.tags = csv(e.target.value); } }), '1–64 of A–Z a–z 0–9 : . _ / -')];
    break;
  case 'setStatus':
    fields = statusFields(a, id, nm, set);
    break;
  case 'runPlaybook':
    fields = playbookFields(a, id, nm, playbooks);
    break;
  default:
    fields = [h('p', { class: 'muted small' }, 'No later action and no later rule runs on this change.')];
  }
  return h('li', { class: 'action-row' },
    h('div', { class: 'inline-fields' }, field(id('type'), `Action ${i + 1}`, type),
      h('button', { type: 'button', class: 'btn btn-small remove-action', onclick: on.remove }, 'Remove', h('span', { class: 'visually-hidden' }, ` action ${i + 1}`))),
    fields);
}

function statusFields(a, id, nm, set) {
  const status = select(id('status'), nm('status'), INCIDENT_STATUSES, a.status || '', 'Choose…');
  const cls = select(id('classification'), nm('classification'), CLASSIFICATIONS, a.classification || '', 'Not classified');
  status.addEventListener('change', set('status'));
  cls.addEventListener('change', set('classification'));
  return [field(id('status'), 'Status', status), field(id('classification'), 'Classification', cls),
    field(id('comment'), 'Comment', h('input', { id: id('comment'), name: nm('comment'), type: 'text', value: a.comment || '', autocomplete: 'off', oninput: set('comment') }))];
}

function playbookFields(a, id, nm, playbooks) {
  const names = [...new Set([...playbooks, a.playbook].filter(Boolean))];
  const pb = names.length
    ? select(id('playbook'), nm('playbook'), names.map((n) => [n, n]), a.playbook || '', 'Choose…')
    : h('input', { id: id('playbook'), name: nm('playbook'), type: 'text', value: a.playbook || '', autocomplete: 'off' });
  pb.addEventListener(pb.tagName === 'SELECT' ? 'change' : 'input', (e) => { a.playbook = e.target.value; });
  const params = h('textarea', { id: id('parameters'), name: nm('parameters'), rows: 2, spellcheck: 'false' });
  params.value = a.parameters ? JSON.stringify(a.parameters) : '';
  params.addEventListener('input', () => {
    try { a.parameters = params.value.trim() ? JSON.parse(params.value) : undefined; params.removeAttribute('aria-invalid'); } catch { params.setAttribute('aria-invalid', 'true'); }
  });
  return [field(id('playbook'), 'Playbook', pb),
    field(id('parameters'), 'Parameters (JSON)', params, 'e.g. {"instanceId": "{{firstInstanceId}}"}; templates: {{incidentId}}, {{firstResourceId}}, {{firstInstanceId}}, {{firstAccessKey}}, {{firstAccount}}, {{firstIp}}, {{firstHost}}')];
}

