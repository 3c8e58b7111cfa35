// The proposal loop in a real headless Chromium, with a real SMTP server: staff approve
// checked proposals, the serving process mails the partner, the professor answers from the link
// in the mail without an account, staff read the reason and the timeline, reject one, and
// retry a mail the server refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { results, startDemoWithMail } from '../support/demo.js';

let demo;
let sink;
let browser;
let base;

before(async () => {
  ({ demo, sink } = await startDemoWithMail());
  ({ browser, base } = demo);
  demo.run('match');
});

after(async () => {
  await demo?.stop();
  sink?.stop();
});

async function signIn(page, next = '/staff/proposals') {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#login', 'demo-staff');
  await page.fill('#password', 'labbridge-demo');
  await Promise.all([page.waitForURL(/\/staff\//), page.click('#sign-in')]);
}

test('approve, mail, answer by link, reasons and timeline, reject, retry', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await signIn(page);
  const proposed = page.locator('#proposals tbody tr[data-status=proposed]');
  const first = proposed.nth(0);
  const second = proposed.nth(1);
  const firstId = await first.getAttribute('data-id');
  const secondId = await second.getAttribute('data-id');
  assert.ok((await first.locator('.institution').textContent()).trim().length > 0, 'the partner institution is on the row');
  await first.locator('input[type=checkbox]').check();
  await second.locator('input[type=checkbox]').check();
  await Promise.all([page.waitForLoadState('load'), page.click('#approve-checked')]);
  assert.match(await page.textContent('#notice'), /已批准 2 条建议/);
  assert.equal(await page.locator(`#proposals tr[data-id="${firstId}"]`).getAttribute('data-status'), 'approved');
  await page.screenshot({ path: join(results, 'loop-approved.png') });

  // The server's outbox worker mails the partners.
  const [mail] = await sink.waitFor((message) => message.text.includes('/answer/') && message.subject.startsWith('关于'));
  assert.match(mail.subject, /^关于.+的产学研合作建议$/);
  const link = mail.text.match(/http:\/\/127\.0\.0\.1:\d+\/answer\/[0-9a-f]{64}/)[0];

  // The professor opens the link: no account, no cookie.
  const context = await browser.newContext();
  const professor = await context.newPage();
  await professor.goto(link);
  assert.match(await professor.textContent('h1'), /产学研合作建议/);
  assert.match(await professor.textContent('#proposal'), /技术需求/);
  await professor.click('input[value=decline]');
  await professor.click('#submit');
  assert.match(await professor.textContent('#state'), /请选择谢绝原因/);
  await professor.click('input[value=decline]');
  await professor.selectOption('#reason', 'direction_mismatch');
  await professor.fill('#note', '我主要做航空铝合金，与该需求方向不同');
  await professor.click('#submit');
  assert.match(await professor.textContent('#state'), /您已谢绝/);
  assert.equal(await professor.locator('#answer').count(), 0, 'no form once answered');
  await professor.screenshot({ path: join(results, 'loop-answered.png') });
  await professor.goto(link);
  assert.match(await professor.textContent('#state'), /已经用过/);
  await professor.goto(`${link}?lang=en`);
  assert.match(await professor.textContent('#state'), /used already/);
  await context.close();

  // Staff see the reason and the timeline.
  await page.goto(`${base}/staff/proposals?status=declined_by_partner`);
  const declinedRow = page.locator('#proposals tbody tr').first();
  assert.match(await declinedRow.locator('.decline').textContent(), /方向不符/);
  assert.match(await declinedRow.locator('.note').textContent(), /航空铝合金/);
  await Promise.all([page.waitForURL(/\/staff\/proposals\/\d+/), declinedRow.locator('a.timeline').click()]);
  const steps = await page.locator('#timeline tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.to));
  assert.deepEqual(steps.slice(0, 2), ['proposed', 'approved']);
  assert.equal(steps.at(-1), 'declined_by_partner');
  assert.match(await page.textContent('#timeline'), /demo-staff/);
  await page.screenshot({ path: join(results, 'loop-timeline.png') });

  // Reject one with a reason, from the list.
  await page.goto(`${base}/staff/proposals?status=proposed`);
  const third = page.locator('#proposals tbody tr[data-status=proposed]').first();
  const thirdId = await third.getAttribute('data-id');
  await third.locator('input[type=checkbox]').check();
  await page.click('#reject-checked');
  assert.match(await page.textContent('#error'), /驳回需要填写原因/);
  await page.locator(`#proposals tr[data-id="${thirdId}"] input[type=checkbox]`).check();
  await page.fill('#bulk-reason', '企业已自行联系该团队');
  await page.click('#reject-checked');
  assert.match(await page.textContent('#notice'), /已驳回 1 条/);

  // A mail the server refuses is shown with its answer, and can be retried.
  demo.run('outbox', 'test', 'reject@bureau.example.cn');
  await page.goto(`${base}/staff/outbox?status=dead`);
  const start = Date.now();
  while ((await page.locator('#mail tbody tr').count()) === 0 && Date.now() - start < 30_000) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.reload();
  }
  const dead = page.locator('#mail tbody tr').first();
  assert.match(await dead.locator('.server-answer').textContent(), /550/);
  await page.screenshot({ path: join(results, 'loop-outbox.png') });
  await Promise.all([page.waitForURL(/retried=/), dead.locator('form.retry button').click()]);
  assert.match(await page.textContent('#notice'), /重新排入发送队列/);
  assert.ok(secondId);
});
