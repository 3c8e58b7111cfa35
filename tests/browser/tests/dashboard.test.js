// The bureau's dashboard in a real headless Chromium: from the coverage page's town row to the
// town's uncovered enterprises and why, imports with a bad row then a good file, the charts,
// an export, the matcher run from the desk, and a screenshot of every page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo } from '../support/demo.js';

const here = dirname(fileURLToPath(import.meta.url));
const screenshots = join(here, '../../../target/screenshots');

let demo;
let browser;
let base;
let page;

async function shoot(name) {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  demo = await startDemo();
  ({ browser, base } = demo);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/login`);
  await page.fill('#login', 'demo-staff');
  await page.fill('#password', 'labbridge-demo');
  await Promise.all([page.waitForURL(/\/staff\/proposals/), page.click('#sign-in')]);
});

after(async () => {
  await demo?.stop();
});

test('a town row leads to its uncovered enterprises, each with what it lacks and since when', async () => {
  await page.goto(`${base}/`);
  assert.equal(await page.title(), '两个全覆盖 · labbridge');
  await shoot('coverage');
  const row = page.locator('#by-town tbody tr').first();
  const town = (await row.locator('td').first().textContent()).trim();
  const total = Number(await row.locator('td').nth(1).textContent());
  const covered = Number(await row.locator('td').nth(2).textContent());
  await Promise.all([page.waitForURL(/\/staff\/uncovered\?town=/), row.locator('a').click()]);
  assert.equal(await page.title(), `${town} · 未覆盖企业 · labbridge`);
  assert.equal(Number(await page.textContent('#uncovered-total strong')), total - covered);
  const rows = page.locator('#uncovered tbody tr');
  assert.equal(await rows.count(), total - covered);
  for (const reasons of await page.$$eval('#uncovered tbody tr td:nth-child(4)', (cells) => cells.map((cell) => cell.textContent))) {
    assert.match(reasons, /从未开展产学研合作|合作已于 \d{4}-\d\d-\d\d 到期|没有研发机构|研发人员为 0|复审逾期|尚未/);
  }
  // The town's own trend, drawn on the server.
  assert.equal(await page.locator('#town-trend svg circle').count() > 0, true);
  await shoot('uncovered-town');

  // Filters narrow the list; a filter with no result says so.
  await page.selectOption('#filter-gap', 'no_rd_staff');
  await Promise.all([page.waitForURL(/gap=no_rd_staff/), page.click('.filters button[type=submit]')]);
  for (const reasons of await page.$$eval('#uncovered tbody tr td:nth-child(4)', (cells) => cells.map((cell) => cell.textContent))) {
    assert.match(reasons, /研发人员为 0/);
  }
  await page.goto(`${base}/staff/uncovered?town=${encodeURIComponent('不存在的镇')}`);
  assert.match(await page.textContent('#no-result'), /没有符合筛选条件/);

  // The enterprise page: each value beside its label.
  await page.goto(`${base}/staff/uncovered`);
  await Promise.all([page.waitForURL(/\/staff\/enterprises\//), page.locator('#uncovered tbody tr a').first().click()]);
  const name = (await page.textContent('#enterprise-name')).trim();
  assert.equal(await page.title(), `${name} · labbridge`);
  const label = await page.locator('#facts dt').first().boundingBox();
  const value = await page.locator('#facts dd').first().boundingBox();
  assert.ok(value.x - (label.x + label.width) < 80, 'the value sits beside its label');
  assert.ok(Math.abs(value.y - label.y) < 4, 'on the same line');
  await shoot('enterprise');
});

test('the charts are SVG with Chinese labels that fit', async () => {
  await page.goto(`${base}/`);
  assert.equal(await page.locator('#chart-trend svg').count(), 1);
  assert.equal(await page.locator('#chart-towns svg').count(), 1);
  assert.equal(await page.locator('#chart-chains svg').count(), 1);
  assert.match(await page.textContent('#chart-trend svg'), /全县覆盖率（按月）/);
  assert.match(await page.textContent('#chart-chains svg'), /铝材深加工/);
  // Every bar label, measured by the browser's own font, ends before its bar starts.
  const overlaps = await page.$$eval('#chart-towns svg, #chart-chains svg', (charts) => charts.flatMap((svg) => {
    const labels = [...svg.querySelectorAll('text[text-anchor="end"]')];
    const start = Number(svg.querySelector('rect').getAttribute('x'));
    return labels.filter((label) => label.getBBox().x < 0 || label.getBBox().x + label.getBBox().width > start + 0.5)
      .map((label) => label.textContent);
  }));
  assert.deepEqual(overlaps, []);
  // English labels chains by name, never by code, and keeps the page's query.
  await page.goto(`${base}/?sort=rate`);
  await Promise.all([page.waitForURL(/lang=en/), page.click('#switch-language')]);
  assert.match(page.url(), /sort=rate/);
  assert.match(await page.textContent('#by-industry'), /Aluminium processing/);
  assert.doesNotMatch(await page.textContent('#by-industry'), /\baluminium\b/);
  await shoot('coverage-en');
});

test('an import with a bad row writes nothing; the template imports as it is', async () => {
  await page.goto(`${base}/staff/imports`);
  assert.equal(await page.title(), '导入数据 · labbridge');
  const before = Number((await (await fetch(`${base}/api/v1/coverage`)).json()).total);
  const dir = mkdtempSync(join(tmpdir(), 'labbridge-import-'));
  const bad = join(dir, '企业名录.csv');
  writeFileSync(bad, [
    '编号,企业名称,统一社会信用代码,镇街,产业链,是否规上,名录年度',
    `ok-1,临朐好行企业有限公司,91370724MA3EXAMPL1,城关街道,铝材深加工,是,${new Date().getFullYear()}`,
    `bad-1,临朐坏行企业有限公司,12345,城关街道,铝材深加工,是,${new Date().getFullYear()}`,
  ].join('\n'));
  await page.selectOption('#import-kind', 'enterprises');
  await page.setInputFiles('#import-file', bad);
  await page.click('#import-submit');
  await page.waitForSelector('#import-problems');
  const problems = await page.$$eval('#import-problems tbody tr', (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));
  assert.equal(problems.length, 1);
  assert.equal(problems[0][0], '3');
  assert.match(problems[0][1], /统一社会信用代码/);
  assert.match(problems[0][2], /统一社会信用代码应为 18 位/);
  assert.match(await page.textContent('#import-error'), /没有导入任何记录/);
  await shoot('import-refused');
  const unchanged = Number((await (await fetch(`${base}/api/v1/coverage`)).json()).total);
  assert.equal(unchanged, before, 'nothing written');

  // Download the enterprise template (xlsx, Chinese headers, one example row) and upload it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#template-enterprises')]);
  const template = join(dir, 'template.xlsx');
  await download.saveAs(template);
  assert.equal(readFileSync(template).subarray(0, 2).toString(), 'PK');
  await page.selectOption('#import-kind', 'enterprises');
  await page.setInputFiles('#import-file', template);
  await page.click('#import-submit');
  assert.match(await page.textContent('#import-notice'), /新增 1 条/);
  await shoot('import-done');
  await page.goto(`${base}/`);
  assert.equal(Number(await page.textContent('#total')), before + 1);
});

test('an export downloads as xlsx', async () => {
  await page.goto(`${base}/staff/uncovered`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-coverage')]);
  assert.match(download.suggestedFilename(), /两个全覆盖统计.*\.xlsx$/);
  const path = join(mkdtempSync(join(tmpdir(), 'labbridge-export-')), 'coverage.xlsx');
  await download.saveAs(path);
  assert.equal(readFileSync(path).subarray(0, 2).toString(), 'PK');
});

test('the matcher runs from the desk, then shows its summary and the way to review', async () => {
  await page.goto(`${base}/staff/match`);
  assert.equal(await page.title(), '运行匹配 · labbridge');
  await shoot('match-before');
  await page.click('#match-start');
  await page.waitForSelector('#match-summary', { timeout: 60_000 });
  assert.ok(Number(await page.textContent('#match-proposals')) > 0);
  assert.equal(await page.locator('#match-towns tbody tr').count(), 10);
  await shoot('match-done');
  await Promise.all([page.waitForURL(/status=proposed/), page.click('#match-review')]);
  assert.ok(await page.locator('tr[data-id]').count() > 0);
});

test('coverage at risk, the monthly report and the search page at phone width', async () => {
  await page.goto(`${base}/staff/at-risk`);
  assert.equal(await page.title(), '即将失效的覆盖 · labbridge');
  const dates = await page.$$eval('#at-risk tbody tr td:first-child', (cells) => cells.map((cell) => cell.textContent));
  assert.deepEqual(dates, [...dates].sort(), 'sorted by the day the coverage is lost');
  await shoot('at-risk');
  await page.goto(`${base}/staff/report`);
  assert.equal(await page.locator('.charts svg').count(), 3);
  await shoot('report');
  // One A4 page for the county meeting.
  const pdf = await page.pdf({ format: 'A4' });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.equal(pages, 1, 'the monthly report prints on one page');
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await phone.goto(`${base}/search?q=${encodeURIComponent('铝合金')}`);
  const facets = await phone.locator('#facets').boundingBox();
  const hits = await phone.locator('.hits').boundingBox();
  assert.ok(hits.y >= facets.y + facets.height - 1, 'results under the facets');
  assert.ok(hits.width <= 390, 'results fit the screen');
  await phone.screenshot({ path: join(screenshots, 'search-390.png'), fullPage: true });
  await phone.close();
});

test('every other page has its own title, and a screenshot', async () => {
  const titles = new Map();
  const visit = async (name, path) => {
    await page.goto(`${base}${path}`);
    const title = await page.title();
    assert.ok(title.length > 0, name);
    titles.set(name, title);
    await shoot(name);
  };
  await visit('search', `/search?q=${encodeURIComponent('铝合金 热处理')}`);
  const expert = await page.locator('.hit a').first().getAttribute('href');
  await visit('expert', expert);
  await visit('proposals', '/staff/proposals');
  const proposal = await page.locator('a.timeline').first().getAttribute('href');
  await visit('proposal', proposal);
  await visit('outbox', '/staff/outbox');
  const stranger = await browser.newPage();
  await stranger.goto(`${base}/login`);
  titles.set('login', await stranger.title());
  await stranger.screenshot({ path: join(screenshots, 'login.png'), fullPage: true });
  await stranger.close();
  assert.equal(new Set(titles.values()).size, titles.size, `distinct titles: ${[...titles.values()]}`);
});
