// Drives the console's corrections against the real local stack, after
// console.mjs (TestConsoleLocalStack): it finds the multi-resource incident
// through the API, takes one alert out, makes an incident of it from the
// list, merges that incident back, changes the owner in bulk, meets a 412,
// filters by confidence and opens the Candidates page. The data is the
// scenario's, so ids are looked up, not assumed.
import { BASE, TOKEN, start, expect, waitFor } from './harness.mjs';

const MULTI = 'Security incident detected on multiple resources';
const { page, problems, step, shot, audit, finish } = await start();

// get reads the API from the page, as the console does.
const get = (path) => page.evaluate(async ([p, token]) => {
  const r = await fetch(p, { headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, etag: r.headers.get('ETag'), body: await r.json() };
}, [path, TOKEN]);
const alertIds = () => page.locator('#panel-alerts .alert-item').evaluateAll((bs) => bs.map((b) => b.dataset.id));
const listLoaded = () => waitFor(async () => !(await page.locator('#alerts-table tbody').getAttribute('aria-busy')), 'the list');

let incId = '';
let outId = '';
let newId = '';

await step('sign in and open the multi-resource incident: its confidence is shown', async () => {
  await page.goto(BASE);
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#alerts-table tbody tr.row').first().waitFor();
  const { body } = await get(`incidents?limit=200`);
  const inc = body.items.find((i) => i.title === MULTI);
  expect(inc, 'no multi-resource incident');
  incId = inc.id;
  await page.goto(`${BASE}#/incidents/${encodeURIComponent(incId)}`);
  await page.locator('#panel-alerts .alert-item').first().waitFor();
  expect((await page.locator('#inc-confidence .conf').textContent()) === `Confidence ${inc.confidence}/100`, 'confidence not shown');
  await shot('l01-incident');
});

await step('take an alert out with a reason', async () => {
  const before = await alertIds();
  expect(before.length >= 2, `${before.length} alerts`);
  outId = before[before.length - 1];
  await page.locator(`.remove-alert[data-id="${outId}"]`).click();
  await page.locator('#remove-reason').fill('Browser test: not part of this attack');
  await page.locator('#confirm-remove').click();
  await page.locator('#correction-notice.ok').waitFor();
  const after = await alertIds();
  expect(!after.includes(outId) && after.length === before.length - 1, `alerts after: ${after}`);
  await shot('l02-taken-out');
});

await step('create an incident from that alert on the list', async () => {
  await page.goto(`${BASE}#/alerts`);
  await listLoaded();
  await page.getByLabel('Rows per page').selectOption('100');
  await listLoaded();
  const box = page.locator(`#alerts-table tr[data-kind="alert"][data-id="${outId}"] .row-select`);
  await box.check();
  await page.locator('#create-incident').click();
  await page.locator('#create-title').fill('Browser test: set apart');
  await page.locator('#create-reason').fill('Browser test: its own incident');
  await page.locator('#confirm-create').click();
  await page.locator('#inc-title').waitFor();
  expect((await page.locator('#inc-title').textContent()) === 'Browser test: set apart', 'not on the new incident');
  newId = decodeURIComponent(page.url().split('#/incidents/')[1]);
  expect((await alertIds()).join() === outId, `new incident's alerts: ${await alertIds()}`);
  await shot('l03-created');
});

await step('merge it back into the multi-resource incident', async () => {
  await page.goto(`${BASE}#/incidents/${encodeURIComponent(incId)}`);
  await page.getByRole('button', { name: 'Merge incidents into this one…' }).click();
  const pick = page.locator(`#merge-dialog input[value="${newId}"]`);
  await pick.check();
  await page.locator('#merge-reason').fill('Browser test: it was part of it after all');
  await page.getByRole('button', { name: 'Review merge' }).click();
  await page.locator('#confirm-merge').click();
  await page.locator('#correction-notice.ok').waitFor();
  expect((await alertIds()).includes(outId), 'the alert did not come back');
  const merged = await get(`incidents/${encodeURIComponent(newId)}`);
  expect((merged.body.incident || merged.body).mergedInto === incId, `mergedInto: ${JSON.stringify(merged.body).slice(0, 200)}`);
  await shot('l04-merged');
  await audit('l04-merged');
});

await step('a stale version (412) reloads and says the incident changed', async () => {
  const st = await page.evaluate(async ([id, token]) => {
    const u = `incidents/${encodeURIComponent(id)}`;
    const g = await fetch(u, { headers: { Authorization: `Bearer ${token}` } });
    const r = await fetch(u, { method: 'PATCH', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'If-Match': g.headers.get('ETag') }, body: JSON.stringify({ owner: 'concurrent@example.com' }) });
    return r.status;
  }, [incId, TOKEN]);
  expect(st === 200, `the concurrent PATCH answered ${st}`);
  await page.locator(`.remove-alert[data-id="${outId}"]`).click();
  await page.locator('#remove-reason').fill('Browser test: stale');
  await page.locator('#confirm-remove').click();
  await page.locator('#correction-notice.warn').waitFor();
  expect((await alertIds()).includes(outId), 'the stale take-out was applied');
  await shot('l05-stale-412');
});

await step('bulk owner on the list', async () => {
  await page.goto(`${BASE}#/alerts`);
  await listLoaded();
  await page.locator(`#alerts-table tr[data-id="${incId}"] .row-select`).check();
  await page.locator('#bulk-owner').fill('bulk@example.com');
  await page.locator('#bulk-apply').click();
  const res = page.locator('#bulk-result');
  await res.waitFor();
  expect((await res.textContent()).startsWith('Updated 1 incident.'), `bulk: ${await res.textContent()}`);
  const { body } = await get(`incidents/${encodeURIComponent(incId)}`);
  expect((body.incident || body).owner === 'bulk@example.com', 'owner not changed');
  await shot('l06-bulk');
});

await step('confidence filter and Candidates are accepted by the API', async () => {
  await page.getByRole('button', { name: 'Add filter' }).click();
  await page.getByLabel('Filter by').selectOption('minConfidence');
  await page.locator('#filter-value').selectOption('30');
  await page.getByRole('button', { name: 'Apply' }).click();
  await listLoaded();
  expect(!(await page.locator('.list-banner .banner.error').count()), `filter: ${await page.locator('.list-banner').textContent()}`);
  const kinds = await page.locator('#alerts-table tbody tr.row').evaluateAll((trs) => trs.map((tr) => tr.dataset.kind));
  expect(kinds.every((k) => k === 'incident'), `rows: ${kinds}`);
  await shot('l07-min-confidence');
  await page.getByRole('link', { name: 'Candidates' }).click();
  await page.getByRole('heading', { level: 1, name: 'Candidates' }).waitFor();
  await waitFor(async () => !(await page.locator('#candidates').getAttribute('aria-busy')), 'the candidates');
  expect(!(await page.locator('#candidates-msg .banner.error').count()), `candidates: ${await page.locator('#candidates-msg').textContent()}`);
  console.log(`metric candidates=${await page.locator('.candidate').count()}`);
  await shot('l08-candidates');
});

await step('tag the incident, then find it by its tag', async () => {
  await page.goto(`${BASE}#/incidents/${encodeURIComponent(incId)}`);
  await page.locator('#edit-tags').click();
  await page.locator('#tags-input').fill('team:data, prio:1');
  await page.locator('#save-tags').click();
  await page.locator('#correction-notice.ok').waitFor();
  const chips = await page.locator('#inc-tags .chip.tag').allTextContents();
  expect(chips.join(',') === 'team:data,prio:1' || chips.join(',') === 'prio:1,team:data', `tags shown: ${chips}`);
  const { body } = await get(`incidents/${encodeURIComponent(incId)}`);
  expect(((body.incident || body).tags || []).includes('team:data'), 'tags not stored');
  await shot('l09-tags');
  await page.goto(`${BASE}#/alerts`);
  await listLoaded();
  await page.getByRole('button', { name: 'Add filter' }).click();
  await page.getByLabel('Filter by').selectOption('tag');
  await page.locator('#filter-value').fill('team:data');
  await page.getByRole('button', { name: 'Apply' }).click();
  await listLoaded();
  const ids = await page.locator('#alerts-table tbody tr.row').evaluateAll((trs) => trs.map((tr) => tr.dataset.id));
  expect(ids.length === 1 && ids[0] === incId, `tag filter rows: ${ids}`);
  await shot('l10-tag-filter');
});

await step('no console errors, CSP violations or token leaks', async () => {
  const real = problems.filter((p) => !/Failed to load resource: the server responded with a status of 412/.test(p));
  expect(real.length === 0, real.join('; '));
});

await finish();
