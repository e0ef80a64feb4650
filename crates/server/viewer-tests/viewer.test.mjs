// The trace viewer in a real browser: Debian's chromium driven by
// playwright-core. Starts `policy serve` on a random loopback port
// (POLICY_BIN, default ../../../target/debug/policy), fills the form for a
// bundled applicant, decides, expands a rule and checks its quote is
// highlighted in the source; a missing-fact link focuses its field; the
// page works at phone width and from the keyboard. Screenshots go to
// SCREENSHOT_DIR (default ./screenshots).
//
// Without chromium or playwright-core the tests skip with a message, except
// under CI=true, where a missing tool is a failure.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const BIN = process.env.POLICY_BIN || join(root, 'target/debug/policy');
const SHOTS = process.env.SCREENSHOT_DIR || join(here, 'screenshots');
const CI = process.env.CI === 'true';
const POLICY = 'datong.big_data_training_2022';
const EXAMPLE = JSON.parse(readFileSync(join(root, 'policies/datong/big_data_training_2022.example.json'), 'utf8'));

let chromium = null;
let missing = null;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  missing = 'playwright-core is not installed (npm install in crates/server/viewer-tests)';
}
if (!missing && !existsSync(CHROMIUM)) missing = `no browser at ${CHROMIUM} (apt-get install chromium)`;
if (!missing && !existsSync(BIN)) missing = `no policy binary at ${BIN} (cargo build -p policy-cli)`;
if (missing && CI) throw new Error(`viewer tests cannot run under CI: ${missing}`);
const skip = missing ? `skipped: ${missing}` : false;
if (missing) console.log(`# viewer tests ${skip}`);

let server = null;
let base = null;
let browser = null;

before(async () => {
  if (missing) return;
  server = spawn(BIN, ['serve', '--policies', join(root, 'policies'), '--addr', '127.0.0.1:0', '--log', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  base = await new Promise((ok, fail) => {
    let err = '';
    const timer = setTimeout(() => fail(new Error('the server did not start within 30 s: ' + err)), 30000);
    server.stderr.on('data', (d) => {
      err += d;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(err);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    server.on('exit', (code) => { clearTimeout(timer); fail(new Error(`the server exited (${code}): ${err}`)); });
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
});

async function openPage(width, height) {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(base + '/');
  await page.waitForSelector(`#policy option[value="${POLICY}"]`, { state: 'attached' });
  await page.selectOption('#policy', POLICY);
  // The form of the policy chosen (not of the first one, loaded at start).
  await page.waitForSelector(`#facts-form[data-policy="${POLICY}"]`, { state: 'attached' });
  await page.waitForSelector('#f-training_days');
  return { page, errors };
}

async function fill(page, facts) {
  for (const [name, value] of Object.entries(facts)) {
    const sel = '#f-' + name;
    const tag = await page.$eval(sel, (e) => e.tagName);
    if (tag === 'SELECT') await page.selectOption(sel, String(value));
    else await page.fill(sel, String(value));
  }
}

test('decide a bundled applicant, expand a rule, see its quote in the source', { skip }, async () => {
  const { page, errors } = await openPage(1400, 950);
  await fill(page, EXAMPLE);
  await page.click('#decide');
  await page.waitForSelector('#benefit-order_training');
  const status = await page.textContent('#benefit-order_training .status');
  assert.match(status, /eligible/);
  const amount = await page.textContent('#benefit-order_training .amount');
  assert.match(amount, /^\d+\.\d{2} 元/);

  // Expand the first closed rule that cites a quote: its quote is highlighted.
  const summary = page.locator('#trace details:not([open]) > summary', { hasText: 'require' }).first();
  await summary.click();
  await page.waitForSelector('mark#quote');
  const marked = (await page.textContent('mark#quote')).replace(/\s+/g, '');
  const quote = await summary.evaluate((s) => s.parentElement.querySelector('.node-body').textContent);
  assert.ok(marked.length > 4, 'a sentence is highlighted');
  const doc = await (await fetch(`${base}/v1/policies/${POLICY}/document`)).json();
  assert.ok(doc.text.replace(/\s+/g, '').includes(marked), 'the highlighted text is in the document');
  assert.ok(quote.length > 0);
  assert.ok(await page.locator('mark#quote').isVisible(), 'the highlight is scrolled into view');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, 'viewer-desktop.png') });

  // The decision is shared as a URL: opening it decides again.
  const url = page.url();
  assert.match(url, /#policy=/);
  const again = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await again.goto(url);
  await again.waitForSelector('#benefit-order_training');
  assert.equal(await again.textContent('#benefit-order_training .amount'), amount);
  await again.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a missing fact is a link that focuses its field', { skip }, async () => {
  const { page, errors } = await openPage(1200, 900);
  const { training_days, ...rest } = EXAMPLE;
  assert.ok(training_days !== undefined);
  await fill(page, rest);
  await page.click('#decide');
  const link = page.locator('.missing-link[data-fact="training_days"]').first();
  await link.waitFor({ timeout: 10000 }).catch(async (e) => {
    throw new Error(`${e.message}; status: ${await page.textContent('#form-status')}; benefits: ${await page.textContent('#benefits')}`);
  });
  await link.click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-training_days');
  // "To qualify for X": the verified changes, each a link to its field.
  const hint = page.locator('#benefit-order_training .what-if');
  await hint.waitFor({ timeout: 20000 });
  assert.match(await hint.textContent(), /training_days/);
  assert.match(await hint.textContent(), /⇒ \d+\.\d{2} 元/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('usable at phone width and with the keyboard alone', { skip }, async () => {
  const { page, errors } = await openPage(390, 844);
  // Keyboard only: type into the fields, submit with Enter.
  await page.focus('#f-training_days');
  await page.keyboard.type(String(EXAMPLE.training_days));
  for (const [name, value] of Object.entries(EXAMPLE)) {
    if (name === 'training_days') continue;
    await page.focus('#f-' + name);
    const tag = await page.$eval('#f-' + name, (e) => e.tagName);
    const type = await page.$eval('#f-' + name, (e) => e.type);
    if (tag === 'SELECT') await page.selectOption('#f-' + name, String(value));
    else if (type === 'date') await page.fill('#f-' + name, String(value)); // a date picker is not typed into
    else await page.keyboard.type(String(value));
  }
  await page.focus('#f-training_days');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#benefit-order_training');
  // A trace node opens with the keyboard.
  const summary = page.locator('#trace details:not([open]) > summary', { hasText: 'require' }).first();
  await summary.focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('mark#quote');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at phone width (${overflow}px too wide)`);
  await page.evaluate(() => window.scrollTo(0, document.querySelector('#result-panel').offsetTop - 10));
  await page.screenshot({ path: join(SHOTS, 'viewer-phone.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a service that needs a token: the decide asks for it, and the typed token is used', { skip }, async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'viewer-token-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'secret-token-for-the-viewer-test\n');
  const guarded = spawn(BIN, ['serve', '--policies', join(root, 'policies'), '--addr', '127.0.0.1:0', '--log', 'warn', '--token-file', tokenFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const url = await new Promise((ok, fail) => {
      let err = '';
      const timer = setTimeout(() => fail(new Error('the server did not start within 30 s: ' + err)), 30000);
      guarded.stderr.on('data', (d) => {
        err += d;
        const m = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(err);
        if (m) { clearTimeout(timer); ok(m[1]); }
      });
      guarded.on('exit', (code) => { clearTimeout(timer); fail(new Error(`the server exited (${code}): ${err}`)); });
    });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(url + '/');
    await page.waitForSelector(`#policy option[value="${POLICY}"]`, { state: 'attached' });
    await page.selectOption('#policy', POLICY);
    await page.waitForSelector('#f-training_days');
    await fill(page, EXAMPLE);
    await page.click('#decide');
    // Without the token: the field is marked and focused, nothing decided.
    await page.waitForSelector('#token[aria-invalid="true"]');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'token');
    assert.equal(await page.$('#benefit-order_training'), null);
    // With it: decided, and the token is nowhere in the shared URL.
    await page.fill('#token', 'secret-token-for-the-viewer-test');
    await page.click('#decide');
    await page.waitForSelector('#benefit-order_training');
    assert.doesNotMatch(page.url(), /secret-token/);
    await page.close();
  } finally {
    guarded.kill('SIGTERM');
  }
});
