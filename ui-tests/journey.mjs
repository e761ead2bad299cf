// The web UI's journeys in headless Chromium (Debian's, driven by playwright-core).
//
//   node ui-tests/journey.mjs http://127.0.0.1:PORT
//
// Starts nothing: it takes the base URL of a running `ecites serve` whose Party LK was seeded
// with `ecites demo seed` (deploy/browser.sh test does all of that). Screenshots of every step
// go to ui-tests/artifacts/. Exits non-zero on the first failed expectation.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const base = process.argv[2] || process.env.ECITES_UI_BASE;
if (!base) {
  console.error('usage: node journey.mjs <base URL of ecites serve>');
  process.exit(2);
}
const artifacts = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
mkdirSync(artifacts, { recursive: true });
const PASSWORD = 'demo-password-not-for-production';
const PARTY = 'LK';

const browser = await chromium.launch({
  executablePath: process.env.ECITES_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});

let step = 0;
async function shot(page, name) {
  step += 1;
  const file = join(artifacts, `${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  ✓ ${name} (${file})`);
}

/** A signed-in page of `user`, in its own browser context (its own cookies). */
async function signIn(user, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(`${base}/query/ui/login?party=${PARTY}`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**/query/ui/${PARTY}`);
  return { context, page };
}

const permitUrl = (id) => `${base}/query/ui/${PARTY}/permits/${id}`;

/** Submits the action form `action` (after `fill`) and waits for the permit page again. */
async function act(page, action, fill = async () => {}) {
  const form = page.locator(`form[data-action="${action}"]`);
  await form.waitFor();
  await fill(form);
  await submitAndFollow(page, form, action);
}

/** Clicks the form's submit button; waits for the next page, or fails with the refusal. */
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

async function status(page) {
  return page.locator('#status').getAttribute('data-status');
}

async function fillLine(page, i, { species, source, purpose, term, quantity }) {
  const species_input = page.locator(`#line-${i}-species`);
  await species_input.pressSequentially(species.slice(0, 6), { delay: 20 });
  // The picker lists the catalogue's matches with their appendix.
  await page.waitForFunction(
    (name) => [...document.querySelectorAll('#species-options option')].some((o) => o.value === name),
    species,
  );
  await species_input.fill(species);
  await species_input.dispatchEvent('change');
  await page.locator(`#line-${i}-source`).selectOption(source);
  await page.locator(`#line-${i}-purpose`).selectOption(purpose);
  await page.locator(`#line-${i}-term`).selectOption(term);
  await page.locator(`#line-${i}-quantity`).fill(String(quantity));
}

async function appendixIIExport() {
  console.log('Journey 1: an Appendix II export from application to a used permit');

  // The trader applies.
  const trader = await signIn('trader');
  let page = trader.page;
  await shot(page, 'trader-home');
  await page.getByRole('link', { name: 'Apply for a permit' }).click();
  await page.getByLabel('Document type').selectOption('export_permit');
  await page.getByLabel('Importing country').fill('DE');
  await fillLine(page, 0, { species: 'Python regius', source: 'W', purpose: 'T', term: 'SKI', quantity: 10 });
  await page.locator('#line-0-species-info').filter({ hasText: 'Appendix II' }).waitFor();
  await shot(page, 'trader-application-form');
  await submitAndFollow(page, page.locator('#application'), 'the application');
  assert.match(page.url(), /\/permits\/[0-9a-f-]{36}\?position=LK(%3A|:)\d+$/);
  const id = page.url().match(/permits\/([0-9a-f-]{36})/)[1];
  assert.equal(await status(page), 'submitted');
  await page.locator('#fee').waitFor();
  await shot(page, 'trader-application-submitted');

  // The officer takes it, records legal acquisition and asks the Scientific Authority.
  const officer = await signIn('officer');
  page = officer.page;
  await page.locator(`a[href$="/permits/${id}"]`).waitFor();
  await shot(page, 'officer-work-queue');
  await page.locator(`a[href$="/permits/${id}"]`).click();
  await act(page, 'assign');
  assert.equal(await status(page), 'under_review');
  await act(page, 'legal-acquisition', (f) => f.getByLabel('Note').fill('farm records checked'));
  await act(page, 'request-opinion', (f) => f.getByLabel('Question to the Scientific Authority').fill('Quota-neutral?'));
  assert.equal(await status(page), 'opinion_requested');
  await shot(page, 'officer-opinion-requested');

  // The Scientific Authority gives a non-detriment finding.
  const sa = await signIn('scientist');
  page = sa.page;
  await page.locator(`a[href$="/permits/${id}"]`).click();
  await act(page, 'opinion', async (f) => {
    await f.getByLabel('Non-detriment finding').selectOption('true');
    await f.getByLabel('Conditions').fill('skins tagged');
  });
  await page.locator('#opinions').filter({ hasText: 'non-detrimental' }).waitFor();
  await shot(page, 'sa-opinion-given');

  // The officer approves.
  page = officer.page;
  await page.goto(permitUrl(id));
  await act(page, 'approve');
  assert.equal(await status(page), 'approved');
  await shot(page, 'officer-approved');

  // The trader pays.
  page = trader.page;
  await page.goto(`${base}/query/ui/${PARTY}`);
  await page.locator(`a[href$="/permits/${id}"]`).first().click();
  await act(page, 'payment', (f) => f.getByLabel('E-payment reference').fill('PAY-UI-001'));
  await page.locator('form[data-action="payment"]').waitFor({ state: 'detached' });
  await shot(page, 'trader-paid');

  // A signatory issues.
  const signatory = await signIn('signatory');
  page = signatory.page;
  await page.locator(`a[href$="/permits/${id}"]`).click();
  await act(page, 'issue');
  assert.equal(await status(page), 'issued');
  const number = (await page.locator('#permit-number').textContent()).trim();
  assert.match(number, /^LK\/\d{4}\/\d{6}$/);
  await shot(page, 'signatory-issued');

  // Customs, on a phone, finds it by number and endorses less than permitted.
  const customs = await signIn('customs', { width: 375, height: 812 });
  page = customs.page;
  await page.getByLabel('Permit number').fill(number);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.waitForURL(`**/permits/${id}`);
  const banner = page.locator('#status-banner');
  assert.equal(await banner.getAttribute('data-status'), 'issued');
  assert.match(await banner.textContent(), /VALID/);
  assert.doesNotMatch(await banner.textContent(), /NOT VALID/);
  assert.match(await page.locator('#signature-status').textContent(), /verified/);
  assert.doesNotMatch(await page.locator('#signature-status').textContent(), /NOT/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is wider than 375 px by ${overflow} px`);
  await shot(page, 'customs-valid-permit-375px');
  await act(page, 'endorse', async (f) => {
    await f.locator('#actual-0').fill('8');
    await f.getByLabel('Port of exit').fill('CMB');
  });
  const used = page.locator('#status-banner');
  assert.equal(await used.getAttribute('data-status'), 'used');
  assert.match(await used.textContent(), /NOT VALID/);
  assert.ok((await used.getAttribute('class')).includes('bad'), 'a used permit is shown in red');
  assert.equal(await page.locator('form[data-action="endorse"]').count(), 0, 'endorsed once only');
  await page.locator('#lines-table').filter({ hasText: '8' }).waitFor();
  await shot(page, 'customs-used-permit-375px');

  // The auditor sees every event verified.
  const auditor = await signIn('auditor');
  page = auditor.page;
  await page.goto(permitUrl(id));
  await page.locator('#timeline-link').click();
  await page.locator('#timeline').waitFor();
  const rows = page.locator('#timeline tbody tr');
  const n = await rows.count();
  assert.ok(n >= 9, `expected the whole history, saw ${n} events`);
  assert.equal(await page.locator('#timeline tbody tr[data-verified="false"]').count(), 0);
  for (const event of ['ApplicationSubmitted', 'ScientificOpinionGiven', 'ApplicationApproved',
    'PaymentRecorded', 'PermitIssued', 'PermitEndorsed']) {
    assert.equal(await page.locator(`#timeline tbody tr[data-event="${event}"]`).count(), 1, event);
  }
  assert.match(await page.locator('#timeline-summary').textContent(), /Every event verified/);
  await shot(page, 'auditor-timeline-verified');

  // The dashboard charts this year's trade, and the annual report is on offer.
  await page.locator('#nav-dashboard').click();
  await page.locator('svg.chart').first().waitFor();
  assert.match(await page.locator('table.figures').first().textContent(), /Python regius/);
  assert.match(await page.locator('#report-summary').textContent(), /Rows: 1 /);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#annual-exporter').click(),
  ]);
  const saved = join(artifacts, 'annual-report-exporter.csv');
  await download.saveAs(saved);
  const csv = readFileSync(saved, 'utf8');
  assert.match(csv, /^Appendix,SpeciesName,TermCode,Quantity,UnitCode,TradingPartner/);
  assert.match(csv, /II,Python regius,SKI,8,,DE,,LK\/\d{4}\/\d+,,,T,W,\d{4}/);
  await shot(page, 'auditor-dashboard');

  for (const c of [trader, officer, sa, signatory, customs, auditor]) await c.context.close();
}

async function appendixICommercialRefused() {
  console.log('Journey 2: an Appendix I commercial export is refused with its rule id');
  const trader = await signIn('trader');
  const page = trader.page;
  await page.goto(`${base}/query/ui/${PARTY}/apply`);
  await page.getByLabel('Document type').selectOption('export_permit');
  await page.getByLabel('Importing country').fill('DE');
  await fillLine(page, 0, { species: 'Panthera tigris', source: 'W', purpose: 'T', term: 'SKI', quantity: 1 });
  await page.locator('#line-0-species-info').filter({ hasText: 'Appendix I' }).waitFor();
  await page.getByRole('button', { name: 'Submit the application' }).click();
  const refusal = page.locator('#application .problem li[data-rule="PURPOSE-APP1-COMMERCIAL"]');
  await refusal.waitFor();
  assert.match(await page.locator('#application .problem').textContent(), /PURPOSE-APP1-COMMERCIAL/);
  assert.ok(page.url().endsWith('/apply'), 'a refused application stays on the form');
  await shot(page, 'trader-appendix-i-refused');
  await trader.context.close();
}

async function signInRefused() {
  console.log('Sign-in: a wrong password is refused');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/query/ui/login?party=${PARTY}`);
  await page.getByLabel('User name').fill('trader');
  await page.getByLabel('Password').fill('wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#login-error').waitFor();
  const cookies = await context.cookies();
  assert.equal(cookies.filter((c) => c.name === 'ecites_session').length, 0);
  await shot(page, 'sign-in-refused');
  await context.close();
}

let failed = false;
try {
  await signInRefused();
  await appendixIIExport();
  await appendixICommercialRefused();
  console.log('ui-tests: every journey passed');
} catch (e) {
  failed = true;
  console.error('ui-tests: FAILED:', e);
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      await page.screenshot({ path: join(artifacts, `failure-${Date.now()}.png`), fullPage: true }).catch(() => {});
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
