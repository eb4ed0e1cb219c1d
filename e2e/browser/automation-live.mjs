// Drives the Automation page against the real local stack
// (TestAutomationLocalStack): phase "create" makes a rule that tags new
// incidents, through the form and its preview; the test then posts the
// scenario's alerts; phase "check" sees the rule's hit count grow and the
// tag (and the rule's timeline entry) on the incident the correlator made.
import { BASE, TOKEN, start, expect, waitFor, noSidewaysScroll } from './harness.mjs';

const PHASE = process.env.MUSTER_PHASE;
const INCIDENT = process.env.MUSTER_INCIDENT_ID;
const RULE = 'Tag new incidents';
const TAG = 'auto-triaged';
const { page, problems, step, shot, audit, finish } = await start();
const card = () => page.locator('#rules .rule').filter({ has: page.locator('h2', { hasText: RULE }) });

await step('sign in', async () => {
  await page.goto(`${BASE}#/automation`);
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#rules').waitFor();
  await waitFor(async () => !(await page.locator('#rules').getAttribute('aria-busy')), 'the rules');
});

if (PHASE === 'create') {
  await step('create a rule that tags new incidents, previewed first', async () => {
    expect((await page.locator('#rules').textContent()).includes('No automation rules yet'), 'the stack already has rules');
    await page.getByRole('button', { name: 'New rule' }).click();
    await page.getByLabel('Name').fill(RULE);
    await page.locator('#rule-state').selectOption('Enabled');
    await page.locator('#action-0-tags').fill(TAG);
    await page.getByRole('button', { name: 'Preview' }).click();
    const sim = page.locator('#rule-preview .banner');
    await sim.waitFor();
    expect((await sim.textContent()).includes('It would match 0 of the 0 incidents'), `preview on an empty stack says: ${await sim.textContent()}`);
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.locator('#rules-msg .banner.ok').waitFor();
    expect((await card().locator('.rule-hits').textContent()) === '0', 'a new rule has hits');
    expect((await card().locator('.rule-triggers').textContent()) === 'Created', 'the trigger is not Created');
    await shot('l01-rule-created');
  });
} else {
  await step('the rule counts its hits once the alerts made incidents', async () => {
    await waitFor(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await waitFor(async () => !(await page.locator('#rules').getAttribute('aria-busy')), 'the rules');
      return Number(await card().locator('.rule-hits').textContent()) >= 1;
    }, 'the rule to count a hit', 60000);
    expect((await card().locator('.rule-last-hit').textContent()) !== 'never', 'the last hit is not shown');
    await shot('l02-rule-hits');
    await audit('l02-rule-hits');
  });
  await step('the incident carries the tag, and its timeline names the rule', async () => {
    await page.goto(`${BASE}#/incidents/${encodeURIComponent(INCIDENT)}`);
    const tags = page.locator('#inc-tags');
    await tags.waitFor();
    expect((await tags.locator('.chip.tag').allTextContents()).includes(TAG), `tags shown: ${await tags.textContent()}`);
    expect((await page.locator('.timeline').textContent()).includes(`automation:${RULE}`), 'the timeline does not name the rule');
    expect((await page.locator('#inc-responses').textContent()).includes('No playbook was requested'), 'playbook runs shown for an incident without any');
    await shot('l03-incident-tagged');
    await page.setViewportSize({ width: 390, height: 844 });
    await noSidewaysScroll(page, 'the tagged incident at 390 px');
    await page.goto(`${BASE}#/automation`);
    await card().waitFor();
    await noSidewaysScroll(page, 'the rules at 390 px');
    await shot('l04-rules-390');
  });
}

await step('no console errors, failed requests or tokens in URLs', async () => {
  expect(problems.length === 0, problems.join('; '));
});

await finish();
