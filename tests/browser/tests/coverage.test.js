// The coverage page in a real headless Chromium (Debian's), driven by playwright-core.
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

test('the coverage page shows 64 of 246 in Chinese', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const response = await page.goto(`${base}/`);
  assert.equal(response.status(), 200);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal((await page.textContent('h1')).trim(), '规上工业企业“两个全覆盖”情况');
  assert.equal((await page.textContent('#total')).trim(), '246');
  assert.equal((await page.textContent('#covered')).trim(), '64');
  assert.equal((await page.textContent('#rate')).trim(), '26.0%');
  assert.equal(await page.locator('#by-town tbody tr').count(), 10);
  assert.equal(await page.locator('#by-industry tbody tr').count(), 4);
  const townSum = await page.$$eval('#by-town tbody tr td:nth-child(3)', (cells) =>
    cells.reduce((sum, cell) => sum + Number(cell.textContent), 0));
  assert.equal(townSum, 64, 'the towns add up to the county');
  assert.match(await page.textContent('.banner'), /演示数据/);
  await page.screenshot({ path: join(results, 'coverage-zh.png'), fullPage: true });
  await page.close();
});

test('English is one click away and keeps the figures', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  await page.click('#switch-language');
  await page.waitForURL(/lang=en/);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.textContent('h1'), /two full coverages/);
  assert.equal((await page.textContent('#covered')).trim(), '64');
  await page.close();
});

test('towns sort by pinyin and the year selector reloads the report', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  await page.click('#sort-name');
  await page.waitForURL(/sort=name/);
  const towns = await page.$$eval('#by-town tbody tr td:first-child', (cells) => cells.map((cell) => cell.textContent.trim()));
  assert.deepEqual(towns, ['城关街道', '东城街道', '蒋峪镇', '九山镇', '柳山镇', '山旺镇', '寺头镇', '五井镇', '辛寨街道', '冶源街道']);
  const year = await page.inputValue('#year');
  await page.selectOption('#year', year);
  await Promise.all([page.waitForURL(/year=/), page.click('form button[type=submit]')]);
  assert.equal((await page.textContent('#total')).trim(), '246');
  await page.close();
});

test('a bad year is a JSON error, not a crash', async () => {
  const response = await fetch(`${base}/?year=abc`);
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.equal(body.code, 'invalid');
});
