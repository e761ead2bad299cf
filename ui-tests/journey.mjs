// The web UI's journeys in headless Chromium (Debian's, driven by playwright-core).
//
//   node ui-tests/journey.mjs http://127.0.0.1:PORT
//
// Starts nothing: it takes the base URL of a running `ecites serve` whose Party LK was seeded
// with `ecites demo seed` (deploy/browser.sh test does all of that). Screenshots of every step
// go to ui-tests/artifacts/. Exits non-zero on the first failed expectation.

import { audit, audited } from './axe.mjs';
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
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
  const file = join(artifacts, `${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await audit(page, name);
  console.log(`  ✓ ${name} (${file}; axe: no serious or critical violation)`);
}

/** A signed-in page of `user`, in its own browser context (its own cookies). */
async function signIn(user, viewport = { width: 1280, height: 900 }, password = PASSWORD) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(`${base}/query/ui/login?party=${PARTY}`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
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

/**
 * Opens `url` until `selector` is on the page: another user's command is read at the read
 * models' position, which may trail the command by a moment (no `?position=` to wait for).
 */
async function openUntil(page, url, selector) {
  for (let i = 0; i < 50; i++) {
    await page.goto(url);
    const found = await page.locator(selector).first()
      .waitFor({ timeout: 200 }).then(() => true, () => false);
    if (found) return;
  }
  throw new Error(`${url}: ${selector} never appeared`);
}

async function noOverflow(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) console.error(`  ! ${page.url()} is wider than the viewport by ${overflow} px`);
  return overflow <= 0;
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
  await fillLine(page, 0, { species: 'Python regius', source: 'W', purpose: 'T', term: 'SKI', quantity: 12 });
  await page.locator('#line-0-species-info').filter({ hasText: 'Appendix II' }).waitFor();
  // A supporting document, uploaded as it is picked and named by its SHA-256.
  await page.locator('#document-file').setInputFiles({
    name: 'farm-licence.pdf', mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n% eCITES browser journey: farm licence\n'),
  });
  await page.locator('#documents-list li').first().waitFor();
  const sha = await page.locator('#documents-list li').first().getAttribute('data-sha256');
  assert.match(sha, /^[0-9a-f]{64}$/);
  // The fee and the rule checks before submitting (the command API's dry run).
  await page.locator('#fee-preview-verdict[data-accepted="true"]').waitFor();
  const previewFee = (await page.locator('#fee-preview-amount strong').textContent()).trim();
  assert.match(await page.locator('#fee-preview-checks').textContent(), /^\d+ \/ \d+ rule checks passed$/);
  assert.match(previewFee, /^\d+\.\d{2} [A-Z]{3}$/);
  await shot(page, 'trader-application-form-fee-and-document');
  await submitAndFollow(page, page.locator('#application'), 'the application');
  assert.match(page.url(), /\/permits\/[0-9a-f-]{36}\?position=LK(%3A|:)\d+$/);
  const id = page.url().match(/permits\/([0-9a-f-]{36})/)[1];
  assert.equal(await status(page), 'submitted');
  await page.locator('#fee').waitFor();
  assert.match(await page.locator('#fee').textContent(), new RegExp(previewFee.replace('.', '\\.')),
    'the fee charged is the fee shown before submission');
  assert.equal(await page.locator(`#documents a[href$="/documents/${sha}"]`).count(), 1);
  await shot(page, 'trader-application-submitted');

  // The officer takes it and returns it once for changes.
  const officer = await signIn('officer');
  page = officer.page;
  await page.locator(`a[href$="/permits/${id}"]`).waitFor();
  await shot(page, 'officer-work-queue');
  await page.locator(`a[href$="/permits/${id}"]`).click();
  await act(page, 'assign');
  assert.equal(await status(page), 'under_review');
  await act(page, 'return', (f) => f.getByLabel('Reason').fill('Farm quota allows 10 skins: reduce to 10'));
  assert.equal(await status(page), 'returned');

  // The trader reads the reason, corrects the line and resubmits.
  page = trader.page;
  await openUntil(page, permitUrl(id), '#answer-return');
  assert.match(await page.locator('#reason').textContent(), /reduce to 10/);
  assert.equal(await page.locator('#line-0-species').inputValue(), 'Python regius');
  assert.equal(await page.locator('#line-0-quantity').inputValue(), '12');
  assert.equal(await page.locator(`#documents-list li[data-sha256="${sha}"]`).count(), 1, 'the document is kept');
  await page.locator('#line-0-quantity').fill('10');
  await page.locator('#fee-preview-verdict[data-accepted="true"]').waitFor();
  await shot(page, 'trader-answers-the-return');
  await submitAndFollow(page, page.locator('#application'), 'the resubmission');
  assert.equal(await status(page), 'submitted');
  await page.locator('#lines-table').filter({ hasText: '10' }).waitFor();

  // The officer takes it again, records legal acquisition and asks the Scientific Authority.
  page = officer.page;
  await openUntil(page, permitUrl(id), 'form[data-action="assign"]');
  await act(page, 'assign');
  assert.equal(await status(page), 'under_review');
  // The review lists every rule the resubmission was checked against, with its outcome.
  assert.ok(await page.locator('#rule-checks tr[data-rule="PURPOSE-APP1-COMMERCIAL"][data-outcome="passed"]').count() === 1);
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
  const qr = (await page.locator('#qr-content').textContent()).trim();
  assert.match(qr, /\/query\/ui\/LK\/verify\?n=LK%2F\d{4}%2F\d{6}&h=[0-9a-f]{64}$/);
  assert.equal(await page.locator('#qr-title ~ figure .qr-image svg').count(), 1, 'the QR code is drawn');
  // The signed seal (issue #14): in the QR alphanumeric set, drawn as a second code.
  const seal = (await page.locator('#seal-content').textContent()).trim();
  assert.match(seal, /^CP1:[0-9A-Z $%*+\-./:]+$/);
  assert.equal(await page.locator('#seal .qr-image svg').count(), 1, 'the seal is drawn');
  // The standard-form PDF, in French, from the permit page.
  const pdfLink = page.locator('#document-links a[hreflang="fr"]');
  const pdfAnswer = await page.request.get(new URL(await pdfLink.getAttribute('href'), page.url()).href);
  assert.equal(pdfAnswer.status(), 200);
  assert.equal(pdfAnswer.headers()['content-type'], 'application/pdf');
  const pdfBytes = await pdfAnswer.body();
  assert.equal(pdfBytes.subarray(0, 5).toString(), '%PDF-');
  assert.ok(pdfBytes.length < 100 * 1024, `a one-line permit's PDF is ${pdfBytes.length} bytes`);
  await shot(page, 'signatory-issued-with-qr');

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
  assert.ok(await noOverflow(page), 'the page is wider than 375 px');
  await shot(page, 'customs-valid-permit-375px');

  // The same permit from its QR code's content, pasted: confirmed against the ledger.
  await page.goto(`${base}/query/ui/${PARTY}`);
  await page.getByLabel('Permit number or QR code content').fill(qr);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.waitForURL(`**/permits/${id}?qr=*`);
  assert.equal(await page.locator('#qr-result').getAttribute('data-match'), 'true');
  assert.doesNotMatch(await page.locator('#status-banner').textContent(), /NOT VALID/);
  assert.ok(await noOverflow(page), 'the QR result fits 375 px');
  await shot(page, 'customs-qr-matches-375px');
  // A code whose hash is not the issuing event's: red, "does not match", never VALID.
  const forged = qr.replace(/h=([0-9a-f]{63})([0-9a-f])$/, (_, head, last) => `h=${head}${last === '0' ? '1' : '0'}`);
  await page.goto(`${base}/query/ui/${PARTY}`);
  await page.getByLabel('Permit number or QR code content').fill(forged);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.waitForURL('**/verify?*');
  assert.equal(await page.locator('#qr-result').getAttribute('data-match'), 'false');
  assert.match(await page.locator('#qr-result').textContent(), /does not match the ledger/);
  assert.ok((await page.locator('#status-banner').getAttribute('class')).includes('bad'));
  assert.match(await page.locator('#status-banner').textContent(), /NOT VALID/);
  assert.equal(await page.locator('form[data-action="endorse"]').count(), 0);
  assert.ok(await noOverflow(page), 'the mismatch fits 375 px');
  await shot(page, 'customs-qr-mismatch-375px');
  // The signed seal pasted: held against the seal the ledger recorded, to the character.
  await page.goto(`${base}/query/ui/${PARTY}`);
  await page.getByLabel('Permit number or QR code content').fill(seal);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.waitForURL(`**/permits/${id}?qr=*`);
  assert.equal(await page.locator('#qr-result').getAttribute('data-match'), 'true', 'the seal is the ledger\'s');
  // One character changed: not the ledger's seal, never the permit.
  const at = Math.floor(seal.length / 2);
  const tampered = seal.slice(0, at) + (seal[at] === 'A' ? 'B' : 'A') + seal.slice(at + 1);
  await page.goto(`${base}/query/ui/${PARTY}`);
  await page.getByLabel('Permit number or QR code content').fill(tampered);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.locator('#qr-result[data-match="false"]').waitFor();
  assert.equal(await page.locator('form[data-action="endorse"]').count(), 0);
  await page.goto(permitUrl(id));

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
  // The permit as it stood when it was returned: rebuilt from the timeline, labelled so.
  await page.locator('#timeline tbody tr[data-event="ApplicationReturned"] a.at').click();
  await page.locator('#historical').waitFor();
  assert.match(await page.locator('#historical').textContent(), /HISTORICAL VIEW/);
  assert.equal(await status(page), 'returned');
  assert.match(await page.locator('#history-lines').textContent(), /12/);
  await shot(page, 'auditor-permit-as-it-stood-when-returned');

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
  return id;
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
  // The dry run names the refusal before anything is submitted.
  await page.locator('#fee-preview-body li[data-rule="PURPOSE-APP1-COMMERCIAL"]').waitFor();
  assert.equal(await page.locator('#fee-preview-verdict').getAttribute('data-accepted'), 'false');
  await page.getByRole('button', { name: 'Submit the application' }).click();
  const refusal = page.locator('#application .problem li[data-rule="PURPOSE-APP1-COMMERCIAL"]');
  await refusal.waitFor();
  assert.match(await page.locator('#application .problem').textContent(), /PURPOSE-APP1-COMMERCIAL/);
  assert.ok(page.url().endsWith('/apply'), 'a refused application stays on the form');
  await shot(page, 'trader-appendix-i-refused');
  await trader.context.close();
}

/** Applies for `quantity` Python regius skins; the new permit's id. */
async function applyForSkins(page, quantity) {
  await page.goto(`${base}/query/ui/${PARTY}/apply`);
  await page.getByLabel('Document type').selectOption('export_permit');
  await page.getByLabel('Importing country').fill('DE');
  await fillLine(page, 0, { species: 'Python regius', source: 'W', purpose: 'T', term: 'SKI', quantity });
  await page.locator('#fee-preview-verdict[data-accepted="true"]').waitFor();
  await submitAndFollow(page, page.locator('#application'), 'the application');
  return page.url().match(/permits\/([0-9a-f-]{36})/)[1];
}

async function organisationAndPayments() {
  console.log('Journey 3: the organisation, its users and agents, verification, prepayment and the counter');
  const trader = await signIn('trader');
  const officer = await signIn('officer');

  // The trader's organisation (the demo one, registered and verified by the seed): its
  // status, its users; an agent is listed, then removed.
  let page = trader.page;
  await page.locator('#organisation-link').click();
  await page.locator('#organisation-status[data-status="verified"]').waitFor();
  await page.locator('#members tr[data-member="trader"]').waitFor();
  const add = page.locator('form[data-action="add-member"]');
  await add.getByLabel('User name').fill('broker');
  await add.getByLabel('Capacity').selectOption({ label: 'Agent' });
  await submitAndFollow(page, add, 'adding an agent');
  const agent = page.locator('#members tr[data-member="broker"]');
  await agent.waitFor();
  assert.match(await agent.textContent(), /Agent/);
  await shot(page, 'trader-organisation-with-agent');
  await submitAndFollow(page, agent.locator('form[data-action="remove-member"]'), 'removing the agent');
  assert.equal(await page.locator('#members tr[data-member="broker"]').count(), 0);

  // The officer suspends the organisation, the trader sees it, the officer verifies it again.
  page = officer.page;
  await page.locator('#organisations-link').click();
  await page.getByRole('link', { name: 'Demo Exports (Pvt) Ltd' }).click();
  await act(page, 'suspend', (f) => f.getByLabel('Reason').fill('registration certificate expired'));
  await page.locator('#organisation-status[data-status="suspended"]').waitFor();
  page = trader.page;
  await openUntil(page, `${base}/query/ui/${PARTY}/organisation`, '#organisation-status[data-status="suspended"]');
  await shot(page, 'trader-organisation-suspended');
  page = officer.page;
  await act(page, 'verify', (f) => f.getByLabel('Verification note').fill('renewed certificate seen'));
  await page.locator('#organisation-status[data-status="verified"]').waitFor();

  // The officer opens a prepayment account and records a first, small deposit.
  await act(page, 'open-account');
  await act(page, 'deposit', async (f) => {
    await f.getByLabel('Amount').fill('10.00');
    await f.getByLabel('Receipt number').fill('DEP-001');
  });
  assert.match(await page.locator('#account-balance').textContent(), /^10\.00 [A-Z]{3}$/);
  await shot(page, 'officer-organisation-account');

  // The trader applies; the balance does not cover the fee: no debit, and why.
  page = trader.page;
  const prepaid = await applyForSkins(page, 5);
  await page.locator('#prepayment-insufficient').waitFor();
  assert.equal(await page.locator('form[data-action="payment-prepayment"]').count(), 0);
  await shot(page, 'trader-prepayment-insufficient');
  // A larger deposit; now the fee is debited from the account.
  page = officer.page;
  await page.reload();
  await act(page, 'deposit', async (f) => {
    await f.getByLabel('Amount').fill('50.00');
    await f.getByLabel('Receipt number').fill('DEP-002');
  });
  assert.match(await page.locator('#account-balance').textContent(), /^60\.00 /);
  page = trader.page;
  await openUntil(page, permitUrl(prepaid), 'form[data-action="payment-prepayment"]');
  const due = (await page.locator('#amount-due').textContent()).trim();
  await act(page, 'payment-prepayment');
  await page.locator('form[data-action="payment-prepayment"]').waitFor({ state: 'detached' });
  assert.match(await page.locator('#fee').textContent(), new RegExp(`Paid${due.replace('.', '\\.')}`));
  assert.equal(await page.locator('#payments tr[data-method="prepayment_debit"]').count(), 1);
  await page.goto(`${base}/query/ui/${PARTY}/organisation`);
  const left = (60 * 100 - Math.round(Number(due.split(' ')[0]) * 100)) / 100;
  assert.match(await page.locator('#account-balance').textContent(), new RegExp(`^${left.toFixed(2).replace('.', '\\.')} `));
  await shot(page, 'trader-paid-from-prepayment');

  // Paying at the counter: the trader is told what to bring; the officer records the receipt.
  const counter = await applyForSkins(page, 4);
  await page.locator('#pay-at-counter').waitFor();
  assert.equal((await page.locator('#counter-reference').textContent()).trim(), counter);
  await shot(page, 'trader-pay-at-counter');
  page = officer.page;
  await openUntil(page, permitUrl(counter), 'form[data-action="payment-counter"]');
  await act(page, 'payment-counter', (f) => f.getByLabel('Receipt number').fill('RCPT-2026-0042'));
  assert.equal(await page.locator('form[data-action^="payment"]').count(), 0, 'nothing left to pay');
  assert.doesNotMatch(await page.locator('#fee').textContent(), /Paid0\.00/);
  assert.match(await page.locator('#payments tr[data-method="manual_receipt"]').textContent(), /RCPT-2026-0042/);
  await shot(page, 'officer-recorded-counter-payment');

  for (const c of [trader, officer]) await c.context.close();
}

async function newTraderRegisters() {
  console.log('Journey 4: a new trader registers its organisation; the officer verifies it');
  // The Party admin opens an account for a trader of an organisation not registered yet.
  const admin = await signIn('admin');
  const user = `exporter${Date.now() % 100000}`;
  const chosen = 'a passphrase the exporter chose';
  let page = admin.page;
  await page.goto(`${base}/query/ui/${PARTY}/admin/users`);
  const add = page.locator('form[data-action="add-user"]');
  await add.getByLabel('User name').fill(user);
  await add.getByLabel('Role').selectOption('trader');
  await add.getByLabel('Organisation').fill(randomUUID());
  await add.locator('button[type=submit]').click();
  await page.locator('#new-user-link').waitFor();
  const link = await page.locator('#set-password-link').getAttribute('href');
  const own = await browser.newContext();
  const setPage = await own.newPage();
  await setPage.goto(link);
  await setPage.locator('#new-password').fill(chosen);
  await setPage.locator('#new-password-again').fill(chosen);
  await submitAndFollow(setPage, setPage.locator('form[data-action="set-password"]'), 'set password');
  await own.close();

  // The trader registers the organisation: pending until the Management Authority verifies it.
  const trader = await signIn(user, undefined, chosen);
  page = trader.page;
  await page.locator('#organisation-link').click();
  const register = page.locator('form[data-action="register"]');
  await register.getByLabel('Name of the organisation').fill('Lanka Orchid Growers <Pvt> Ltd');
  await register.getByLabel('Business registration number').fill(`PV ${Date.now()}`);
  await register.getByLabel('Address').fill('12 Temple Road, Kandy');
  await shot(page, 'new-trader-registration-form');
  await submitAndFollow(page, register, 'the registration');
  await page.locator('#organisation-status[data-status="pending"]').waitFor();
  assert.match(await page.locator('h1').textContent(), /Lanka Orchid Growers <Pvt> Ltd/);
  await page.locator(`#members tr[data-member="${user}"]`).waitFor();
  await shot(page, 'new-trader-organisation-pending');
  // Until verified, the application form says why nothing can be filed.
  await page.goto(`${base}/query/ui/${PARTY}/apply`);
  await page.getByLabel('Importing country').fill('DE');
  await fillLine(page, 0, { species: 'Python regius', source: 'W', purpose: 'T', term: 'SKI', quantity: 2 });
  await page.locator('#fee-preview-problem').filter({ hasText: 'verified by the Management Authority' }).waitFor();
  await shot(page, 'new-trader-cannot-file-yet');

  // The officer verifies it; the trader sees it verified and the form would be accepted.
  const officer = await signIn('officer');
  await openUntil(officer.page, `${base}/query/ui/${PARTY}/organisations?status=pending`,
    'a:text("Lanka Orchid Growers <Pvt> Ltd")');
  await officer.page.getByRole('link', { name: 'Lanka Orchid Growers <Pvt> Ltd' }).click();
  await act(officer.page, 'verify', (f) => f.getByLabel('Verification note').fill('registry extract and director ID seen'));
  await officer.page.locator('#organisation-status[data-status="verified"]').waitFor();
  await openUntil(page, `${base}/query/ui/${PARTY}/organisation`, '#organisation-status[data-status="verified"]');
  await shot(page, 'new-trader-organisation-verified');
  await page.goto(`${base}/query/ui/${PARTY}/apply`);
  await page.getByLabel('Importing country').fill('DE');
  await fillLine(page, 0, { species: 'Python regius', source: 'W', purpose: 'T', term: 'SKI', quantity: 2 });
  await page.locator('#fee-preview-verdict[data-accepted="true"]').waitFor();
  for (const c of [admin, trader, officer]) await c.context.close();
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

/** Every kind of page at 375 px in each language, checked by axe (the journeys above run in
 * English at their own sizes). */
async function accessibilityTour(permitId) {
  console.log('Accessibility: every kind of page at 375 px in English, French and Spanish');
  const pages = {
    officer: ['', '/find?number=LK', `/permits/${permitId}`, `/permits/${permitId}/timeline`, '/organisations',
      '/dashboard', '/reports/trade', '/reports/national'],
    trader: ['', '/apply', '/organisation', `/permits/${permitId}`],
    customs: ['', `/permits/${permitId}`],
    admin: ['/admin', '/admin/users', '/admin/fees', '/admin/quotas', '/admin/measures', '/admin/species'],
  };
  for (const lang of ['en', 'fr', 'es']) {
    for (const [user, paths] of Object.entries(pages)) {
      const { context, page } = await signIn(user, { width: 375, height: 812 });
      for (const path of paths) {
        const sep = path.includes('?') ? '&' : '?';
        await page.goto(`${base}/query/ui/${PARTY}${path}${sep}lang=${lang}`);
        await page.locator('main#content').waitFor();
        await audit(page, `${user} ${path || '/'} (${lang}, 375 px)`);
      }
      await context.close();
    }
    const login = await browser.newContext({ viewport: { width: 375, height: 812 } });
    const page = await login.newPage();
    await page.goto(`${base}/query/ui/login?party=${PARTY}&lang=${lang}`);
    await audit(page, `sign-in (${lang}, 375 px)`);
    await login.close();
  }
  console.log(`  ✓ ${audited.length} pages checked by axe in all: no serious or critical violation`);
}

let failed = false;
try {
  await signInRefused();
  const permitId = await appendixIIExport();
  await appendixICommercialRefused();
  await organisationAndPayments();
  await newTraderRegisters();
  await accessibilityTour(permitId);
  assert.deepEqual(cspViolations, [], 'the Content-Security-Policy blocked nothing');
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
