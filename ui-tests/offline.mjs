// The phone page (/seal/) checks CP1 seals with the network cut (issue #14).
//
//   node ui-tests/offline.mjs http://127.0.0.1:PORT
//
// Takes the base URL of a running `ecites serve` whose Party LK was seeded with `ecites demo
// seed` (deploy/browser.sh test). Issues two permits through the command API and cancels one,
// opens the page once online through a proxy of this script's own, waits for its service
// worker, then cuts the proxy (every later request to it is counted and dropped, never
// forwarded) and sets the browser offline: the page must still tell a genuine seal, a changed
// one, one forged with another key under LK's key id, one of an unknown key and one of the
// cancelled permit apart, with Web Crypto and with the @noble/ed25519 fallback.

import { audit, audited } from './axe.mjs';
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';

const base = process.argv[2] || process.env.ECITES_UI_BASE;
if (!base) {
  console.error('usage: node offline.mjs <base URL of ecites serve>');
  process.exit(2);
}
const artifacts = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
mkdirSync(artifacts, { recursive: true });
const PASSWORD = 'demo-password-not-for-production';
const PARTY = 'LK';

// --- The command API, straight to the server (not through the proxy the browser uses). ---

/** A UUIDv7, as the command API's clients send for command ids. */
function uuidv7() {
  const b = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function call(path, token, body) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method: body ? 'POST' : 'GET', headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  let json = text;
  try { json = JSON.parse(text); } catch { /* the text says what went wrong */ }
  return { status: res.status, body: json };
}

async function login(user) {
  const r = await call('/api/login', null, { party: PARTY, user_id: user, password: PASSWORD });
  assert.equal(r.status, 200, `login ${user}: ${JSON.stringify(r.body)}`);
  return r.body.token;
}

async function act(token, id, action, body = {}) {
  const r = await call(`/api/${PARTY}/permits/${id}/${action}`, token, { command_id: uuidv7(), ...body });
  assert.equal(r.status, 200, `${action}: ${JSON.stringify(r.body)}`);
  return r.body;
}

const application = (species, quantity) => ({
  document_type: 'export_permit',
  importing_country: 'DE',
  lines: [{ species, source: 'W', purpose: 'T', term: 'SKI', quantity }],
});

/**
 * A species the rules let the demo trader export now: the journeys' Python regius, or after
 * the admin journey's import replaced the catalogue, an Appendix II species of the new one.
 */
async function tradeableSpecies(users) {
  const listed = await call(`/query/api/${PARTY}/species?appendix=II&per_page=50`, users.trader);
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  const names = ['Python regius', 'Hippopotamus amphibius', ...listed.body.items
    .filter((t) => /^[A-Z][a-z]+ [a-z]+$/.test(t.full_name) && !t.suspended).map((t) => t.full_name)];
  for (const species of names) {
    const r = await call(`/api/${PARTY}/permits/assess`, users.trader, { application: application(species, 2) });
    if (r.status === 200 && r.body.accepted) return species;
  }
  throw new Error(`no species the rules accept for an export among ${names.length}`);
}

/** An issued permit: its id, number, seal and the position of its issuance. */
async function issuedPermit(users, species, quantity) {
  const submitted = await call(`/api/${PARTY}/permits`, users.trader,
    { command_id: uuidv7(), application: application(species, quantity) });
  assert.equal(submitted.status, 201, `submit: ${JSON.stringify(submitted.body)}`);
  const id = submitted.body.permit_id;
  await act(users.officer, id, 'assign', { officer_id: 'officer' });
  await act(users.officer, id, 'legal-acquisition', { evidence: ['a'.repeat(64)], note: 'farm records checked' });
  await act(users.officer, id, 'request-opinion');
  await act(users.scientist, id, 'opinion', { lines: [{ line_no: 1, non_detrimental: true, conditions: [] }] });
  await act(users.officer, id, 'approve');
  const state = await call(`/api/${PARTY}/permits/${id}`, users.trader);
  assert.equal(state.status, 200, JSON.stringify(state.body));
  await act(users.trader, id, 'payment', { amount: state.body.fee, method: { e_payment: { reference: `OFF-${quantity}` } } });
  const issued = await act(users.signatory, id, 'issue');
  const read = await call(`/query/api/${PARTY}/permits/${id}?position=${encodeURIComponent(issued.position)}`, users.signatory);
  assert.equal(read.status, 200, JSON.stringify(read.body));
  const seal = read.body.state.seal;
  assert.match(seal, /^CP1:[0-9A-Z $%*+\-./:]+$/, 'the issued permit is sealed');
  return { id, number: read.body.permit_number, seal };
}

// --- Seals made here, independently of the page's decoder. ---

const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
function b45decode(s) {
  const out = [];
  for (let i = 0; i < s.length; i += 3) {
    const [a, b, c] = [...s.slice(i, i + 3)].map((ch) => B45.indexOf(ch));
    if (c === undefined) out.push(a + b * 45);
    else { const n = a + b * 45 + c * 2025; out.push(n >> 8, n & 0xff); }
  }
  return Buffer.from(out);
}
function b45encode(buf) {
  let s = '';
  for (let i = 0; i < buf.length; i += 2) {
    if (i + 1 < buf.length) {
      const n = buf[i] * 256 + buf[i + 1];
      s += B45[n % 45] + B45[Math.floor(n / 45) % 45] + B45[Math.floor(n / 2025)];
    } else {
      s += B45[buf[i] % 45] + B45[Math.floor(buf[i] / 45)];
    }
  }
  return s;
}
function head(buf, pos) {
  const info = buf[pos] & 31;
  const major = buf[pos] >> 5;
  if (info < 24) return { major, n: info, pos: pos + 1 };
  const len = { 24: 1, 25: 2, 26: 4 }[info];
  return { major, n: buf.readUIntBE(pos + 1, len), pos: pos + 1 + len };
}
const cborHead = (major, n) => (n < 24 ? Buffer.from([(major << 5) | n])
  : n < 256 ? Buffer.from([(major << 5) | 24, n]) : Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]));
const bstr = (b) => Buffer.concat([cborHead(2, b.length), b]);

/** The protected header and the payload of a seal, as the bytes the issuer signed. */
function cose(seal) {
  let bytes = b45decode(seal.slice(4));
  if (bytes[0] === 0x78) bytes = inflateSync(bytes);
  let h = head(bytes, 0);
  if (h.major === 6) h = head(bytes, h.pos);
  assert.equal(h.major, 4);
  const read = () => { const x = head(bytes, h.pos); const v = bytes.subarray(x.pos, x.pos + x.n); h = { pos: x.pos + x.n }; return v; };
  const protectedBytes = read();
  assert.equal(bytes[h.pos], 0xa0, 'an empty unprotected header');
  h = { pos: h.pos + 1 };
  return { protectedBytes, payload: read() };
}

/** A seal of `payload` under `protectedBytes`, signed by `privateKey`. */
function forge(protectedBytes, payload, privateKey) {
  const tbs = Buffer.concat([Buffer.from([0x84, 0x6a]), Buffer.from('Signature1'), bstr(protectedBytes), Buffer.from([0x40]), bstr(payload)]);
  const signature = sign(null, tbs, privateKey);
  const sign1 = Buffer.concat([Buffer.from([0xd2, 0x84]), bstr(protectedBytes), Buffer.from([0xa0]), bstr(payload), bstr(signature)]);
  return `CP1:${b45encode(deflateSync(sign1, { level: 9 }))}`;
}

// --- A proxy between the browser and the server, so that "offline" can be proved. ---

function proxy(target) {
  const to = new URL(target);
  const seen = { before: 0, after: [], connectionsAfter: 0, bytesAfter: 0 };
  let cut = false;
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    if (cut) {
      seen.after.push(`${req.url} ${req.headers['sec-fetch-dest']} ${req.headers['sec-fetch-mode']}`);
      req.socket.destroy();
      return;
    }
    seen.before += 1;
    const upstream = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    if (cut) {
      // Chromium may open a connection ahead of need (a preconnect); what counts is
      // whether anything is sent on it.
      seen.connectionsAfter += 1;
      s.on('data', (d) => { seen.bytesAfter += d.length; });
      return;
    }
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    cut() { cut = true; for (const s of sockets) s.destroy(); },
    close: () => new Promise((r) => server.close(r)),
  })));
}

// --- The browser. ---

const browser = await chromium.launch({
  executablePath: process.env.ECITES_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const cspViolations = [];
let step = 0;
async function shot(page, name) {
  step += 1;
  const file = join(artifacts, `offline-${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await audit(page, name);
  console.log(`  ✓ ${name} (${file}; axe: no serious or critical violation)`);
}

/** Pastes `seal`, checks it and answers what the page said. */
async function check(page, seal) {
  const before = Number(await page.locator('#result').getAttribute('data-checks') || 0);
  await page.getByLabel(/Seal text/).fill(seal);
  await page.getByRole('button', { name: 'Check the seal' }).click();
  await page.locator(`#result[data-checks="${before + 1}"]`).waitFor();
  const result = page.locator('#result');
  return {
    verdict: await page.locator('#verdict').getAttribute('data-verdict'),
    words: (await page.locator('#verdict').textContent()).trim(),
    reason: await page.locator('#reason').getAttribute('data-reason'),
    boxes: await page.locator('#boxes').textContent(),
    engine: await result.getAttribute('data-engine'),
    ms: Number(await result.getAttribute('data-ms')),
    asOf: await page.locator('#as-of').textContent(),
    online: await page.locator('#online-check').isVisible(),
  };
}

async function offlinePage() {
  console.log('Offline: the phone page checks seals with the network cut');
  const users = {};
  for (const u of ['trader', 'officer', 'scientist', 'signatory']) users[u] = await login(u);
  const species = await tradeableSpecies(users);
  const good = await issuedPermit(users, species, 3);
  const cancelled = await issuedPermit(users, species, 2);
  const done = await act(users.officer, cancelled.id, 'cancel', { reason: 'issued in error (offline page test)' });
  // The read models at the cancellation: the revocation list is read from them.
  const read = await call(`/query/api/${PARTY}/permits/${cancelled.id}?position=${encodeURIComponent(done.position)}`, users.officer);
  assert.equal(read.body.status, 'cancelled');
  const revoked = await call('/.well-known/ecites-revoked.json');
  assert.equal(revoked.body.format, 'ecites-revoked/1');
  assert.ok(revoked.body.parties.find((p) => p.party === PARTY).permits
    .some((p) => p.number === cancelled.number && p.status === 'cancelled'), 'the cancelled permit is listed');
  assert.ok(!Number.isNaN(Date.parse(revoked.body.as_of)));

  // The seals the page must refuse, made here.
  const { protectedBytes, payload } = cose(good.seal);
  const other = generateKeyPairSync('ed25519');
  const underLksKid = forge(protectedBytes, payload, other.privateKey);
  const raw = other.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const kid = createHash('sha256').update(raw).digest().subarray(0, 8);
  const unknownKid = forge(Buffer.concat([Buffer.from([0xa2, 0x01, 0x27, 0x04, 0x48]), kid]), payload, other.privateKey);
  const at = Math.floor(good.seal.length / 2);
  const changed = good.seal.slice(0, at) + (good.seal[at] === 'A' ? 'B' : 'A') + good.seal.slice(at + 1);

  const relay = await proxy(base);
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, serviceWorkers: 'allow' });
  context.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(`${msg.location().url}: ${msg.text()}`);
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(`${relay.url}/seal/`);
  await page.locator('body[data-ready="true"]').waitFor();
  // Saved for offline use once its worker is active: install has cached the page, its
  // scripts and both lists by then.
  const worker = await page.evaluate(async () => (await navigator.serviceWorker.ready).active.scriptURL);
  assert.match(worker, /\/seal\/sw\.js$/);
  const online = await check(page, good.seal);
  assert.equal(online.verdict, 'valid', JSON.stringify(online));
  assert.ok(online.online, 'online, the page links to the ledger check');
  const link = await page.locator('#online-link').getAttribute('href');
  assert.ok(link.startsWith(`/query/ui/${PARTY}/verify?n=${encodeURIComponent(good.number)}&s=CP1`), link);
  await shot(page, 'seal-page-online-valid-375px');
  const sizes = {};
  for (const f of ['', 'verify.js', 'cp1.js', 'seal.css', 'sw.js', 'noble-ed25519.js']) {
    sizes[f || 'index.html'] = (await (await fetch(`${base}/seal/${f}`)).arrayBuffer()).byteLength;
  }

  // The network cut: the proxy forwards nothing from now on, and the browser is offline.
  const forwarded = relay.seen.before;
  relay.cut();
  await context.setOffline(true);
  const timings = {};
  for (const engine of ['webcrypto', 'noble']) {
    await page.goto(`${relay.url}/seal/${engine === 'noble' ? '?engine=noble' : ''}`);
    await page.locator('body[data-ready="true"]').waitFor();
    assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'served by the worker');
    assert.equal(await page.locator('body').getAttribute('data-engine'), engine);
    assert.match(await page.locator('#connection').textContent(), /No connection/);
    assert.match(await page.locator('#keys-status').textContent(), /saved copy/);
    assert.match(await page.locator('#revoked-status').textContent(), /saved copy/);

    const valid = await check(page, good.seal);
    assert.equal(valid.verdict, 'valid', `${engine}: ${JSON.stringify(valid)}`);
    assert.equal(valid.words, 'VALID');
    assert.equal(valid.engine, engine, 'the engine asked for checked the signature');
    assert.ok(valid.boxes.includes(good.number), 'the permit number is shown');
    assert.match(valid.asOf, /^Status as of .+ needs the online check\.$/);
    assert.ok(!valid.online, 'offline, no link to the online check');
    await shot(page, `seal-page-offline-valid-${engine}-375px`);

    const tampered = await check(page, changed);
    assert.equal(tampered.verdict, 'invalid', `${engine}, one character changed: ${JSON.stringify(tampered)}`);
    assert.ok(!tampered.boxes.includes(good.number), 'a changed seal shows no boxes');

    const forged = await check(page, underLksKid);
    assert.equal(forged.verdict, 'invalid', `${engine}, another key under LK's kid: ${JSON.stringify(forged)}`);
    assert.match(forged.reason, /signature/);
    await shot(page, `seal-page-offline-forged-${engine}-375px`);

    const unknown = await check(page, unknownKid);
    assert.equal(unknown.verdict, 'unknown-key', `${engine}, an unknown kid: ${JSON.stringify(unknown)}`);
    assert.equal(unknown.words, 'UNKNOWN KEY');

    const gone = await check(page, cancelled.seal);
    assert.equal(gone.verdict, 'invalid', `${engine}, the cancelled permit: ${JSON.stringify(gone)}`);
    assert.equal(gone.reason, 'cancelled');
    assert.ok(gone.boxes.includes(cancelled.number));
    await shot(page, `seal-page-offline-cancelled-${engine}-375px`);

    const notASeal = await check(page, 'https://example.org/permit/LK-2026-1');
    assert.equal(notASeal.verdict, 'invalid');
    assert.match(notASeal.reason, /not a CP1 seal/);
    timings[engine] = valid.ms;
  }
  assert.deepEqual(relay.seen.after, [], 'no request after the cut');
  assert.equal(relay.seen.bytesAfter, 0, 'not a byte sent after the cut');
  assert.ok(forwarded > 0, 'the online visit went through the proxy');
  console.log(`  ✓ ${forwarded} requests online; after the cut none, and 0 bytes sent`
    + ` (${relay.seen.connectionsAfter} connection(s) opened ahead and left unused)`);
  console.log(`  ✓ sizes (bytes): ${JSON.stringify(sizes)}; one check of a valid seal: ${timings.webcrypto.toFixed(1)} ms (Web Crypto), ${timings.noble.toFixed(1)} ms (noble)`);
  await context.close();
  await relay.close();
}

let failed = false;
try {
  await offlinePage();
  assert.deepEqual(cspViolations, [], 'the Content-Security-Policy blocked nothing');
  console.log(`ui-tests: the offline page passed (${audited.length} pages checked by axe)`);
} catch (e) {
  failed = true;
  console.error('ui-tests: FAILED:', e);
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      await page.screenshot({ path: join(artifacts, `failure-offline-${Date.now()}.png`), fullPage: true }).catch(() => {});
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
