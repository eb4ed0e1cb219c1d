// What a console browser script needs around its steps: Debian's Chromium
// through playwright-core, steps that print "ok <step>" or "FAIL <step>:
// <why>", screenshots, axe-core audits and the problems the page logged.
// Used by every script here; the environment is browser_test.go's.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { createRequire } from 'node:module';

// axe-core audits each page for WCAG 2.1 A/AA problems. It is evaluated
// through the DevTools protocol, so the page's CSP stays on.
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const BASE = process.env.MUSTER_CONSOLE_URL;
export const TOKEN = process.env.MUSTER_TOKEN;
const SHOTS = process.env.MUSTER_SCREENSHOTS || '.muster/screenshots';
const CHROMIUM = process.env.MUSTER_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 20000;

export async function start() {
  if (!BASE || !TOKEN) {
    console.error('MUSTER_CONSOLE_URL and MUSTER_TOKEN are required');
    process.exit(2);
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  // A fresh profile each run (Playwright passes it as --user-data-dir).
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (r.url().includes(TOKEN)) problems.push(`token in a URL: ${r.method()} ${r.url().replace(TOKEN, '<token>')}`); });
  // A poll's 304 (If-None-Match) reaches the page, but Chromium reports a 304
  // to a no-store fetch as net::ERR_ABORTED; only those are not failures.
  page.on('requestfailed', (r) => {
    const err = r.failure() && r.failure().errorText;
    if (r.headers()['if-none-match'] && err === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.method()} ${r.url()} ${err}`);
  });
  let passed = 0;
  let failed = 0;
  let stop = false;
  const audits = [];
  return {
    page,
    problems,
    async step(name, fn) {
      if (stop) { console.log(`skip ${name}: an earlier step failed`); failed++; return; }
      try {
        await fn();
        passed++;
        console.log(`ok ${name}`);
      } catch (err) {
        failed++;
        stop = true;
        console.log(`FAIL ${name}: ${String(err && err.stack || err).split('\n').slice(0, 4).join(' | ')}`);
      }
    },
    async shot(name) {
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    },
    async audit(name) {
      if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(axeSource);
      const res = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
      const v = res.violations.map((x) => `${x.id} (${x.impact}): ${x.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
      expect(res.passes.length > 10, `axe checked only ${res.passes.length} rules on ${name}`);
      audits.push(`${name}: ${v.length} violation(s), ${res.passes.length} rules passed, ${res.incomplete.length} for review`);
      expect(v.length === 0, `accessibility (${name}): ${v.join('; ')}`);
    },
    async finish() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
      for (const a of audits) console.log(`axe ${a}`);
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed ? 1 : 0);
    },
  };
}

export function expect(cond, msg) { if (!cond) throw new Error(msg); }

export async function waitFor(fn, what, ms = TIMEOUT) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

// noSidewaysScroll fails when the page is wider than the viewport.
export async function noSidewaysScroll(page, what) {
  const o = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(o <= 0, `${what} scrolls sideways by ${o}px`);
}
