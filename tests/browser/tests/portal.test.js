// The enterprise portal and the permission model in a real headless Chromium, with a real SMTP
// server: staff approve a proposal, the partner accepts it from the mailed link, the enterprise
// signs in, reads its gaps, posts a need with the suggestions and the "who could help" preview,
// sees the partner's address only now that the partner agreed, and answers. Then the
// boundaries: another enterprise's need and proposal by URL and by API, staff pages, the
// auditor who reads but changes nothing, and a form posted from another origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoWithMail } from '../support/demo.js';

const here = dirname(fileURLToPath(import.meta.url));
const screenshots = join(here, '../../../target/screenshots');

let demo;
let sink;
let browser;
let base;
// Filled by the first test, read by the later ones.
const story = {};

async function shoot(page, name) {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

async function signIn(page, login, next) {
  await page.goto(`${base}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.fill('#login', login);
  await page.fill('#password', 'labbridge-demo');
  await Promise.all([page.waitForLoadState('load'), page.click('#sign-in')]);
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  ({ demo, sink } = await startDemoWithMail());
  ({ browser, base } = demo);
  demo.run('match');
});

after(async () => {
  await demo?.stop();
  sink?.stop();
});

test('staff approve a proposal and the partner accepts it by the mailed link', async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const staff = await context.newPage();
  await signIn(staff, 'demo-staff', '/staff/proposals?status=proposed');
  const row = staff.locator('#proposals tbody tr[data-status=proposed]').first();
  story.proposal = await row.getAttribute('data-id');
  story.enterprise = await row.getAttribute('data-enterprise');
  await row.locator('input[type=checkbox]').check();
  await Promise.all([staff.waitForLoadState('load'), staff.click('#approve-checked')]);
  assert.match(await staff.textContent('#notice'), /已批准 1 条建议/);

  // Another enterprise's need, read the way staff may: over the API with the desk's session.
  for (const other of ['demo-ent-001', 'demo-ent-002', 'demo-ent-003']) {
    if (other === story.enterprise) continue;
    const response = await staff.request.get(`${base}/api/v1/enterprises/${other}`);
    assert.equal(response.status(), 200, 'staff read any enterprise');
    const view = await response.json();
    const need = view.needs.find((candidate) => candidate.description?.length > 0);
    if (need) {
      story.otherEnterprise = other;
      story.otherNeed = need;
      break;
    }
  }
  assert.ok(story.otherNeed, 'a need of another enterprise');
  const all = await (await staff.request.get(`${base}/api/v1/proposals`)).json();
  const otherProposal = all.proposals.find((candidate) => candidate.enterprise_id !== story.enterprise);
  assert.ok(otherProposal, 'a proposal of another enterprise');
  story.otherProposal = otherProposal.id;
  await context.close();

  const [mail] = await sink.waitFor((message) => message.text.includes('/answer/'));
  const link = mail.text.match(/http:\/\/127\.0\.0\.1:\d+\/answer\/[0-9a-f]{64}/)[0];
  const professorContext = await browser.newContext();
  const professor = await professorContext.newPage();
  await professor.goto(link);
  await professor.click('input[value=accept]');
  await professor.click('#submit');
  assert.match(await professor.textContent('#state'), /您已接受/);
  await professorContext.close();
});

test('the enterprise signs in, reads its gaps, posts a need with help and answers the proposal', async () => {
  assert.ok(story.enterprise, 'the first test chose an enterprise');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();

  // A portal page without a session asks for a sign-in and comes back.
  await page.goto(`${base}/portal`);
  assert.match(page.url(), /\/login\?.*next=%2Fportal/);
  await page.fill('#login', story.enterprise);
  await page.fill('#password', 'labbridge-demo');
  await Promise.all([page.waitForURL(/\/portal$/), page.click('#sign-in')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  const gaps = page.locator('#gaps tbody tr');
  assert.ok((await gaps.count()) > 0, 'a proposed enterprise has a gap');
  assert.ok((await gaps.first().locator('.reason').textContent()).trim().length > 0, 'the gap says why');
  assert.ok((await gaps.first().locator('.remedy').textContent()).trim().length > 0, 'and what would close it');
  assert.match(await page.textContent('#waiting'), /等待贵企业答复：1/);
  await shoot(page, 'portal-home');

  // A new need: the field box suggests the index's words; the preview finds helpers.
  await Promise.all([page.waitForURL(/\/portal\/needs\/new/), page.click('#new-need')]);
  const vocabulary = await page.locator('#field-vocabulary option').evaluateAll((options) => options.map((option) => option.value));
  assert.ok(vocabulary.length >= 50, `${vocabulary.length} suggested fields`);
  const field = vocabulary.find((word) => word.includes('铝')) ?? vocabulary[0];
  await page.fill('#title', '铝型材时效强度提升');
  await page.selectOption('#kind', 'research');
  await page.locator('.field-input').first().fill(field);
  await page.fill('#description', `6063 铝型材时效后强度不稳定，希望在${field}方面合作。`);
  await Promise.all([page.waitForLoadState('load'), page.click('#preview')]);
  assert.ok((await page.locator('#helpers tbody tr').count()) > 0, 'someone could help');
  assert.match(await page.textContent('#completeness'), /预算/, 'the hint names what the text lacks');
  assert.equal(await page.inputValue('#title'), '铝型材时效强度提升', 'the preview keeps what was typed');
  await shoot(page, 'portal-need-preview');

  // A bad form says what is wrong beside the field, in Chinese, and keeps the rest.
  await page.fill('#title', '');
  await page.$eval('#title', (input) => input.removeAttribute('required'));
  await Promise.all([page.waitForLoadState('load'), page.click('#save')]);
  assert.match(await page.textContent('#title-error'), /请填写/);
  assert.match(await page.inputValue('#description'), /6063/);
  await shoot(page, 'portal-need-error');

  await page.fill('#title', '铝型材时效强度提升');
  await page.check('#confidential');
  await Promise.all([page.waitForURL(/\/portal\/needs\/[^/]+\?saved=1/), page.click('#save')]);
  assert.match(await page.textContent('#notice'), /已保存/);
  assert.ok(await page.isChecked('#confidential'));
  story.ownNeed = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  await shoot(page, 'portal-need-saved');

  await page.goto(`${base}/portal`);
  assert.match(await page.textContent('#needs'), /铝型材时效强度提升/);

  // The proposal: the partner agreed, so its address shows; the enterprise accepts.
  await page.goto(`${base}/portal/proposals`);
  const row = page.locator(`#proposal-${story.proposal}`);
  assert.match(await row.locator('.status').textContent(), /合作方已接受/);
  assert.match(await row.locator('.contact').textContent(), /@/);
  await shoot(page, 'portal-proposals');
  await row.locator('input[value=decline]').check();
  await Promise.all([page.waitForLoadState('load'), row.locator('button[type=submit]').click()]);
  assert.match(await page.textContent('#error'), /原因/, 'declining needs a reason');
  await page.locator(`#proposal-${story.proposal} input[value=accept]`).check();
  await Promise.all([page.waitForURL(/\/portal\?answered=/), page.locator(`#proposal-${story.proposal} button[type=submit]`).click()]);
  await page.goto(`${base}/portal/proposals`);
  assert.match(await page.locator(`#proposal-${story.proposal} .status`).textContent(), /双方已接受/);

  // English on request.
  await page.goto(`${base}/portal?lang=en`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.textContent('body'), /What is missing|Both are covered/);
  await shoot(page, 'portal-home-en');
  story.context = context;
});

test('another enterprise\'s need and proposal stay closed, by URL and by API', async () => {
  const context = story.context;
  assert.ok(context, 'the enterprise is signed in');
  const page = await context.newPage();
  const need = story.otherNeed;

  const byUrl = await page.goto(`${base}/portal/needs/${encodeURIComponent(need.id)}`);
  assert.equal(byUrl.status(), 404);
  const body = await page.textContent('body');
  assert.ok(!body.includes(need.title), 'no trace of the need');
  assert.ok((await page.locator('a#back').count()) === 1, 'a way back');
  await shoot(page, 'error-404');

  for (const path of [`/api/v1/needs/${encodeURIComponent(need.id)}`, `/api/v1/enterprises/${story.otherEnterprise}`, `/api/v1/proposals/${story.otherProposal}`]) {
    const response = await page.request.get(`${base}${path}`);
    assert.equal(response.status(), 404, path);
    const error = await response.json();
    assert.equal(error.code, 'not_found', path);
    assert.ok(!JSON.stringify(error).includes(need.title), path);
  }
  // Its own need reads fine over the same API.
  const own = await page.request.get(`${base}/api/v1/needs/${encodeURIComponent(story.ownNeed)}`);
  assert.equal(own.status(), 200);
  assert.equal((await own.json()).title, '铝型材时效强度提升');
  // Needs are not searchable outside the bureau.
  const search = await page.request.get(`${base}/api/v1/search?kind=need&q=${encodeURIComponent('铝')}`);
  assert.equal(search.status(), 403);

  const desk = await page.goto(`${base}/staff/proposals`);
  assert.equal(desk.status(), 403);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  await shoot(page, 'error-403');
  await context.close();
});

test('the auditor reads the desk and the audit log, and every change is refused', async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'demo-auditor', '/staff/proposals');
  assert.match(page.url(), /\/staff\/proposals/);
  assert.ok((await page.locator('#proposals tbody tr').count()) > 0, 'the auditor reads proposals');
  assert.equal(await page.locator('form.exclude').count(), 0, 'no change buttons for the auditor');

  const token = await page.inputValue('input[name=csrf]');
  const row = page.locator('#proposals tbody tr').first();
  const enterprise = await row.getAttribute('data-enterprise');
  const partner = await row.getAttribute('data-partner');
  const refused = await page.evaluate(async ({ token, enterprise, partner }) => {
    const post = (path, fields) => fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, ...fields }).toString(),
      redirect: 'manual',
    }).then((response) => response.status);
    return [
      await post('/staff/exclusions', { enterprise_id: enterprise, partner_kind: 'expert', partner_id: partner, reason: '审计员不应能排除' }),
      await post('/staff/proposals/decide', { action: 'approve', id: '1' }),
      await post('/staff/match', {}),
    ];
  }, { token, enterprise, partner });
  assert.deepEqual(refused, [403, 403, 403]);

  await page.goto(`${base}/staff/audit`);
  const audit = await page.textContent('#audit');
  assert.match(audit, /demo-auditor/);
  assert.match(audit, /demo-staff/);
  assert.match(audit, /refused|拒绝/);
  await shoot(page, 'audit');
  const csv = await page.request.get(`${base}/api/v1/audit?format=csv`);
  assert.equal(csv.status(), 200);
  assert.match(await csv.text(), /sign_in/);
  await context.close();
});

test('a form posted from another origin is refused and changes nothing', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'demo-staff', '/staff/proposals');
  const row = page.locator('#proposals tbody tr[data-status=proposed]').first();
  const enterprise = await row.getAttribute('data-enterprise');
  const partner = await row.getAttribute('data-partner');
  const token = await page.inputValue('input[name=csrf]');

  // A page on another site, with a copy of the desk's own form (token included).
  await page.route('http://evil.example/**', (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<form method="post" action="${base}/staff/exclusions" id="evil">
      <input name="csrf" value="${token}"><input name="enterprise_id" value="${enterprise}">
      <input name="partner_kind" value="expert"><input name="partner_id" value="${partner}">
      <input name="reason" value="跨站伪造"></form>`,
  }));
  await page.goto('http://evil.example/');
  const [response] = await Promise.all([page.waitForNavigation(), page.$eval('#evil', (form) => form.submit())]);
  assert.equal(response.status(), 403);

  await page.goto(`${base}/staff/proposals?status=excluded`);
  assert.equal(await page.locator('#proposals tbody tr').count(), 0, 'nothing was excluded');
  await context.close();
});
