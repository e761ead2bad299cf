// The CP1 seal checked in the browser, as `ecites seal verify` checks it (docs/seal.md):
// base45, zlib when it starts 0x78, COSE_Sign1 with EdDSA over the CWT exactly as received,
// the key looked up in a saved copy of /.well-known/ecites-keys.json. No network, no DOM.

export const PREFIX = 'CP1:';
const MAX_LINES = 5;
const PERMIT_CLAIM = -70001;
// A seal is a few hundred bytes; anything that inflates far beyond is not one.
const MAX_INFLATED = 64 * 1024;

class NotASeal extends Error {}

const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

export function base45Decode(text) {
  const out = [];
  const digit = (c) => {
    const d = B45.indexOf(c);
    if (d < 0) throw new NotASeal('the seal is not valid base45');
    return d;
  };
  for (let i = 0; i < text.length; i += 3) {
    const chunk = text.slice(i, i + 3);
    if (chunk.length === 1) throw new NotASeal('the seal is not valid base45');
    const v = [...chunk].map(digit);
    if (chunk.length === 3) {
      const n = v[0] + v[1] * 45 + v[2] * 2025;
      if (n > 0xffff) throw new NotASeal('the seal is not valid base45');
      out.push(n >> 8, n & 0xff);
    } else {
      const n = v[0] + v[1] * 45;
      if (n > 0xff) throw new NotASeal('the seal is not valid base45');
      out.push(n);
    }
  }
  return Uint8Array.from(out);
}

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  const reader = stream.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_INFLATED) throw new NotASeal('the seal does not inflate');
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// A CBOR decoder for the seal's shapes: byte strings are returned as the very bytes received
// (subarrays), so the signature is checked over them and nothing is re-encoded.
function decodeCbor(bytes) {
  let pos = 0;
  const fail = () => { throw new NotASeal('the seal is not a COSE_Sign1 structure'); };
  const need = (n) => { if (pos + n > bytes.length) fail(); };
  const argument = (info) => {
    if (info < 24) return info;
    const len = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
    if (!len) fail(); // indefinite lengths and reserved values: a seal never has them
    need(len);
    let n = 0n;
    for (let i = 0; i < len; i++) n = (n << 8n) | BigInt(bytes[pos + i]);
    pos += len;
    return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  };
  const item = (depth) => {
    if (depth > 16) fail();
    need(1);
    const head = bytes[pos++];
    const major = head >> 5;
    const arg = argument(head & 31);
    const count = () => { if (typeof arg !== 'number') fail(); return arg; };
    switch (major) {
      case 0: return arg;
      case 1: return typeof arg === 'number' ? -1 - arg : -1n - arg;
      case 2: { const n = count(); need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; }
      case 3: {
        const n = count(); need(n);
        const t = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(pos, pos + n));
        pos += n;
        return t;
      }
      case 4: { const n = count(); const a = []; for (let i = 0; i < n; i++) a.push(item(depth + 1)); return a; }
      case 5: {
        const n = count(); const m = new Map();
        for (let i = 0; i < n; i++) { const k = item(depth + 1); m.set(k, item(depth + 1)); }
        return m;
      }
      case 6: return { tag: arg, value: item(depth + 1) };
      default:
        if (head === 0xf4) return false;
        if (head === 0xf5) return true;
        if (head === 0xf6) return null;
        return fail();
    }
  };
  const value = item(0);
  if (pos !== bytes.length) fail();
  return value;
}

function cborHead(major, n) {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

// COSE's Sig_structure ["Signature1", protected, h'', payload]: what the issuer signed.
export function sigStructure(protectedBytes, payload) {
  const context = new TextEncoder().encode('Signature1');
  return Uint8Array.from([
    ...cborHead(4, 4),
    ...cborHead(3, context.length), ...context,
    ...cborHead(2, protectedBytes.length), ...protectedBytes,
    ...cborHead(2, 0),
    ...cborHead(2, payload.length), ...payload,
  ]);
}

const claimError = (what) => new NotASeal(`the seal's claims are malformed: ${what}`);
const text = (m, k, what) => { const v = m.get(k); if (typeof v !== 'string') throw claimError(what); return v; };
const int = (m, k, what) => { const v = m.get(k); if (typeof v !== 'number' && typeof v !== 'bigint') throw claimError(what); return v; };
const optText = (m, k) => (typeof m.get(k) === 'string' ? m.get(k) : null);

function claimsOf(cwt) {
  if (!(cwt instanceof Map)) throw claimError('not a map');
  const permit = cwt.get(PERMIT_CLAIM);
  if (!(permit instanceof Map)) throw claimError('no permit');
  const lines = permit.get(8);
  if (!Array.isArray(lines)) throw claimError('no lines');
  if (lines.length > MAX_LINES) throw claimError('more lines than a seal holds');
  const digest = permit.get(9);
  if (!(digest instanceof Uint8Array) || digest.length !== 16) throw claimError('event digest');
  const stamp = int(permit, 7, 'security stamp');
  if (stamp < 0) throw claimError('security stamp');
  const lineCount = int(permit, 11, 'line count');
  if (typeof lineCount !== 'number' || lineCount < 0) throw claimError('line count');
  return {
    issuer: text(cwt, 1, 'issuer'),
    issuedAt: Number(int(cwt, 6, 'issued at')),
    expiresAt: Number(int(cwt, 4, 'expiry')),
    number: text(permit, 1, 'number'),
    documentType: text(permit, 2, 'document type'),
    validUntil: text(permit, 3, 'valid until'),
    exporter: text(permit, 4, 'exporter'),
    importer: text(permit, 5, 'importer'),
    purpose: text(permit, 6, 'purpose'),
    securityStamp: String(stamp),
    lines: lines.map((l) => {
      if (!(l instanceof Map)) throw claimError('a line is not a map');
      return {
        name: text(l, 1, 'line species'),
        term: text(l, 2, 'line term'),
        quantity: text(l, 3, 'line quantity'),
        unit: text(l, 4, 'line unit'),
        appendix: text(l, 5, 'line appendix'),
        source: text(l, 6, 'line source'),
        originCountry: optText(l, 7),
        originPermit: optText(l, 8),
      };
    }),
    lineCount,
  };
}

/** Takes the seal apart without checking its signature; throws NotASeal with the reason. */
export async function open(input) {
  const body = input.trim();
  if (!body.startsWith(PREFIX)) throw new NotASeal('not a CP1 seal (it does not start with CP1:)');
  let bytes = base45Decode(body.slice(PREFIX.length));
  if (bytes[0] === 0x78) {
    try { bytes = await inflate(bytes); } catch { throw new NotASeal('the seal does not inflate'); }
  }
  let cose = decodeCbor(bytes);
  if (cose && typeof cose === 'object' && 'tag' in cose) {
    if (cose.tag !== 18) throw new NotASeal('the seal is not a COSE_Sign1 structure');
    cose = cose.value;
  }
  if (!Array.isArray(cose) || cose.length !== 4) throw new NotASeal('the seal is not a COSE_Sign1 structure');
  const [protectedBytes, unprotected, payload, signature] = cose;
  if (!(protectedBytes instanceof Uint8Array) || !(unprotected instanceof Map)
    || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new NotASeal('the seal is not a COSE_Sign1 structure');
  }
  const header = protectedBytes.length === 0 ? new Map() : decodeCbor(protectedBytes);
  if (!(header instanceof Map)) throw new NotASeal('the seal is not a COSE_Sign1 structure');
  if (header.get(1) !== -8) throw new NotASeal("the seal's signature algorithm is not EdDSA");
  const kid = header.get(4);
  if (!(kid instanceof Uint8Array) || kid.length === 0) throw new NotASeal('the seal names no key');
  let cwt;
  try { cwt = decodeCbor(payload); } catch { throw claimError('not CBOR'); }
  return { claims: claimsOf(cwt), kid, protectedBytes, payload, signature };
}

const b64url = (s) => {
  const std = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
};
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The issuer's published key with id `kid`: {key} if it was in force at `at` (unix seconds)
 * and the kid is its own digest, else {unknown} or {untrusted} with why.
 */
export async function findKey(keys, issuer, kid, at) {
  const party = (keys?.parties || []).find((p) => p.party === issuer);
  if (!party) return { unknown: `${issuer} publishes no keys in the saved list` };
  const entry = (party.keys || []).find((k) => { try { return same(b64url(k.kid), kid); } catch { return false; } });
  if (!entry) return { unknown: `not signed by any key ${issuer} publishes` };
  const from = Date.parse(entry.not_before) / 1000;
  const until = entry.not_after ? Date.parse(entry.not_after) / 1000 : Infinity;
  if (!(from <= at && at < until)) return { unknown: `the key was not in force when the seal was made` };
  if (entry.kty !== 'OKP' || entry.crv !== 'Ed25519') return { unknown: 'the key is not an Ed25519 key' };
  let x;
  try { x = b64url(entry.x); } catch { return { untrusted: 'the key list holds a malformed key' }; }
  if (x.length !== 32) return { untrusted: 'the key list holds a malformed key' };
  // A list that pairs a kid with another key is not trusted, whoever served it.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', x));
  if (!same(digest.subarray(0, 8), kid)) return { untrusted: "the key list pairs the seal's key id with a key that is not its own" };
  return { key: x };
}

/**
 * The Ed25519 engine: WebCrypto when the browser has it (and `prefer` is not 'noble'), else
 * the vendored @noble/ed25519 in its strict (RFC 8032, not ZIP-215) mode.
 */
export async function engine(prefer) {
  if (prefer !== 'noble') {
    try {
      // A fixed valid point (the base point), so support is probed without a seal.
      const probe = new Uint8Array(32);
      probe[0] = 0x58; probe.fill(0x66, 1);
      await crypto.subtle.importKey('raw', probe, { name: 'Ed25519' }, false, ['verify']);
      return {
        name: 'webcrypto',
        verify: async (sig, msg, pub) => {
          try {
            const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
            return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg);
          } catch { return false; }
        },
      };
    } catch { /* no WebCrypto Ed25519: the fallback below */ }
  }
  const ed = await import('./noble-ed25519.js');
  return {
    name: 'noble',
    verify: async (sig, msg, pub) => {
      try { return await ed.verifyAsync(sig, msg, pub, { zip215: false }); } catch { return false; }
    },
  };
}

/** Whether `revoked` (a saved /.well-known/ecites-revoked.json) lists the permit: its status. */
export function revocation(revoked, issuer, number) {
  const party = (revoked?.parties || []).find((p) => p.party === issuer);
  return (party?.permits || []).find((p) => p.number === number)?.status || null;
}

/**
 * The whole check. {verdict: 'valid'|'expired'|'invalid'|'unknown-key', reason, claims?,
 * revoked?}; `now` in unix seconds.
 */
export async function verify(input, { keys, revoked, ed, now }) {
  let opened;
  try {
    opened = await open(input);
  } catch (e) {
    // Bytes no decoder step foresaw (text that is not UTF-8, say) are not a seal either.
    return { verdict: 'invalid', reason: e instanceof NotASeal ? e.message : 'the seal cannot be read' };
  }
  const { claims } = opened;
  const found = await findKey(keys, claims.issuer, opened.kid, claims.issuedAt);
  if (found.untrusted) return { verdict: 'invalid', reason: found.untrusted, issuer: claims.issuer };
  if (!found.key) return { verdict: 'unknown-key', reason: found.unknown, issuer: claims.issuer };
  const signed = opened.signature.length === 64
    && await ed.verify(opened.signature, sigStructure(opened.protectedBytes, opened.payload), found.key);
  if (!signed) return { verdict: 'invalid', reason: "the signature does not match the seal's content", issuer: claims.issuer };
  const status = revocation(revoked, claims.issuer, claims.number);
  if (status) return { verdict: 'invalid', reason: status, revoked: status, claims };
  if (now > claims.expiresAt) return { verdict: 'expired', reason: `valid only until ${claims.validUntil}`, claims };
  return { verdict: 'valid', claims };
}
