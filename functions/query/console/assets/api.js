// The API client. The token lives in session storage only (gone when the tab
// closes), travels in the Authorization header only (never in a URL), and is
// never logged. Every failure becomes an ApiError whose message is words a
// person can act on, taken from the problem+json title and detail.

const TOKEN_KEY = 'muster.apiToken';

export function getToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setToken(t) {
  sessionStorage.setItem(TOKEN_KEY, t);
}

export function clearToken() {
  try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* storage disabled */ }
}

// The API lives where the console is served from (the query function serves
// both), also behind an API Gateway stage prefix such as /prod/.
function apiURL(path, query) {
  const base = new URL('.', window.location.href);
  base.hash = '';
  base.search = '';
  const url = new URL(path.replace(/^\/+/, ''), base);
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue;
    url.searchParams.set(k, v);
  }
  return url;
}

export class ApiError extends Error {
  constructor(status, title, detail, problem) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail || '';
    this.problem = problem || {};
  }
}

const STATUS_WORDS = {
  400: 'The request was not valid',
  401: 'Your API token was not accepted',
  403: 'Your API token does not allow this',
  404: 'Not found',
  409: 'This change is not allowed now',
  412: 'Someone else changed this incident; reload',
  413: 'The request is too large',
  415: 'The request had the wrong content type',
  429: 'Too many requests; wait a moment and try again',
  500: 'The Muster API failed',
  502: 'The Muster API is unavailable',
  503: 'The Muster API is unavailable',
  504: 'The Muster API timed out',
};

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

// api('GET', 'alerts', {query: {kind: 'all'}}) → {data, status, headers}.
export async function api(method, path, { query, body, headers } = {}) {
  const h = { Accept: 'application/json, application/problem+json' };
  const token = getToken();
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  Object.assign(h, headers || {});
  let res;
  try {
    res = await fetch(apiURL(path, query), {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch (err) {
    throw new ApiError(0, 'Could not reach the Muster API', `the network request failed (${err && err.message ? err.message : 'no answer'}); check your connection and try again`);
  }
  // 304 answers a poll with If-None-Match: nothing changed, no body.
  if (res.status === 304) return { data: null, status: 304, headers: res.headers };
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const p = data && typeof data === 'object' ? data : {};
    let title = p.title && p.title !== 'about:blank' ? p.title : (STATUS_WORDS[res.status] || `The API answered ${res.status}`);
    let detail = typeof p.detail === 'string' ? p.detail : '';
    if (res.status === 412) {
      title = 'Someone else changed this incident; reload';
      detail = detail || 'your change was not saved because the incident was updated after you opened it. Reload to see the latest version, then make your change again.';
    }
    if (!detail && p.field) detail = `${p.field}: ${p.reason || 'invalid'}`;
    if (!detail && !data && text && res.status >= 500) detail = 'the server gave no explanation';
    if (res.status === 401) onUnauthorized();
    throw new ApiError(res.status, title, detail, p);
  }
  return { data, status: res.status, headers: res.headers };
}

// items(data) accepts {items: [...]} or a bare array.
export function items(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}
