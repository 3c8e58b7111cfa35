// The search and detail pages in a real headless Chromium (Debian's), driven by playwright-core.
// Starts `labbridge serve --demo` on a free port with a fresh data directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.LABBRIDGE_BIN ?? join(here, '../../../target/debug/labbridge');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const results = join(here, '../test-results');

let server;
let browser;
let base;
let dataDir;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, limitMs) {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('labbridge did not become healthy');
}

before(async () => {
  mkdirSync(results, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'labbridge-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('LABBRIDGE_')));
  server = spawn(binary, ['--data-dir', dataDir, 'serve', '--demo', '--addr', `127.0.0.1:${port}`], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitHealthy(base, 60_000);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('an engineer types Chinese and gets highlighted, faceted results', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`${base}/search`);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  await page.fill('#q', '铝合金热处理');
  await Promise.all([page.waitForURL(/q=/), page.click('#search-button')]);
  const total = Number((await page.textContent('#total')).split(' ')[0]);
  assert.ok(total > 10, `results: ${total}`);
  const firstName = await page.textContent('.hit .name');
  assert.match(firstName, /热处理/);
  assert.ok(await page.locator('.snippet em').count() > 0, 'matches are highlighted');
  assert.ok(await page.locator('#facets .facet').count() >= 2, 'facets are shown');
  await page.screenshot({ path: join(results, 'search-zh.png'), fullPage: true });

  // Narrow by institution with a facet, then open a hit's page.
  const facet = page.locator('#facets .facet').first().locator('a').first();
  const institution = (await facet.textContent()).trim();
  await Promise.all([page.waitForURL(/institution=/), facet.click()]);
  const institutions = await page.$$eval('.hit .muted', (cells) => cells.map((cell) => cell.textContent));
  assert.ok(institutions.every((text) => text.includes(institution)), `${institution}: ${institutions}`);
  await Promise.all([page.waitForURL(/\/(experts|labs)\//), page.click('.hit .name')]);
  assert.ok((await page.textContent('#name')).trim().length > 0);
  await page.close();
});

test('short forms, grades and odd input work; labs link to their experts', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/search?q=${encodeURIComponent('北科大 挤压')}`);
  assert.match(await page.textContent('#results'), /北京科技大学/);
  await page.goto(`${base}/search?q=${encodeURIComponent('"((😀 title:铝')}`);
  assert.equal(await page.locator('h1').count(), 1, 'odd input still renders the page');
  await page.goto(`${base}/search?kind=lab&q=${encodeURIComponent('活性氧化铝')}`);
  await Promise.all([page.waitForURL(/\/labs\//), page.click('.hit .name')]);
  assert.ok(await page.locator('#links li').count() > 0, 'a lab lists its experts');
  await Promise.all([page.waitForURL(/\/experts\//), page.click('#links a')]);
  assert.match(await page.textContent('.facts'), /大学|研究/);
  await page.close();
});
