// Browser tests of the blindvault package, driven by wasm/browser_test.go
// through the DevTools protocol: each function resolves to a report the Go
// test checks. Served under the same Content-Security-Policy as the portal.
import * as bv from '../blindvault/blindvault.mjs';
import { openBody, sealBody, ChunkPool, LEAF_SIZE } from '../blindvault/body.mjs';

const hex = (s) => Uint8Array.from((s ?? '').match(/../g) ?? [], (h) => parseInt(h, 16));
const b64 = (s) => Uint8Array.from(atob(s ?? ''), (c) => c.charCodeAt(0));
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function json(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

/** Reads a stream to its end or its error: {bytes, error}. */
async function drain(stream) {
  const parts = [];
  let error = null;
  const r = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      parts.push(value);
    }
  } catch (e) {
    error = e;
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
  return { bytes, error };
}

async function sha512(b) {
  return new Uint8Array(await crypto.subtle.digest('SHA-512', b));
}

const errorNames = {
  ErrMalformed: 'INVALID', ErrTooLarge: 'TOO_LARGE', ErrTrailingData: 'INVALID', ErrUnknownVersion: 'UNSUPPORTED',
  ErrUnknownKind: 'UNSUPPORTED', ErrUnknownSuite: 'UNSUPPORTED', ErrBadSignature: 'BAD_SIGNATURE', ErrUnknownEvent: 'UNSUPPORTED',
};

/** sdk/testdata/format-v1.json through the JS API (format.*) and WebCrypto. */
async function formatVectors() {
  const f = await json('data/format-v1.json');
  const report = { passed: 0, failures: [] };
  const check = (name, ok, detail = '') => (ok ? report.passed++ : report.failures.push(`${name}${detail ? ': ' + detail : ''}`));
  const keys = Object.fromEntries(f.keys.map((k) => [k.name, k]));
  for (const v of f.valid) {
    const name = `valid ${v.type} (${v.name})`;
    try {
      const data = hex(v.signed);
      const p = await bv.format.parse(v.type, data);
      check(`${name} encoding`, equal(p.encoding, data));
      check(`${name} hash`, toHex(p.hash) === v.hash);
      check(`${name} purpose`, p.purpose === v.purpose, p.purpose);
      await bv.format.verify(v.type, data, hex(keys[v.signer].ed25519_pk));
      check(`${name} verify`, true);
      if (v.type === 'KeyCard' && keys[v.signer].fingerprint) {
        check(`${name} fingerprint`, toHex(p.fingerprint) === keys[v.signer].fingerprint && p.fingerprintText === keys[v.signer].fingerprint_text);
      }
      if (v.text) check(`${name} text form`, equal((await bv.format.parse('KeyCardText', v.text)).encoding, data));
    } catch (e) {
      check(name, false, `${e.code}: ${e.message}`);
    }
  }
  for (const v of f.invalid) {
    const name = `invalid ${v.type} (${v.name})`;
    const want = errorNames[v.error];
    try {
      const data = v.type === 'KeyCardText' ? v.text : hex(v.signed);
      await bv.format.parse(v.type, data);
      if (!v.verify_with) {
        check(name, false, `parsed, want ${want}`);
        continue;
      }
      await bv.format.verify(v.type, data, hex(keys[v.verify_with].ed25519_pk));
      check(name, false, `verified, want ${want}`);
    } catch (e) {
      check(name, e instanceof bv.BlindvaultError && e.code === want, `${e.code}, want ${want}: ${e.message}`);
    }
  }
  const g = f.grant_hpke;
  try {
    const k = await bv.format.openGrant(hex(g.recipient_xwing_seed), hex(g.record_id), g.epoch, hex(g.enc), hex(g.ct));
    check('grant_hpke opens to the epoch key', toHex(k) === g.epoch_key);
  } catch (e) {
    check('grant_hpke', false, `${e.code}: ${e.message}`);
  }
  const d = f.header_dek;
  try {
    const ek = hex(g.epoch_key);
    const key = await crypto.subtle.importKey('raw', ek, 'AES-GCM', false, ['decrypt']);
    const w = hex(d.wrapped_dek);
    const dek = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: w.subarray(0, 12), additionalData: hex(d.body_context) }, key, w.subarray(12)));
    check('header_dek unwraps under the epoch key in WebCrypto', toHex(dek) === d.dek);
  } catch (e) {
    check('header_dek', false, String(e));
  }
  return report;
}

/**
 * Wycheproof's Cobblestone-256 vectors through the browser code path: keys
 * derived in blindvault.wasm, every chunk in WebCrypto, in three ways —
 * derived and checked (cobblestone.open, the package's default pool), raw
 * with the listed AES key and base nonce (body.mjs, in two Web Workers), and
 * sealing every valid message again with its salt, byte for byte, leaves
 * included.
 */
async function wycheproof() {
  const cases = await json('data/wycheproof.json');
  const pool = new ChunkPool({ workers: 2 });
  await pool.ready;
  const report = { passed: 0, failures: [], ran: [], workers: pool.size };
  for (const c of cases) {
    const has = (f) => c.flags.includes(f);
    const key = b64(c.key), ctx = b64(c.ctx), ct = b64(c.ct);
    const fail = (how, why) => report.failures.push(`tc${c.tcId} ${how} (${c.comment}): ${why}`);
    // What a run must produce: the message, or an error after the valid
    // prefix (PartialPlaintext) or after nothing.
    const judge = async (how, opened) => {
      const { bytes, error } = opened.error && !opened.bytes ? { bytes: new Uint8Array(0), error: opened.error } : opened;
      if (c.result === 'valid') {
        if (error) return fail(how, `error ${error.code}: ${error.message}`);
      } else if (!error) {
        return fail(how, 'no error');
      } else if (!(error instanceof bv.BlindvaultError)) {
        return fail(how, `not a BlindvaultError: ${error}`);
      }
      const wantPrefix = c.result === 'valid' || has('PartialPlaintext');
      if (wantPrefix) {
        if (bytes.length !== c.msgLength || toHex(await sha512(bytes)) !== c.msgSha512) return fail(how, `released ${bytes.length} bytes, want the ${c.msgLength} of the message`);
      } else if (bytes.length !== 0) {
        return fail(how, `released ${bytes.length} bytes of an invalid message`);
      }
      if (has('HeaderFailure') && how === 'derived' && !['COMMITMENT', 'TRUNCATED', 'INVALID'].includes(error.code)) {
        return fail(how, `error ${error.code} on a header failure`);
      }
      report.passed++;
    };
    const run = async (open) => {
      try {
        return await drain(await open());
      } catch (e) {
        return { error: e };
      }
    };
    await judge('derived', await run(() => bv.cobblestone.open(key, ctx, ct)));
    if (c.aeadKey && !has('HeaderFailure')) {
      const keys = { aeadKey: b64(c.aeadKey), baseNonce: b64(c.baseNonce), salt: ct.slice(0, 24), commitment: ct.slice(24, 56) };
      await judge('raw', await run(() => openBody({ keys, body: ct, pool })));
    }
    if (c.result === 'valid') {
      const { bytes } = await drain(await bv.cobblestone.open(key, ctx, ct));
      const s = await bv.cobblestone.seal(key, ctx, bytes, { salt: ct.slice(0, 24) });
      const again = new Uint8Array(await s.ciphertext.arrayBuffer());
      if (!equal(again, ct) || s.ciphertextLength !== ct.length) fail('seal', `ciphertext differs (${again.length} bytes, want ${ct.length})`);
      else if (toHex(s.leaves) !== toHex(b64(c.leaves)) || s.leaves.length !== LEAF_SIZE * Math.ceil((ct.length - 56) / 16400)) fail('seal', 'leaves differ');
      else report.passed++;
    }
    report.ran.push({ tcId: c.tcId, flags: c.flags });
  }
  pool.close();
  return report;
}

function filled(n) {
  const block = crypto.getRandomValues(new Uint8Array(65536));
  const parts = [];
  for (let off = 0; off < n; off += block.length) parts.push(block.subarray(0, Math.min(block.length, n - off)));
  return new Blob(parts);
}

/**
 * Seals and opens an n-byte body (a Blob, as a File is) with the WebCrypto
 * path, on the page's thread and in two workers: {bytes, cores, runs: [{workers,
 * sealMs, openMs}]}, the best of three each.
 */
async function bodyThroughput(n) {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const ctx = new TextEncoder().encode('blindvault.v1 body benchmark');
  const body = filled(n);
  const runs = [];
  for (const workers of [0, 2]) {
    const pool = new ChunkPool({ workers });
    await pool.ready;
    const keys = async () => ({ ...(await bv.cobblestone.deriveKeys(key, new Uint8Array(24), ctx)), salt: new Uint8Array(24) });
    await sealBody({ keys: await keys(), source: filled(1 << 20), pool }); // warm up
    let sealMs = Infinity;
    let openMs = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      let t = performance.now();
      const s = await sealBody({ keys: await keys(), source: body, pool });
      sealMs = Math.min(sealMs, performance.now() - t);
      t = performance.now();
      const opened = await openBody({ keys: await keys(), body: s.ciphertext, pool,
        expect: { ciphertextLength: s.ciphertextLength, chunkCount: s.leaves.length / LEAF_SIZE, leaves: s.leaves } });
      const r = opened.getReader();
      let got = 0;
      for (;;) {
        const { done, value } = await r.read();
        if (done) break;
        got += value.length;
      }
      openMs = Math.min(openMs, performance.now() - t);
      if (got !== n) throw new Error(`opened ${got} bytes of ${n}`);
    }
    runs.push({ workers: pool.size, sealMs, openMs });
    pool.close();
  }
  return { bytes: n, cores: navigator.hardwareConcurrency, runs };
}

/**
 * What a body's parts cost here, each alone: n bytes from memory in 16 KiB
 * WebCrypto calls, 64 in flight, of AES-256-GCM, of SHA-256, and of the pair
 * each chunk needs (encrypt, then hash the ciphertext); reading an n-byte Blob
 * in 4 MiB slices; and making a Blob of n bytes in 16 KiB parts. {aesMs, shaMs,
 * pairMs, blobReadMs, blobMakeMs}, the best of three each.
 */
async function limits(n) {
  const chunk = 16384;
  const data = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(data.subarray(off, off + 65536));
  const key = await crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), { name: 'AES-GCM' }, false, ['encrypt']);
  const iv = new Uint8Array(12);
  const calls = (op) => async () => {
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < n / chunk; i = next++) await op(data.subarray(i * chunk, (i + 1) * chunk));
    };
    await Promise.all(Array.from({ length: 64 }, lane));
  };
  const blob = new Blob([data]);
  const parts = Array.from({ length: n / chunk }, (_, i) => data.subarray(i * chunk, (i + 1) * chunk));
  const runs = {
    aes: calls((pt) => crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, pt)),
    sha: calls((pt) => crypto.subtle.digest('SHA-256', pt)),
    pair: calls(async (pt) => crypto.subtle.digest('SHA-256', await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, pt))),
    blobRead: async () => {
      for (let off = 0; off < n; off += 4 << 20) await blob.slice(off, off + (4 << 20)).arrayBuffer();
    },
    blobMake: async () => new Blob(parts),
  };
  const out = {};
  for (const [name, run] of Object.entries(runs)) {
    let best = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      const t = performance.now();
      await run();
      best = Math.min(best, performance.now() - t);
    }
    out[`${name}Ms`] = best;
  }
  return out;
}

/** Runs testdata/gobench (AES-256-GCM in Go-wasm over n bytes in 16 KiB chunks): {sealMs, openMs}. */
async function goWasmAESGCM(n) {
  const go = new globalThis.Go();
  const name = `__gobench_${Math.random().toString(36).slice(2)}`;
  const result = new Promise((resolve) => { globalThis[name] = (r) => resolve(JSON.parse(r)); });
  go.argv = ['gobench', String(n), name];
  const { instance } = await WebAssembly.instantiateStreaming(fetch('data/gobench.wasm'), go.importObject);
  go.run(instance);
  return result;
}

/** Registers an account, then times a login on a new device (memory storage). */
async function loginTiming(passphrase) {
  const handle = `bench-${Math.random().toString(36).slice(2, 10)}`;
  let t = performance.now();
  const a = await bv.Client.connect({ storage: 'memory' });
  await a.register({ handle, passphrase });
  const registerMs = performance.now() - t;
  a.close();
  const b = await bv.Client.connect({ storage: 'memory' });
  t = performance.now();
  await b.login({ handle, passphrase });
  const loginMs = performance.now() - t;
  b.close();
  return { registerMs, loginMs };
}

window.tests = { formatVectors, wycheproof, bodyThroughput, limits, goWasmAESGCM, loginTiming };
await bv.load();
document.getElementById('state').textContent = 'ready';
document.body.dataset.ready = '1';
