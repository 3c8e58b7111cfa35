// The bureau's desk in a real headless Chromium: sign in, review the matcher's proposals,
// exclude a pair (a conflict of interest), sign out.
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
  // The matcher runs from the command line beside the server, as the bureau would run it.
  const output = demo.run('match');
  assert.match(output, /\d+ 条推荐/);
});

after(async () => {
  await demo?.stop();
});

test('staff sign in, review proposals and exclude a pair', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${base}/`);
  await Promise.all([page.waitForURL(/\/login\?/), page.click('#nav-staff')]);
  assert.equal((await page.textContent('h1')).trim(), '登录');

  // A wrong password keeps the login typed and says so.
  await page.fill('#login', 'demo-staff');
  await page.fill('#password', 'wrong-password');
  await page.click('#sign-in');
  assert.match(await page.textContent('#login-error'), /账号或密码不正确/);
  assert.equal(await page.inputValue('#login'), 'demo-staff');

  await page.fill('#password', 'labbridge-demo');
  await Promise.all([page.waitForURL(/\/staff\/proposals/), page.click('#sign-in')]);
  assert.equal((await page.textContent('h1')).trim(), '匹配建议');
  assert.equal((await page.textContent('#account')).trim(), '科技局演示账号');
  const rows = page.locator('#proposals tbody tr');
  const total = await rows.count();
  assert.ok(total >= 182, `${total} proposals on the first page`);
  const proposedBefore = await page.locator('#proposals tbody tr[data-status=proposed]').count();
  assert.equal(proposedBefore, total);
  await page.screenshot({ path: join(results, 'staff-proposals-zh.png') });

  // Pages of 200, and a town filter that keeps the other choices.
  const matching = Number(await page.textContent('#matching'));
  assert.ok(matching > 200, `${matching} proposals in all`);
  assert.equal(total, 200);
  await Promise.all([page.waitForURL(/page=2/), page.click('#next')]);
  assert.ok((await rows.count()) > 0);
  await page.selectOption('#town', '城关街道');
  await Promise.all([page.waitForURL(/town=/), page.click('#filter')]);
  const inTown = Number(await page.textContent('#matching'));
  assert.ok(inTown > 0 && inTown < matching, `${inTown} of ${matching}`);
  assert.equal(await rows.count(), Math.min(inTown, 200));
  assert.equal(await page.inputValue('#town'), '城关街道');
  await page.goto(`${base}/staff/proposals`);

  // Exclude the first proposal, with a reason.
  const first = rows.first();
  const enterprise = await first.getAttribute('data-enterprise');
  const partner = await first.getAttribute('data-partner');
  const partnerName = (await first.locator('td:nth-child(4) a').textContent()).trim();
  await first.locator('input[name=reason]').fill('利益冲突：亲属在该企业任职');
  await Promise.all([page.waitForURL(/excluded=/), first.locator('form.exclude button').click()]);
  const notice = await page.textContent('#notice');
  assert.match(notice, /已排除/);
  assert.ok(notice.includes(partnerName), notice);
  const row = page.locator(`#proposals tbody tr[data-enterprise="${enterprise}"][data-partner="${partner}"]`);
  assert.equal(await row.getAttribute('data-status'), 'excluded');
  assert.equal((await row.locator('td.status a.timeline').textContent()).trim(), '已排除');
  assert.equal((await row.locator('td.status .note').textContent()).trim(), '利益冲突：亲属在该企业任职（demo-staff）', 'the reason and who excluded it');
  assert.equal(await row.locator('form.exclude').count(), 0, 'an excluded pair has no exclude button');

  // The 已排除 tab lists exactly that pair, with an undo that puts it back for review.
  await Promise.all([page.waitForURL(/status=excluded/), page.click('#status-tabs a:has-text("已排除")')]);
  assert.equal(await page.locator('#proposals tbody tr').count(), 1);
  await Promise.all([page.waitForLoadState('load'), page.click('#proposals form.undo button')]);
  assert.equal(await page.locator('#proposals tbody tr').count(), 0);
  await page.goto(`${base}/staff/proposals?status=proposed`);
  assert.equal(await page.locator(`#proposals tbody tr[data-enterprise="${enterprise}"][data-partner="${partner}"]`).getAttribute('data-status'), 'proposed');

  // The manual form names a bad id instead of failing silently.
  await page.fill('#manual-exclusion input[name=enterprise_id]', '不存在的企业');
  await page.fill('#manual-exclusion input[name=partner_id]', partner);
  await page.click('#manual-exclusion button');
  assert.match(await page.textContent('#error'), /不存在的企业/);
  assert.equal(await page.inputValue('#manual-exclusion input[name=enterprise_id]'), '不存在的企业');

  // Signing out ends the session.
  await Promise.all([page.waitForURL(`${base}/`), page.click('#sign-out')]);
  await page.goto(`${base}/staff/proposals`);
  assert.match(page.url(), /\/login\?/);
  await page.close();
});

test('the desk is in English on request', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/login?lang=en`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.fill('#login', 'demo-staff');
  await page.fill('#password', 'labbridge-demo');
  await Promise.all([page.waitForURL(/\/staff\/proposals\?lang=en/), page.click('#sign-in')]);
  assert.equal((await page.textContent('h1')).trim(), 'Partnership proposals');
  assert.ok((await page.locator('#proposals tbody tr').count()) > 0);
  await page.close();
});
