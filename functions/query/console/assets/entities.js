// Investigation: an entity's page (#/entities/<type>/<value>: when it was
// seen, its incidents and alerts, the resources it touched, whether it
// turned noisy) and an incident's Related section.
import { api, ApiError } from './api.js';
import { h, icon, replace } from './dom.js';
import { when, words } from './format.js';
import { sevBadge, showError } from './alerts.js';

// The entity types the API has pages for, and the alert entity types that
// map onto them.
export const ENTITY_PAGES = ['resource', 'ip', 'host', 'account', 'accesskey', 'filehash', 'domain'];
const TYPE_WORDS = {
  resource: 'Resource', ip: 'IP address', host: 'Host', account: 'Account', accesskey: 'Access key',
  filehash: 'File hash', domain: 'Domain',
};
const KEY_KINDS = { res: 'resource', ip: 'ip', host: 'host', account: 'account', accesskey: 'accesskey', filehash: 'filehash', domain: 'domain' };

export function entityHref(type, value) {
  return `#/entities/${encodeURIComponent(type)}/${encodeURIComponent(value)}`;
}

// entityLink links a value to its entity page when the type has one; other
// types stay plain text.
export function entityLink(type, value, label) {
  const text = label ?? value;
  if (!ENTITY_PAGES.includes(type) || !value) return h('span', {}, text);
  return h('a', { href: entityHref(type, value), class: 'entity-link', title: `${TYPE_WORDS[type]} ${value}` }, text);
}

// keyLink links a correlation key ("ip:203.0.113.66", "res:i-…").
export function keyLink(key) {
  const i = key.indexOf(':');
  const type = KEY_KINDS[key.slice(0, i)];
  return type ? entityLink(type, key.slice(i + 1), key) : h('span', { class: 'mono' }, key);
}

function crumbs(label) {
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h('a', { href: '#/alerts' }, 'Security alerts'), h('span', { 'aria-hidden': 'true' }, ' › '), h('span', { 'aria-current': 'page' }, label));
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export async function renderEntityPage(main, type, value) {
  const label = `${TYPE_WORDS[type] || type} ${value}`;
  document.title = `${label} · Muster`;
  replace(main, h('p', { class: 'loading' }, `Loading ${label}…`));
  const path = `entities/${encodeURIComponent(type)}/${encodeURIComponent(value)}`;
  let data;
  try {
    ({ data } = await api('GET', path, { query: { limit: 50 } }));
  } catch (err) {
    const box = h('div');
    replace(main, crumbs(label), h('h1', {}, label), box);
    showError(box, err, err instanceof ApiError && err.status === 400 ? 'This is not an entity Muster can look up' : 'The entity could not be loaded');
    return;
  }
  const alertList = h('ul', { class: 'plain entity-alerts', id: 'entity-alerts' });
  const more = h('div', { class: 'actions' });
  const addAlerts = (page) => {
    alertList.append(...page.alerts.map(alertRow));
    replace(more, page.cursor ? h('button', {
      type: 'button', class: 'btn', id: 'entity-more',
      onclick: async () => {
        try {
          const { data: next } = await api('GET', path, { query: { limit: 50, cursor: page.cursor } });
          addAlerts(next);
        } catch (err) { showError(more, err, 'More alerts could not be loaded'); }
      },
    }, 'Show older alerts') : null);
  };
  replace(main, h('div', { class: 'entity-page' },
    crumbs(label),
    h('div', { class: 'title-row' }, icon(type === 'resource' ? 'resource' : 'alert'), h('h1', { id: 'entity-title', class: 'break' }, label)),
    summary(data),
    h('div', { class: 'entity-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'entity-incidents-title' },
        h('h2', { id: 'entity-incidents-title' }, `Incidents (${data.incidents.length})`),
        incidentList(data.incidents, 'entity-incidents')),
      h('section', { class: 'card', 'aria-labelledby': 'entity-resources-title' },
        h('h2', { id: 'entity-resources-title' }, `Resources it touched (${data.resources.length}${data.resourcesTruncated ? '+' : ''})`),
        data.resources.length ? h('ul', { class: 'plain', id: 'entity-resources' }, data.resources.map((r) => h('li', { class: 'mono break' }, entityLink('resource', r))))
          : h('p', { class: 'muted' }, 'None recorded.'))),
    h('section', { class: 'card', 'aria-labelledby': 'entity-alerts-title' },
      h('h2', { id: 'entity-alerts-title' }, `Alerts (${data.alertCount}${data.truncated ? '+' : ''}), newest first`),
      alertList, more)));
  addAlerts(data);
  main.querySelector('#entity-title')?.focus?.();
}

function summary(d) {
  const noisy = d.noisy
    ? h('span', { class: 'status warn-text', id: 'entity-noisy' }, `Noisy since ${when(d.noisySince)} (on ${d.noisyDays.length} day${d.noisyDays.length === 1 ? '' : 's'}): it linked too many resources, so it no longer links alerts on those days`)
    : h('span', { id: 'entity-noisy' }, 'No');
  return h('section', { class: 'card', 'aria-label': 'Summary' },
    d.alertCount === 0 ? h('p', { class: 'banner info' }, `No alert named ${d.key} between ${d.from} and ${d.to} (private IPs never link alerts, so they have no history).`) : null,
    facts([
      ['Key', h('span', { class: 'mono break' }, d.key)],
      ['First seen', when(d.firstSeen)],
      ['Last seen', when(d.lastSeen)],
      ['Alerts', h('span', { id: 'entity-count' }, `${d.alertCount}${d.truncated ? '+ (a day reached the index limit)' : ''} on ${d.days} day${d.days === 1 ? '' : 's'}`)],
      ['Noisy', noisy],
      ['Looked back', `${d.from} – ${d.to} (UTC)`],
    ]));
}

function incidentList(incs, id) {
  if (!incs.length) return h('p', { class: 'muted' }, 'No incident.');
  return h('ul', { class: 'plain', id }, incs.map((i) => h('li', { class: 'entity-incident' },
    sevBadge(i.severity), ' ', h('a', { href: `#/incidents/${encodeURIComponent(i.id)}` }, i.title),
    h('div', { class: 'muted small' }, `${words(i.status)} · ${when(i.firstActivity)} – ${when(i.lastActivity)} · ${i.alerts} alert${i.alerts === 1 ? '' : 's'}`))));
}

function alertRow(a) {
  return h('li', { class: 'entity-alert' },
    h('a', { href: `#/alerts/${encodeURIComponent(a.id)}` }, a.name || a.id),
    h('div', { class: 'muted small' }, when(a.firstSeen),
      a.incidentId ? [' · incident ', h('a', { href: `#/incidents/${encodeURIComponent(a.incidentId)}` }, a.incidentId)] : null,
      a.resources.length ? [' · ', a.resources.map((r, i) => [i ? ', ' : '', entityLink('resource', r)])] : null));
}

// relatedSection loads GET /incidents/{id}/related into a section.
export function relatedSection(id) {
  const box = h('div', { class: 'loading' }, 'Looking for related incidents…');
  const section = h('section', { class: 'related', 'aria-labelledby': 'related-title', id: 'related' },
    h('h2', { id: 'related-title' }, 'Related incidents'), box);
  api('GET', `incidents/${encodeURIComponent(id)}/related`).then(({ data }) => {
    box.className = '';
    if (!data.items.length) {
      replace(box, h('p', { class: 'muted' }, `No other incident shares a resource or entity with this one within 30 days (${data.from} – ${data.to}).`));
      return;
    }
    replace(box, h('ul', { class: 'plain', id: 'related-list' }, data.items.map((r) => h('li', { class: 'related-item' },
      sevBadge(r.severity), ' ', h('a', { href: `#/incidents/${encodeURIComponent(r.id)}` }, r.title),
      h('div', { class: 'muted small' }, `${words(r.status)} · ${r.gapSeconds ? `${gapWords(r.gapSeconds)} apart` : 'overlapping in time'}${r.noisy ? ' · through a noisy key' : ''}`),
      h('div', { class: 'small' }, 'Shares ', r.shared.map((k, i) => [i ? ', ' : '', keyLink(k.key), k.noisy ? ' (noisy)' : '']))))));
  }).catch((err) => { box.className = ''; showError(box, err, 'Related incidents could not be loaded'); });
  return section;
}

export function gapWords(s) {
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min`;
  if (s < 2 * 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}
