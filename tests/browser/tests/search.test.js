// The search and detail pages in a real headless Chromium (Debian's), driven by playwright-core.
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
