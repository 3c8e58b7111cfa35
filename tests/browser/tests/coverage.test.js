// The coverage page in a real headless Chromium (Debian's), driven by playwright-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { results, startDemo } from '../support/demo.js';

let demo;
let browser;
let base;

before(async () => {
  demo = await startDemo();
  ({ browser, base } = demo);
});

after(async () => {
  await demo?.stop();
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
