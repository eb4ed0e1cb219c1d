// Drives the Automation page and the incident page's playbook runs against
// the fake API (fakeautomation_test.go, whose rules and inc-1's runs it
// knows): the rules in order, a new rule previewed then created, a bad field
// (400) marked, a stale edit (412), delete, and a running playbook refreshed
// until it succeeds (then no more polls), at 1280 and 390 px. Started by
// browser_test.go (TestAutomationFakeAPI).
import { BASE, TOKEN, start, expect, waitFor, noSidewaysScroll } from './harness.mjs';

const { page, problems, step, shot, audit, finish } = await start();

const control = (path, body) => fetch(`${BASE}${path}`, {
  method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}),
});
const ruleNames = () => page.locator('#rules .rule h2').allTextContents();
const ruleCard = (name) => page.locator('#rules .rule').filter({ has: page.locator('h2', { hasText: name }) });

await step('sign in', async () => {
  await page.goto(BASE);
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#alerts-table tbody tr.row').first().waitFor();
});

await step('automation page: the rules in run order with state, triggers, hits and last hit', async () => {
  await page.getByRole('link', { name: 'Automation' }).click();
  await page.locator('#rules .rule').first().waitFor();
  const names = await ruleNames();
  expect(names.join('|') === 'Internal scanner|Prod under attack', `rules listed as ${names.join('|')}`);
  const prod = ruleCard('Prod under attack');
  expect((await prod.locator('.chip.state').textContent()) === 'Enabled', 'the Enabled state is not shown');
  expect((await prod.locator('.rule-hits').textContent()) === '4', 'the hits are not shown');
  expect((await prod.locator('.rule-triggers').textContent()) === 'Created, Alerts added', 'the triggers are not shown');
  expect((await prod.locator('.rule-last-hit').textContent()) !== 'never', 'the last hit is not shown');
  expect((await ruleCard('Internal scanner').locator('.chip.state').textContent()) === 'Shadow', 'the Shadow state is not shown');
  expect((await page.locator('[data-nav=automation]').getAttribute('aria-current')) === 'page', 'the nav does not mark Automation');
  await shot('a01-rules');
  await audit('a01-rules');
});

await step('new rule: fill it in and preview which incidents it would match', async () => {
  await page.getByRole('button', { name: 'New rule' }).click();
  await page.locator('#rule-editor').waitFor();
  await page.getByLabel('Name').fill('Tag exfiltration');
  await page.getByLabel('Order').fill('5');
  await page.locator('#rule-state').selectOption('Enabled');
  await page.locator('#trigger-updated').check();
  await page.locator('#cond-severityAtLeast').selectOption('High');
  await page.locator('#cond-tactics').fill('Exfiltration');
  await page.locator('#action-0-tags').fill('exfil, needs-review');
  await page.getByRole('button', { name: 'Add action' }).click();
  await page.locator('#action-1-type').selectOption('assign');
  await page.locator('#action-1-owner').fill('alice@example.com');
  await page.getByRole('button', { name: 'Preview' }).click();
  const sim = page.locator('#rule-preview');
  await sim.locator('.preview-list li').first().waitFor();
  const t = await sim.textContent();
  expect(t.includes('It would match 1 of the 3 incidents'), `preview says: ${t}`);
  expect(t.includes('Security incident detected on multiple resources'), 'the matched incident is not listed');
  expect(t.includes('tags added: exfil, needs-review') && t.includes('owner changed') && t.includes('alice@example.com'), `the actions are not listed: ${t}`);
  await shot('a02-preview');
  await audit('a02-preview');
});

await step('a bad condition (400): the field the API names is marked', async () => {
  await page.locator('#cond-tactics').fill('Exfiltration, Sneaking');
  await page.getByRole('button', { name: 'Create rule' }).click();
  await waitFor(async () => (await page.locator('#cond-tactics').getAttribute('aria-invalid')) === 'true', 'the tactics field marked');
  const err = await page.locator('#rule-msg .banner.error').textContent();
  expect(err.includes('conditions.tactics') && err.includes('Sneaking'), `400 shown as: ${err}`);
  expect(await page.evaluate(() => document.activeElement.id) === 'cond-tactics', 'focus is not on the marked field');
  await shot('a03-bad-field');
});

await step('create: the rule joins the list in its order', async () => {
  await page.locator('#cond-tactics').fill('Exfiltration');
  await page.getByRole('button', { name: 'Create rule' }).click();
  await page.locator('#rules-msg .banner.ok', { hasText: 'Created the rule' }).waitFor();
  const names = await ruleNames();
  expect(names.join('|') === 'Internal scanner|Tag exfiltration|Prod under attack', `rules now ${names.join('|')}`);
  expect((await ruleCard('Tag exfiltration').locator('.rule-triggers').textContent()) === 'Created, Updated', 'the new triggers are not shown');
});

await step('edit after someone else changed the rule (412): said, not saved', async () => {
  await ruleCard('Prod under attack').getByRole('button', { name: /Edit/ }).click();
  await page.locator('#rule-editor').waitFor();
  expect((await page.locator('#action-0-owner').inputValue()) === 'ir-oncall@example.com', 'the rule’s action is not loaded');
  await control('automation-rules/touch/rule-2');
  await page.locator('#action-0-owner').fill('bob@example.com');
  await page.getByRole('button', { name: 'Save rule' }).click();
  const warn = page.locator('#rule-msg .banner.warn');
  await warn.waitFor();
  expect((await warn.textContent()).includes('Someone else changed this rule'), 'the 412 is not explained');
  await shot('a04-stale');
  await page.getByRole('button', { name: 'Cancel' }).click();
});

await step('edit: change the state to Shadow and save', async () => {
  await ruleCard('Prod under attack').getByRole('button', { name: /Edit/ }).click();
  await page.locator('#rule-state').selectOption('Shadow');
  await page.getByRole('button', { name: 'Save rule' }).click();
  await page.locator('#rules-msg .banner.ok', { hasText: 'Saved the rule' }).waitFor();
  expect((await ruleCard('Prod under attack').locator('.chip.state').textContent()) === 'Shadow', 'the new state is not shown');
});

await step('delete: confirm, and the rule leaves the list', async () => {
  await ruleCard('Tag exfiltration').getByRole('button', { name: /Delete/ }).click();
  await page.locator('#delete-rule-dialog').waitFor();
  await page.getByRole('button', { name: 'Delete rule' }).click();
  await page.locator('#rules-msg .banner.ok', { hasText: 'Deleted the rule' }).waitFor();
  expect(!(await ruleNames()).includes('Tag exfiltration'), 'the rule is still listed');
});

await step('390 px: the rules and the editor fit', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await noSidewaysScroll(page, 'the rules at 390 px');
  await shot('a05-rules-390');
  await page.getByRole('button', { name: 'New rule' }).click();
  await page.locator('#action-0-type').selectOption('runPlaybook');
  await page.locator('#action-0-playbook').selectOption('isolate-instance');
  await page.locator('#action-0-parameters').fill('{"instanceId": "{{firstInstanceId}}"}');
  await noSidewaysScroll(page, 'the editor at 390 px');
  await shot('a06-editor-390');
  await audit('a06-editor-390');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.setViewportSize({ width: 1280, height: 800 });
});

await step('incident page: playbook runs with status, message, link; a running one is refreshed until it ends', async () => {
  let reads = 0;
  const count = (r) => { if (r.method() === 'GET' && new URL(r.url()).pathname.endsWith('/incidents/inc-1')) reads++; };
  page.on('request', count);
  await page.goto(`${BASE}#/incidents/inc-1`);
  const sec = page.locator('#inc-responses');
  await sec.waitFor();
  const run = sec.locator('.response[data-id=req-2]');
  expect((await run.locator('.chip.run').textContent()) === 'Running', 'the running playbook is not shown Running');
  expect((await run.textContent()).includes('Quarantine security group attached'), 'the message is not shown');
  expect((await sec.locator('.response[data-id=req-1] a').getAttribute('href')) === 'https://runs.example.com/notify/1', 'the link is not shown');
  expect((await page.locator('#responses-live').textContent()).includes('Refreshing'), 'the page does not say it refreshes');
  await shot('a07-responses-running');
  await audit('a07-responses-running');
  const before = reads;
  await control('test/report/req-2', { status: 'Succeeded', message: 'Instance isolated', outputs: { snapshotIds: ['snap-0123456789abcdef0'] } });
  await waitFor(async () => (await run.locator('.chip.run').textContent()) === 'Succeeded', 'the run to show Succeeded', 15000);
  expect(reads > before, 'the incident was not read again');
  expect((await run.locator('.response-outputs').textContent()).includes('snap-0123456789abcdef0'), 'the outputs are not shown');
  expect((await page.locator('#responses-live').textContent()) === '', 'the page still says it refreshes');
  const after = reads;
  await page.waitForTimeout(4500); // longer than one poll interval (3 s)
  expect(reads === after, `the page kept polling after every run ended (${reads - after} more reads)`);
  page.off('request', count);
  await shot('a08-responses-done');
});

await step('a playbook requested on the Take action tab joins the runs at once and is followed', async () => {
  await page.getByRole('tab', { name: 'Take action' }).click();
  await page.locator('#act-respond summary').click();
  await page.locator('#playbook').selectOption('isolate-instance');
  await page.locator('#trigger-response').click();
  const run = page.locator('#inc-responses .response[data-id=req-3]');
  // Every earlier run has ended, so no poll is running: only the read the
  // request itself starts can show it.
  await run.waitFor();
  expect((await run.locator('.chip.run').textContent()) === 'Requested', 'the new request is not shown Requested');
  expect((await page.locator('#responses-live').textContent()).includes('Refreshing'), 'the page does not follow the new request');
  await control('test/report/req-3', { status: 'Failed', message: 'Ec2.UnauthorizedOperation: not allowed' });
  await waitFor(async () => (await run.locator('.chip.run').textContent()) === 'Failed', 'the run to show Failed', 15000);
  expect((await run.textContent()).includes('Ec2.UnauthorizedOperation'), 'the failure message is not shown');
  await page.locator('#inc-responses').screenshot({ path: `${process.env.MUSTER_SCREENSHOTS || '.muster/screenshots'}/a09-responses-failed.png` });
});

await step('390 px: the playbook runs fit', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#inc-responses').scrollIntoViewIfNeeded();
  await noSidewaysScroll(page, 'the incident page at 390 px');
  await page.locator('#inc-responses').screenshot({ path: `${process.env.MUSTER_SCREENSHOTS || '.muster/screenshots'}/a10-responses-390.png` });
});

await step('no console errors, failed requests or tokens in URLs', async () => {
  const real = problems.filter((p) => !/Failed to load resource: the server responded with a status of (400|412)/.test(p));
  expect(real.length === 0, real.join('; '));
});

await finish();
