// Muster console entry point: sign-in and a hash router. Pages:
//   #/alerts             Security alerts (alerts and incidents, filters, quick look)
//   #/incidents/<id>     Incident full details (Alerts and Take action tabs)
//   #/alerts/<id>        Alert details
//   #/entities/<t>/<v>   An entity's history (IP, host, account, key, resource…)
//   #/dashboard          Charts of GET /metrics
//   #/candidates         Candidates (groups below the incident threshold)
//   #/automation         Automation rules (list, edit, preview, delete)
import { api, items, getToken, setToken, clearToken, setUnauthorizedHandler } from './api.js';
import { loadSources } from './format.js';
import { h, icon, replace } from './dom.js';
import { renderAlertsPage } from './alerts.js';
import { renderIncidentPage, renderAlertPage } from './details.js';
import { renderEntityPage } from './entities.js';
import { renderDashboard } from './dashboard.js';
import { renderCandidatesPage } from './candidates.js';
import { renderAutomationPage } from './automation.js';

const main = document.getElementById('main');
let signInMessage = '';

function renderSession() {
  const box = document.getElementById('session');
  if (!getToken()) { replace(box); return; }
  replace(box, h('button', { type: 'button', class: 'btn btn-quiet', id: 'sign-out', onclick: signOut },
    icon('sign-out'), 'Sign out'));
}

function signOut() {
  clearToken();
  signInMessage = 'You signed out. The token was removed from this browser tab.';
  route();
}

setUnauthorizedHandler(() => {
  clearToken();
  signInMessage = 'Your API token was not accepted (401). Paste a valid token to continue.';
  renderSession();
  // Re-render as sign-in on the next tick so the failing page can finish.
  setTimeout(route, 0);
});

function renderSignIn() {
  document.title = 'Sign in · Muster';
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-help' });
  const form = h('form', {
    class: 'card signin', 'aria-labelledby': 'signin-title',
    onsubmit: (e) => {
      e.preventDefault();
      const t = input.value.trim();
      if (!t) { input.focus(); return; }
      setToken(t);
      input.value = '';
      signInMessage = '';
      route();
    },
  },
  h('h1', { id: 'signin-title' }, icon('lock'), ' Sign in to Muster'),
  signInMessage ? h('p', { class: 'banner warn', role: 'alert' }, signInMessage) : null,
  h('label', { for: 'token' }, 'API token'),
  input,
  h('p', { id: 'token-help', class: 'help' }, 'Paste a Muster API token with the read scope (write to change incidents). It is kept only in this tab’s session storage and sent as a bearer token; it never appears in a URL.'),
  h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in'));
  replace(main, form);
  input.focus();
}

function setNav(name) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

// sources loads the source registry once per page load (GET /sources);
// without it the console keeps its built-in list.
let sourcesLoaded = null;
function sources() {
  sourcesLoaded ??= api('GET', 'sources').then(({ data }) => loadSources(items(data))).catch(() => { sourcesLoaded = null; });
  return sourcesLoaded;
}

async function route() {
  renderSession();
  if (!getToken()) { setNav(''); renderSignIn(); return; }
  await sources();
  const hash = window.location.hash || '#/alerts';
  let m;
  if ((m = hash.match(/^#\/incidents\/([^/?#]+)$/))) {
    setNav('alerts');
    await renderIncidentPage(main, decodeURIComponent(m[1]));
  } else if ((m = hash.match(/^#\/entities\/([^/?#]+)\/([^/?#]+)$/))) {
    setNav('alerts');
    await renderEntityPage(main, decodeURIComponent(m[1]), decodeURIComponent(m[2]));
  } else if (hash === '#/dashboard') {
    setNav('dashboard');
    await renderDashboard(main);
  } else if ((m = hash.match(/^#\/alerts\/([^/?#]+)$/))) {
    setNav('alerts');
    await renderAlertPage(main, decodeURIComponent(m[1]));
  } else if (hash === '#/candidates') {
    setNav('candidates');
    await renderCandidatesPage(main);
  } else if (hash === '#/automation') {
    setNav('automation');
    await renderAutomationPage(main);
  } else {
    setNav('alerts');
    await renderAlertsPage(main);
  }
}

window.addEventListener('hashchange', () => { route(); });
route();
