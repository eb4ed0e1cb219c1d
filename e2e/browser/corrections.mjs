// Drives the console's corrections against the fake API (fakeapi_test.go,
// fakecorrections_test.go, whose incidents and candidates it knows): the
// confidence, merge, move, take out, a stale version (412), a refusal (409),
// a bad field (400), bulk status with a per-id failure, create incident from
// alerts, the confidence filter and the Candidates page with promote, at
// 1280 and 390 px. Started by browser_test.go (TestCorrectionsFakeAPI).
import { BASE, TOKEN, start, expect, waitFor, noSidewaysScroll } from './harness.mjs';

const { page, problems, step, shot, audit, finish } = await start();

const alertIds = () => page.locator('#panel-alerts .alert-item').evaluateAll((bs) => bs.map((b) => b.dataset.id));
const listLoaded = () => waitFor(async () => !(await page.locator('#alerts-table tbody').getAttribute('aria-busy')), 'the list');
async function reason(id, text) { await page.locator(`#${id}`).fill(text); }
// notice waits for the incident page's notice to say text (an earlier
// correction's notice may still be on the page).
const notice = (kind, text) => waitFor(async () => {
  const n = page.locator(`#correction-notice.${kind}`);
  return (await n.count()) && (await n.textContent()).includes(text);
}, `a notice saying ${text}`);

await step('sign in', async () => {
  await page.goto(BASE);
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#alerts-table tbody tr.row').first().waitFor();
});

await step('incident page: confidence and its reasons beside the severity', async () => {
  await page.goto(`${BASE}#/incidents/inc-1`);
  const conf = page.locator('#inc-confidence');
  await conf.waitFor();
  expect((await conf.locator('.conf').textContent()) === 'Confidence 82/100', `confidence shown as ${await conf.textContent()}`);
  await conf.locator('summary').click();
  expect(await conf.locator('li').count() === 3, 'not every confidence reason is listed');
  await shot('c01-confidence');
  await audit('c01-confidence');
});

await step('merge refused (409): the API\u2019s detail is shown in the dialog', async () => {
  await page.getByRole('button', { name: 'Merge incidents into this one…' }).click();
  const dlg = page.locator('#merge-dialog');
  await dlg.locator('#merge-inc-3').waitFor();
  await page.getByLabel('Find incidents').fill('old');
  expect(await dlg.locator('.picker li.check').count() === 1, 'the search did not narrow the incidents');
  await dlg.locator('#merge-inc-3').check();
  await reason('merge-reason', 'Same attacker');
  await page.getByRole('button', { name: 'Review merge' }).click();
  await dlg.locator('#confirm-merge').click();
  const err = dlg.locator('.banner.error');
  await err.waitFor();
  const t = await err.textContent();
  expect(t.includes('incident inc-3 is dismissed: reopen it before merging'), `409 shown as: ${t}`);
  await shot('c02-merge-409');
  await audit('c02-merge-409');
});

await step('merge: pick an incident, give a reason, confirm; its alerts join', async () => {
  const dlg = page.locator('#merge-dialog');
  await dlg.locator('#merge-inc-3').uncheck();
  await page.getByLabel('Find incidents').fill('');
  await dlg.locator('#merge-inc-2').check();
  await page.getByRole('button', { name: 'Review merge' }).click();
  const confirm = await dlg.locator('.confirm').textContent();
  expect(confirm.includes('Sensitive file reads on web-prod-1'), `the confirmation does not name the incident: ${confirm}`);
  await shot('c03-merge-confirm');
  await dlg.locator('#confirm-merge').click();
  await notice('ok', 'Merged 1 incident into this one.');
  expect(!(await page.locator('#merge-dialog').count()), 'the dialog stayed open');
  const ids = await alertIds();
  expect(ids.includes('a-3') && ids.includes('a-4') && ids.length === 5, `alerts after the merge: ${ids}`);
  await shot('c04-merged');
});

await step('move an alert to another incident', async () => {
  await page.locator('.move-alert[data-id="a-3"]').click();
  const dlg = page.locator('#move-dialog');
  await dlg.locator('#move-inc-3').check();
  await reason('move-reason', 'Belongs with the old read');
  await shot('c05-move-dialog');
  await audit('c05-move-dialog');
  await dlg.locator('#confirm-move').click();
  await notice('ok', 'Moved the alert to Old sensitive file read');
  const ids = await alertIds();
  expect(!ids.includes('a-3') && ids.length === 4, `alerts after the move: ${ids}`);
});

await step('take an alert out: a reason is required', async () => {
  await page.locator('.remove-alert[data-id="a-4"]').click();
  const dlg = page.locator('#remove-dialog');
  await dlg.locator('#confirm-remove').click();
  expect(await dlg.locator('#remove-reason').evaluate((el) => !el.validity.valid), 'an empty reason was accepted');
  await reason('remove-reason', 'Unrelated scheduled job');
  await dlg.locator('#confirm-remove').click();
  await notice('ok', 'out of this incident');
  const ids = await alertIds();
  expect(!ids.includes('a-4') && ids.length === 3, `alerts after taking one out: ${ids}`);
  await shot('c06-taken-out');
});

await step('a stale version (412): the page reloads and says the incident changed', async () => {
  const st = await page.evaluate(async (token) => {
    const g = await fetch('incidents/inc-1', { headers: { Authorization: `Bearer ${token}` } });
    const r = await fetch('incidents/inc-1', { method: 'PATCH', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'If-Match': g.headers.get('ETag') }, body: JSON.stringify({ owner: 'someone.else@example.com' }) });
    return r.status;
  }, TOKEN);
  expect(st === 200, `the concurrent PATCH answered ${st}`);
  await page.locator('.remove-alert[data-id="a-0"]').click();
  await reason('remove-reason', 'Scanner noise');
  await page.locator('#confirm-remove').click();
  await notice('warn', 'This incident changed since you opened it');
  expect((await page.getByLabel('Owner').inputValue()) === 'someone.else@example.com', 'the page was not reloaded');
  expect((await alertIds()).includes('a-0'), 'the stale take-out was applied');
  await shot('c07-stale-412');
  await audit('c07-stale-412');
});

await step('list: bulk status names each incident it could not change', async () => {
  await page.goto(`${BASE}#/alerts`);
  await listLoaded();
  const rows = await page.locator('#alerts-table tbody tr.row').count();
  await page.getByLabel('Select every row on this page').check();
  const all = await page.locator('#bulk-bar .bulk-count').textContent();
  expect(all.startsWith(`${rows} selected`), `select all says: ${all}`);
  await page.getByLabel('Select every row on this page').uncheck();
  await page.locator('#bulk-bar').waitFor({ state: 'hidden' });
  await page.getByLabel('Select Security incident detected on multiple resources').check();
  await page.getByLabel('Select Old sensitive file read').check();
  const bar = page.locator('#bulk-bar');
  await bar.waitFor();
  expect((await bar.locator('.bulk-count').textContent()).startsWith('2 selected: 2 incidents, 0 alerts'), 'selection count');
  await page.getByLabel('Status', { exact: true }).selectOption('InProgress');
  await page.locator('#bulk-apply').click();
  const res = page.locator('#bulk-result');
  await res.waitFor();
  const t = await res.textContent();
  expect(t.includes('Updated 1 incident.') && t.includes('inc-3') && t.includes('409: a dismissed incident is reopened on its own page'), `bulk result: ${t}`);
  await listLoaded();
  const status = await page.locator('#alerts-table tr[data-id="inc-1"] td').nth(4).textContent();
  expect(status === 'In progress', `inc-1 status in the list: ${status}`);
  await shot('c08-bulk-result');
  await audit('c08-bulk-result');
});

await step('create an incident from selected alerts; a bad title is marked (400)', async () => {
  await page.locator('#alerts-table tr[data-id="a-6"] .row-select').check();
  await page.locator('#alerts-table tr[data-id="a-7"] .row-select').check();
  await page.locator('#create-incident').click();
  const dlg = page.locator('#create-dialog');
  await dlg.getByLabel('Title (optional)').fill('x'.repeat(300));
  await dlg.getByLabel('Severity').selectOption('High');
  await reason('create-reason', 'Same process on the same host');
  await dlg.locator('#confirm-create').click();
  await dlg.locator('.banner.error').waitFor();
  const t = await dlg.locator('.banner.error').textContent();
  expect(t.includes('title'), `400 shown as: ${t}`);
  expect((await dlg.locator('#create-title').getAttribute('aria-invalid')) === 'true', 'the title is not marked invalid');
  await shot('c09-create-400');
  await dlg.getByLabel('Title (optional)').fill('Repeated sensitive file reads');
  await dlg.locator('#confirm-create').click();
  await page.locator('#inc-title').waitFor();
  expect((await page.locator('#inc-title').textContent()) === 'Repeated sensitive file reads', 'not on the new incident');
  const ids = await alertIds();
  expect(ids.length === 2 && ids.includes('a-6') && ids.includes('a-7'), `new incident's alerts: ${ids}`);
  await shot('c10-created');
});

await step('confidence filter lists incidents of at least that confidence', async () => {
  await page.goto(`${BASE}#/alerts`);
  await listLoaded();
  await page.getByRole('button', { name: 'Add filter' }).click();
  await page.getByLabel('Filter by').selectOption('minConfidence');
  await page.locator('#filter-value').selectOption('70');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('list', { name: 'Active filters' }).getByText('Confidence at least: 70 of 100').waitFor();
  await listLoaded();
  const rows = await page.locator('#alerts-table tbody tr.row').evaluateAll((trs) => trs.map((tr) => `${tr.dataset.kind}:${tr.dataset.id}`));
  expect(rows.length === 2 && rows.every((r) => r.startsWith('incident:')) && rows.includes('incident:inc-1'), `rows: ${rows}`);
  await shot('c11-min-confidence');
  await page.locator('.chip-remove').first().click();
  await listLoaded();
});

await step('Candidates: confidence, reasons, promote', async () => {
  await page.getByRole('link', { name: 'Candidates' }).click();
  await page.getByRole('heading', { level: 1, name: 'Candidates' }).waitFor();
  const cards = page.locator('.candidate');
  await cards.first().waitFor();
  expect(await cards.count() === 2, `${await cards.count()} candidates`);
  expect((await cards.first().textContent()).includes('Confidence 35/100'), 'no confidence');
  expect(await cards.first().locator('.conf-list li').count() === 2, 'reasons missing');
  await shot('c12-candidates');
  await audit('c12-candidates');
  await page.getByRole('button', { name: 'Promote to incident… (Possible credential access on web-prod-1)' }).click();
  await reason('promote-reason', 'Credential access right after the brute force');
  await page.locator('#confirm-promote').click();
  const ok = page.locator('#promoted');
  await ok.waitFor();
  expect(await cards.count() === 1, 'the promoted candidate is still listed');
  await shot('c13-promoted');
  await ok.getByRole('link').click();
  await page.locator('#inc-title').waitFor();
});

await step('390 px: the list with its selection bar, the merge dialog and candidates fit', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${BASE}#/alerts`);
  await listLoaded();
  await page.locator('#alerts-table tr[data-id="inc-1"] .row-select').check();
  await page.locator('#alerts-table tr[data-id="a-8"] .row-select').check();
  await page.locator('#bulk-bar').waitFor();
  await noSidewaysScroll(page, 'the list with a selection');
  await shot('c14-narrow-bulk');
  await audit('c14-narrow-bulk');
  await page.goto(`${BASE}#/incidents/inc-1`);
  await page.locator('#inc-confidence').waitFor();
  await noSidewaysScroll(page, 'the incident page');
  await shot('c15-narrow-incident');
  await page.getByRole('button', { name: 'Merge incidents into this one…' }).click();
  await page.locator('#merge-dialog .picker li.check').first().waitFor();
  const w = await page.locator('#merge-dialog').evaluate((d) => d.getBoundingClientRect().width);
  expect(w <= 390, `the dialog is ${w}px wide`);
  await shot('c16-narrow-merge');
  await page.keyboard.press('Escape');
  await page.goto(`${BASE}#/candidates`);
  await page.locator('.candidate').first().waitFor();
  await noSidewaysScroll(page, 'the candidates page');
  await shot('c17-narrow-candidates');
  await audit('c17-narrow-candidates');
});

await step('no console errors, CSP violations or token leaks', async () => {
  // The deliberate 400, 409 and 412 answers are logged by Chromium as
  // failed loads; nothing else may appear.
  const real = problems.filter((p) => !/Failed to load resource: the server responded with a status of (400|409|412)/.test(p));
  expect(real.length === 0, real.join('; '));
});

await finish();
