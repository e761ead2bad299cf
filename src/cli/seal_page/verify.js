// The phone page: reads the saved key and revocation lists, checks a pasted or scanned seal
// with cp1.js and shows the verdict and the boxes large enough to hold against the paper.
// Every text of a seal goes in as textContent: a forged seal's words are never markup.

import { verify, engine } from './cp1.js';

const $ = (id) => document.getElementById(id);
const KEYS = '/.well-known/ecites-keys.json';
const REVOKED = '/.well-known/ecites-revoked.json';

const state = { keys: null, revoked: null, ed: null };

const DOCUMENT_TYPES = { E: 'Export permit', R: 'Re-export certificate', I: 'Import permit', O: 'Other certificate' };
const VERDICTS = {
  valid: 'VALID',
  expired: 'EXPIRED',
  invalid: 'INVALID',
  'unknown-key': 'UNKNOWN KEY',
};
const REVOKED_WORDS = { cancelled: 'cancelled', replaced: 'replaced by another permit', lost: 'reported lost or stolen' };

const when = (iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? 'an unknown time' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
};

/** A list through the service worker: fresh when online, else the saved copy. */
async function load(url) {
  try {
    const res = await fetch(url, { cache: 'no-store' });
    if (!res.ok) return null;
    const body = await res.json();
    return {
      body,
      fetchedAt: res.headers.get('x-ecites-fetched-at') || new Date().toISOString(),
      saved: res.headers.get('x-ecites-source') === 'cache',
    };
  } catch {
    return null;
  }
}

function showConnection() {
  $('connection').textContent = navigator.onLine
    ? 'Connected: the lists below are fetched again on every visit.'
    : 'No connection: the seal is checked against the lists saved below.';
}

async function sync() {
  showConnection();
  const [keys, revoked] = await Promise.all([load(KEYS), load(REVOKED)]);
  if (keys) state.keys = keys;
  if (revoked) state.revoked = revoked;
  $('keys-status').textContent = state.keys
    ? `Published keys of ${(state.keys.body.parties || []).map((p) => p.party).join(', ') || 'no Party'}, fetched ${when(state.keys.fetchedAt)}${state.keys.saved ? ' (saved copy)' : ''}.`
    : 'No published keys saved yet: open this page once with a connection.';
  $('revoked-status').textContent = state.revoked
    ? `Cancelled, replaced and lost permits as of ${when(state.revoked.body.as_of)}, fetched ${when(state.revoked.fetchedAt)}${state.revoked.saved ? ' (saved copy)' : ''}.`
    : 'No list of cancelled permits saved yet: a cancelled permit cannot be told apart here.';
}

function row(list, box, title, value) {
  const dt = document.createElement('dt');
  if (box) {
    const n = document.createElement('span');
    n.className = 'box';
    n.textContent = box;
    dt.append(n, ' ');
  }
  dt.append(title);
  const dd = document.createElement('dd');
  dd.textContent = value;
  list.append(dt, dd);
}

function showBoxes(c) {
  const boxes = $('boxes');
  row(boxes, '1', 'Permit number', c.number);
  row(boxes, '', 'Document', DOCUMENT_TYPES[c.documentType] || c.documentType);
  row(boxes, '2', 'Valid until', c.validUntil);
  row(boxes, '3', 'Importer (country)', c.importer);
  row(boxes, '4', 'Exporter', c.exporter);
  row(boxes, '5a', 'Purpose', c.purpose === '*' ? 'differs by line (see the paper)' : c.purpose);
  row(boxes, '5b', 'Security stamp', c.securityStamp);
  row(boxes, '', 'Issued by', c.issuer);
  row(boxes, '', 'Sealed on', new Date(c.issuedAt * 1000).toISOString().slice(0, 10));
  const lines = $('lines');
  for (const l of c.lines) {
    const li = document.createElement('li');
    const dl = document.createElement('dl');
    row(dl, '7/8', 'Species', l.name);
    row(dl, '9', 'Term (description)', l.term);
    row(dl, '11', 'Quantity', l.unit ? `${l.quantity} ${l.unit}` : `${l.quantity} (number of specimens)`);
    row(dl, '10', 'Appendix / source', `${l.appendix || '–'} / ${l.source}`);
    if (l.originCountry) row(dl, '12', 'Origin', l.originPermit ? `${l.originCountry}, permit ${l.originPermit}` : l.originCountry);
    li.append(dl);
    lines.append(li);
  }
  $('lines-part').hidden = c.lines.length === 0;
  const more = $('more-lines');
  more.hidden = !(c.lineCount > c.lines.length);
  more.textContent = `${c.lines.length} of ${c.lineCount} lines shown: check the rest online.`;
}

async function check(text) {
  const result = $('result');
  $('boxes').replaceChildren();
  $('lines').replaceChildren();
  $('lines-part').hidden = true;
  $('online-check').hidden = true;
  const started = performance.now();
  const out = await verify(text, {
    keys: state.keys?.body,
    revoked: state.revoked?.body,
    ed: state.ed,
    now: Math.floor(Date.now() / 1000),
  });
  const ms = performance.now() - started;
  const verdict = $('verdict');
  verdict.dataset.verdict = out.verdict;
  verdict.textContent = VERDICTS[out.verdict];
  result.className = out.verdict === 'valid' ? 'good' : out.verdict === 'expired' ? 'warn' : 'bad';
  result.dataset.engine = state.ed.name;
  result.dataset.ms = ms.toFixed(2);
  let reason = '';
  if (out.verdict === 'valid') reason = `Signed by ${out.claims.issuer}'s Management Authority. Compare every box with the paper.`;
  else if (out.revoked) reason = `Genuine, but ${REVOKED_WORDS[out.revoked] || out.revoked}: do not accept it.`;
  else if (out.verdict === 'expired') reason = `Genuine, but ${out.reason}.`;
  else if (out.verdict === 'unknown-key') reason = `${out.reason}. Check it online, or fetch the keys again with a connection.`;
  else reason = `${out.reason}.`;
  $('reason').textContent = reason;
  $('reason').dataset.reason = out.revoked || out.reason || '';
  if (out.claims) showBoxes(out.claims);
  $('as-of').textContent = state.revoked
    ? `Status as of ${when(state.revoked.body.as_of)}: a permit cancelled, replaced or reported lost after that, or issued after that, needs the online check.`
    : 'No list of cancelled permits is saved: check the status online.';
  const issuer = out.claims?.issuer || out.issuer;
  const served = (state.keys?.body.parties || []).some((p) => p.party === issuer);
  if (navigator.onLine && out.claims && served) {
    const q = new URLSearchParams({ n: out.claims.number, s: text.trim() });
    $('online-link').href = `/query/ui/${encodeURIComponent(issuer)}/verify?${q}`;
    $('online-check').hidden = false;
  }
  $('timing').textContent = `Checked on this phone in ${ms.toFixed(1)} ms (${state.ed.name === 'webcrypto' ? 'Web Crypto' : '@noble/ed25519'}).`;
  result.hidden = false;
  // Which check this verdict answers, so a reader never takes the previous one for it.
  result.dataset.checks = String(Number(result.dataset.checks || 0) + 1);
  verdict.focus({ preventScroll: false });
}

/** The camera's QR codes through BarcodeDetector, where the browser has it. */
function setUpScan() {
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices?.getUserMedia) return;
  const scan = $('scan');
  scan.hidden = false;
  let stream = null;
  const stop = () => {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    $('camera').hidden = true;
  };
  $('stop-scan').addEventListener('click', stop);
  scan.addEventListener('click', async () => {
    const problem = $('camera-problem');
    problem.textContent = '';
    try {
      const detector = new BarcodeDetector({ formats: ['qr_code'] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      const video = $('video');
      video.srcObject = stream;
      $('camera').hidden = false;
      await video.play();
      const look = async () => {
        if (!stream) return;
        const codes = await detector.detect(video).catch(() => []);
        const seal = codes.map((c) => c.rawValue).find((v) => v.startsWith('CP1:'));
        if (seal) {
          stop();
          $('seal-text').value = seal;
          await check(seal);
        } else {
          requestAnimationFrame(look);
        }
      };
      requestAnimationFrame(look);
    } catch (e) {
      stop();
      $('camera').hidden = false;
      problem.textContent = `The camera cannot be used: ${e.message}. Paste the seal's text instead.`;
    }
  });
}

async function start() {
  const prefer = new URLSearchParams(location.search).get('engine');
  state.ed = await engine(prefer);
  document.body.dataset.engine = state.ed.name;
  $('engine-status').textContent = state.ed.name === 'webcrypto'
    ? 'Signatures are checked with this browser\'s Web Crypto (Ed25519).'
    : 'This browser\'s Web Crypto has no Ed25519 (or it was set aside): signatures are checked with @noble/ed25519.';
  if ('serviceWorker' in navigator) {
    // The worker saves the page, its scripts and the lists, so the next visit works offline.
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch((e) => {
      $('connection').textContent = `This page cannot be saved for offline use here: ${e.message}`;
    });
  }
  await sync();
  $('check-form').addEventListener('submit', (e) => {
    e.preventDefault();
    check($('seal-text').value);
  });
  $('refresh').addEventListener('click', sync);
  window.addEventListener('online', sync);
  window.addEventListener('offline', showConnection);
  setUpScan();
  document.body.dataset.ready = 'true';
}

start();
