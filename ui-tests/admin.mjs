// The Party admin's and the reports' journey in headless Chromium (Debian's, driven by
// playwright-core), run by deploy/browser.sh after journey.mjs on the same server:
//
//   node ui-tests/admin.mjs http://127.0.0.1:PORT
//
// The server's Party LK is seeded with `ecites demo seed` and its live Species+ source points
// at a stand-in this script serves (ECITES_SPECIESPLUS_PORT, token ECITES_SPECIESPLUS_TOKEN)
// from the recorded Species+ answers (SPECIESPLUS_FIXTURES, the bodies of
// fixtures/speciesplus). Screenshots go to ui-tests/artifacts/admin-*.png.
//
// The admin adds an officer (who sets a password with the one-time link and signs in), changes
// the fee schedule (an amount with too many decimals is refused naming its field), sets a
// quota, adds a domestic measure and runs a species import to completion with its progress on
// screen; the new officer opens the trade report and downloads its CSV.

import { audit } from './axe.mjs';
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const base = process.argv[2] || process.env.ECITES_UI_BASE;
if (!base) {
  console.error('usage: node admin.mjs <base URL of ecites serve>');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });
const PASSWORD = 'demo-password-not-for-production';
const PARTY = 'LK';
const YEAR = new Date().getUTCFullYear();
const NEW_OFFICER = `officer${Date.now() % 100000}`;
const NEW_PASSWORD = 'a passphrase the officer chose';

// A stand-in for the Species+ API: the 21 recorded concepts re-cut into pages of 11, the
// elephant's recorded legislation and an empty one for the others. Each answer takes a
// moment, as the real API does, so the import's progress is on screen while it runs.
function speciesPlus(port, token, fixtures) {
  const body = (name) => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));
  const concepts = ['spp_taxonconcept_def__0.json', 'spp_taxonconcept_pag__0.json', 'spp_taxonconcept_pag__1.json']
    .flatMap((n) => body(n).taxon_concepts);
  const elephant = body('spp_cites_legislation_sco__0.json');
  const empty = { cites_listings: [], cites_quotas: [], cites_suspensions: [] };
  const seen = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://stand-in');
    seen.push(url.pathname);
    const answer = (status, value) => setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    }, 150);
    if (req.headers['x-authentication-token'] !== token) return answer(401, { message: 'Unauthorised' });
    const legislation = /^\/api\/v1\/taxon_concepts\/(\d+)\/cites_legislation$/.exec(url.pathname);
    if (legislation) return answer(200, legislation[1] === '4521' ? elephant : empty);
    if (url.pathname === '/api/v1/taxon_concepts') {
      const page = Number(url.searchParams.get('page') || 1);
      const items = concepts.slice((page - 1) * 11, page * 11);
      return answer(200, {
        pagination: { current_page: page, per_page: 11, total_entries: concepts.length },
        taxon_concepts: items,
      });
    }
    return answer(404, { message: 'not found' });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, seen, count: concepts.length })));
}

const browser = await chromium.launch({
  executablePath: process.env.ECITES_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});

// Whatever the pages' Content-Security-Policy blocks (an inline script or style, a stray
// origin) is a failure: the browser reports it on the console of the page.
const cspViolations = [];
const newContext = browser.newContext.bind(browser);
browser.newContext = async (options) => {
  const context = await newContext(options);
  context.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(`${msg.location().url}: ${msg.text()}`);
  });
  return context;
};

let step = 0;
async function shot(page, name) {
  step += 1;
  const file = join(artifacts, `admin-${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await audit(page, name);
  console.log(`  ✓ ${name} (${file}; axe: no serious or critical violation)`);
}

async function signIn(user, password = PASSWORD, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(`${base}/query/ui/login?party=${PARTY}`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**/query/ui/${PARTY}`);
  return { context, page };
}

/** Submits `form` and waits for the next page, or fails with the refusal shown in the form. */
async function submitAndFollow(page, form, what) {
  const before = page.url();
  await form.locator('button[type=submit]').click();
  for (let i = 0; i < 200; i++) {
    if (page.url() !== before) {
      await page.waitForLoadState();
      return;
    }
    const refusal = await form.locator('.problem').textContent().catch(() => '');
    if (refusal && refusal.trim()) throw new Error(`${what} refused: ${refusal.trim()}`);
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: no answer within 20 s`);
}

async function noOverflow(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) console.error(`  ! ${page.url()} is wider than the viewport by ${overflow} px`);
  return overflow <= 0;
}

async function usersAndNewOfficer(admin) {
  console.log('Admin: users and roles');
  const page = admin.page;
  await page.locator('#nav-admin').click();
  await page.locator('#admin-users').click();
  const add = page.locator('form[data-action="add-user"]');
  await add.getByLabel('User name').fill(NEW_OFFICER);
  await add.getByLabel('Role').selectOption('ma_officer');
  await add.locator('button[type=submit]').click();
  const link = page.locator('#set-password-link');
  await page.locator('#new-user-link').waitFor();
  const href = await link.getAttribute('href');
  assert.match(href, /\/query\/ui\/set-password#token=[0-9a-f]{64}$/);
  await shot(page, 'user-added-with-link');
  await page.reload();
  assert.match(await page.locator(`tr[data-user="${NEW_OFFICER}"]`).textContent(), /Awaiting password/);

  // The new officer opens the link and chooses a password (too short first: refused).
  const context = await browser.newContext({ viewport: { width: 375, height: 812 } });
  const own = await context.newPage();
  await own.goto(href);
  assert.equal(new URL(own.url()).hash, '', 'the token leaves the address bar');
  const form = own.locator('form[data-action="set-password"]');
  await own.locator('#new-password').fill(NEW_PASSWORD);
  await own.locator('#new-password-again').fill(NEW_PASSWORD);
  assert.ok(await noOverflow(own), 'the set-password page fits 375 px');
  await shot(own, 'officer-sets-password');
  await submitAndFollow(own, form, 'set password');
  await own.waitForURL('**/query/ui/login**');
  await context.close();
  const officer = await signIn(NEW_OFFICER, NEW_PASSWORD);
  await page.reload();
  assert.match(await page.locator(`tr[data-user="${NEW_OFFICER}"]`).textContent(), /Active/);
  return officer;
}

async function feeSchedule(page) {
  console.log('Admin: fee schedule');
  await page.goto(`${base}/query/ui/${PARTY}/admin/fees`);
  const form = page.locator('form[data-action="fees"]');
  const base0 = form.locator('#fee-0-base');
  // An amount the currency's minor unit cannot hold is refused, naming its field.
  await base0.fill('30.125');
  await form.locator('button[type=submit]').click();
  await form.locator('.problem li[data-field="rules[0].base"]').waitFor();
  await shot(page, 'fee-refused-naming-the-field');
  await base0.fill('30.00');
  await form.locator('#fee-0-per_line').fill('7.5');
  await submitAndFollow(page, form, 'fee schedule');
  const table = await page.locator('#fee-schedule').textContent();
  assert.match(table, /30\.00 USD/);
  assert.match(table, /7\.50 USD/);
  await shot(page, 'fee-schedule-saved');
}

async function quota(page) {
  console.log('Admin: quota');
  await page.goto(`${base}/query/ui/${PARTY}/admin/quotas?year=${YEAR}`);
  const form = page.locator('form[data-action="set-quota"]');
  await form.locator('#quota-id').fill(`PYREG-${YEAR}`);
  await form.locator('#quota-species').fill('Python regius');
  await form.locator('#quota-annual').fill('500');
  await form.locator('#quota-term').selectOption('SKI');
  await form.locator('#quota-source').selectOption('W');
  await submitAndFollow(page, form, 'quota');
  const row = page.locator(`tr[data-quota="PYREG-${YEAR}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /Python regius/);
  assert.match(await page.locator('#quotas thead').textContent(), /Reserved.*Used.*Remaining/s);
  await shot(page, 'quota-set');
  // Revise it from its row: the form is filled in with the quota's values.
  await row.locator('[data-fill="set-quota"]').click();
  assert.equal(await form.locator('#quota-species').inputValue(), 'Python regius');
  assert.equal(await form.locator('#quota-term').inputValue(), 'SKI');
  await form.locator('#quota-annual').fill('600');
  await submitAndFollow(page, form, 'quota revision');
  await page.locator(`tr[data-quota="PYREG-${YEAR}"] td.num`).first().filter({ hasText: '600' }).waitFor();
  await shot(page, 'quota-revised');
}

async function domesticMeasure(page) {
  console.log('Admin: domestic measure');
  await page.goto(`${base}/query/ui/${PARTY}/admin/measures`);
  const form = page.locator('form[data-action="add-measure"]');
  await form.locator('#measure-id').fill('GAZ-UI-1');
  // The species picker lists the catalogue's matches as the admin types.
  await form.locator('#measure-species').pressSequentially('Panthe', { delay: 20 });
  await page.waitForFunction(
    () => [...document.querySelectorAll('#species-options option')].some((o) => o.value === 'Panthera tigris'),
  );
  await form.locator('#measure-species').fill('Panthera tigris');
  await form.locator('#measure-species-info').filter({ hasText: 'Appendix I' }).waitFor();
  await form.locator('#measure-description').fill('No exports of wild specimens');
  await form.locator('#banned_sources-W').check();
  await submitAndFollow(page, form, 'domestic measure');
  const measure = page.locator('[data-measure="GAZ-UI-1"]');
  await measure.waitFor();
  assert.match(await measure.textContent(), /Panthera tigris/);
  await shot(page, 'domestic-measure-added');
}

async function speciesImport(page, standIn) {
  console.log('Admin: species import');
  await page.goto(`${base}/query/ui/${PARTY}/admin/species`);
  await page.locator('#source-live').check();
  await page.locator('#species-import button[type=submit]').click();
  const box = page.locator('#import-progress');
  await page.locator('#import-progress[data-state="running"]').waitFor();
  assert.ok(await page.locator('#import-bar').isVisible(), 'the progress bar is on screen');
  await shot(page, 'species-import-running');
  await page.locator('#import-progress:is([data-state="done"], [data-state="failed"])').waitFor({ timeout: 60000 });
  assert.equal(await box.getAttribute('data-state'), 'done', await page.locator('#import-error-list').textContent());
  assert.equal(await page.locator('#import-read').textContent(), String(standIn.count));
  assert.equal(await page.locator('#import-recorded').textContent(), String(standIn.count));
  assert.equal(await page.locator('#import-unchanged').textContent(), '0');
  assert.equal(await page.locator('#import-errors').textContent(), '0');
  assert.ok(standIn.seen.some((p) => p.endsWith('/cites_legislation')), 'legislation fetched');
  await shot(page, 'species-import-done');
}

// The signatory's specimen signature and the Authority's stamp, recorded from files and shown
// from the published images; one withdrawn with its reason.
async function specimens(page) {
  console.log('Admin: specimens of signature and stamp');
  await page.goto(`${base}/query/ui/${PARTY}/admin`);
  await page.locator('#admin-specimens').click();
  const signature = page.locator('form[data-action="record-signature"]');
  await signature.waitFor();
  await signature.locator('#signature-signatory').selectOption('signatory');
  await signature.locator('#signature-name').fill('A. Perera, Director-General');
  const png = join(here, '../tests/fixtures/specimen-signature.png');
  await signature.locator('#signature-image').setInputFiles(png);
  await page.waitForFunction(() => !!document.getElementById('signature-image').dataset.base64);
  await submitAndFollow(page, signature, 'specimen signature');
  const stamp = page.locator('form[data-action="record-stamp"]');
  await stamp.locator('#stamp-name').fill('Department of Wildlife Conservation');
  await stamp.locator('#stamp-image').setInputFiles(join(here, '../tests/fixtures/specimen-stamp.png'));
  await page.waitForFunction(() => !!document.getElementById('stamp-image').dataset.base64);
  await submitAndFollow(page, stamp, 'specimen stamp');
  const rows = page.locator('#specimens tbody tr');
  assert.ok((await rows.count()) >= 2, 'both specimens listed');
  // The images are the published ones, by digest, and they load.
  const loaded = await page.locator('#specimens img.specimen').evaluateAll((imgs) =>
    imgs.every((i) => i.complete && i.naturalWidth > 0 && i.src.includes('/.well-known/ecites-specimens/')));
  assert.ok(loaded, 'the specimen images load from the published list');
  const published = await (await page.request.get(`${base}/.well-known/ecites-specimens.json`)).json();
  const lk = published.parties.find((p) => p.party === PARTY);
  assert.ok(lk.specimens.some((s) => s.kind === 'signature' && s.signatory === 'signatory'));
  await shot(page, 'specimens');
  // Withdrawn: the row says when, and it has no withdraw form any more.
  const row = rows.filter({ hasText: 'Department of Wildlife Conservation' }).first();
  const withdraw = row.locator('form[data-action="withdraw-specimen"]');
  await withdraw.locator('input[name=reason]').fill('stamp replaced');
  await submitAndFollow(page, withdraw, 'withdraw specimen');
  const after = page.locator('#specimens tbody tr', { hasText: 'Department of Wildlife Conservation' }).first();
  assert.equal(await after.locator('form[data-action="withdraw-specimen"]').count(), 0);
}

async function tradeReport(officer) {
  console.log('Officer: trade report and its CSV');
  const page = officer.page;
  await page.locator('#nav-reports').click();
  await page.locator('#trade-form').waitFor();
  await page.locator('#g-year').check();
  await page.locator('#f-year').fill(String(YEAR));
  await page.locator('#trade-form button[type=submit]').click();
  await page.locator('#trade-table').waitFor();
  assert.match(await page.locator('#trade-table').textContent(), /Python regius/);
  await shot(page, 'trade-report');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#trade-csv').click()]);
  const saved = join(artifacts, 'trade-report.csv');
  await download.saveAs(saved);
  const csv = readFileSync(saved, 'utf8');
  // The ticked groups in the form's order; the unit is always one of them.
  assert.match(csv, /^taxon,unit,year,lines,quantity/);
  assert.match(csv, new RegExp(`Python regius,,${YEAR},1,8`));
  await page.setViewportSize({ width: 375, height: 812 });
  assert.ok(await noOverflow(page), 'the trade report fits 375 px');
  await shot(page, 'trade-report-375');
  // Switching the language keeps the report's filters and answers in French.
  await page.locator('nav.langs a[hreflang=fr]').click();
  await page.waitForURL(/lang=fr/);
  assert.match(page.url(), new RegExp(`year=${YEAR}`));
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  assert.match(await page.locator('#trade-table').textContent(), /Python regius/);
  await shot(page, 'trade-report-fr');
  await page.locator('nav.langs a[hreflang=en]').click();
  await page.waitForURL(/lang=en/);
}

let failed = false;
let standIn = null;
try {
  const port = Number(process.env.ECITES_SPECIESPLUS_PORT);
  const token = process.env.ECITES_SPECIESPLUS_TOKEN;
  const fixtures = process.env.SPECIESPLUS_FIXTURES || join(here, '../fixtures/speciesplus/bodies');
  assert.ok(port && token, 'ECITES_SPECIESPLUS_PORT and ECITES_SPECIESPLUS_TOKEN (deploy/browser.sh sets them)');
  standIn = await speciesPlus(port, token, fixtures);
  const admin = await signIn('admin');
  await shot(admin.page, 'admin-home');
  const officer = await usersAndNewOfficer(admin);
  await feeSchedule(admin.page);
  await quota(admin.page);
  await domesticMeasure(admin.page);
  await speciesImport(admin.page, standIn);
  await specimens(admin.page);
  await tradeReport(officer);
  assert.deepEqual(cspViolations, [], 'the Content-Security-Policy blocked nothing');
  console.log('ui-tests: the admin journey passed');
} catch (e) {
  failed = true;
  console.error('ui-tests: admin journey FAILED:', e);
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      await page.screenshot({ path: join(artifacts, `admin-failure-${Date.now()}.png`), fullPage: true }).catch(() => {});
    }
  }
} finally {
  await browser.close();
  if (standIn) standIn.server.close();
}
process.exit(failed ? 1 : 0);
