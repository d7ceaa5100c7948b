// Node tests of wasm/js/body.mjs: the raw AEAD key handed to the opener (and
// the sealer) is all zeros afterwards, on success and on every failure path.
// Run by TestNode_BodyKeyZeroed (wasm/node_test.go): node --test <this file>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkPool, sealBody, openBody, importBodyKey, BlindvaultError, HEADER_SIZE } from '../../js/body.mjs';

const pool = new ChunkPool({ workers: 0 });

function rand(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/** Fresh keys: a random AEAD key (a copy is kept), base nonce, salt, commitment. */
function newKeys() {
  const aeadKey = rand(32);
  return { keys: { aeadKey, baseNonce: rand(12), salt: rand(24), commitment: rand(32) }, copy: aeadKey.slice() };
}

/** Keys like k with a fresh copy of the raw key (sealing zeroes k's). */
function again(k, copy) {
  return { ...k, aeadKey: copy.slice() };
}

function assertZero(key, what) {
  assert.ok(key.length > 0, `${what}: the key buffer is empty`);
  assert.ok(key.every((b) => b === 0), `${what}: the raw AEAD key was not zeroed: ${Buffer.from(key).toString('hex')}`);
}

async function readAll(stream) {
  const out = [];
  for await (const c of stream) out.push(...c);
  return new Uint8Array(out);
}

/** A sealed body of plaintext and the keys that open it. */
async function sealed(plaintext) {
  const { keys, copy } = newKeys();
  const r = await sealBody({ keys, source: plaintext, pool });
  assertZero(keys.aeadKey, 'sealBody');
  const body = new Uint8Array(await r.ciphertext.arrayBuffer());
  return { keys: again(keys, copy), body, r, copy, k: keys };
}

async function rejects(p, code, what) {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof BlindvaultError || e instanceof Error, `${what}: ${e}`);
    if (code) assert.equal(e.code, code, `${what}: ${e.code}: ${e.message}`);
    return true;
  });
}

test('success: the key is zeroed once imported, and the body opens', async () => {
  const pt = rand(40000);
  const { keys, body, r } = await sealed(pt);
  const stream = await openBody({ keys, body, pool,
    expect: { ciphertextLength: r.ciphertextLength, chunkCount: r.leaves.length / 32, leaves: r.leaves, length: pt.length } });
  assertZero(keys.aeadKey, 'open (success)');
  assert.deepEqual(await readAll(stream), pt);
});

test('success with a key callback: the returned key is zeroed', async () => {
  const pt = rand(100);
  const { keys, body } = await sealed(pt);
  const stream = await openBody({ keys: async () => keys, body, pool });
  assertZero(keys.aeadKey, 'open (callback)');
  assert.deepEqual(await readAll(stream), pt);
});

test('layout error', async () => {
  const { keys, body, r } = await sealed(rand(100));
  await rejects(openBody({ keys, body, pool, expect: { ciphertextLength: r.ciphertextLength, chunkCount: 7 } }), 'LAYOUT', 'layout');
  assertZero(keys.aeadKey, 'layout error');
});

test('short header', async () => {
  const { keys, body } = await sealed(rand(100));
  await rejects(openBody({ keys, body: body.subarray(0, HEADER_SIZE - 1), pool }), 'TRUNCATED', 'short header');
  assertZero(keys.aeadKey, 'short header');
});

test('short header with a key callback: the callback is never asked', async () => {
  const { keys, body } = await sealed(rand(100));
  let asked = false;
  await rejects(openBody({ keys: async () => { asked = true; return keys; }, body: body.subarray(0, 10), pool }), 'TRUNCATED', 'short header');
  assert.equal(asked, false);
});

test('failing key callback', async () => {
  const { body } = await sealed(rand(100));
  await rejects(openBody({ keys: async () => { throw new BlindvaultError('OPRF', 'no key'); }, body, pool }), 'OPRF', 'callback');
});

test('key callback returning keys without a salt', async () => {
  const { keys, body } = await sealed(rand(100));
  const bad = { aeadKey: keys.aeadKey, baseNonce: keys.baseNonce, commitment: keys.commitment };
  await rejects(openBody({ keys: async () => bad, body, pool }), undefined, 'malformed keys');
  assertZero(keys.aeadKey, 'malformed keys from the callback');
});

test('commitment mismatch', async () => {
  const { keys, body } = await sealed(rand(100));
  keys.commitment = rand(32);
  await rejects(openBody({ keys, body, pool }), 'COMMITMENT', 'commitment');
  assertZero(keys.aeadKey, 'commitment mismatch');
});

test('commitment mismatch with a key callback', async () => {
  const { keys, body } = await sealed(rand(100));
  keys.salt = rand(24);
  await rejects(openBody({ keys: async () => keys, body, pool }), 'COMMITMENT', 'commitment');
  assertZero(keys.aeadKey, 'commitment mismatch (callback)');
});

test('import failure: a 31-byte key', async () => {
  const { keys, body } = await sealed(rand(100));
  keys.aeadKey = rand(31);
  await rejects(openBody({ keys, body, pool }), undefined, 'import');
  assertZero(keys.aeadKey, 'import failure');
});

test('import failure in importBodyKey: a usage WebCrypto refuses', async () => {
  const raw = rand(32);
  await rejects((async () => importBodyKey(raw, 'sign'))(), undefined, 'import');
  assertZero(raw, 'importBodyKey failure');
});

test('a body that is not bytes, a Blob or a stream', async () => {
  const { keys } = newKeys();
  await rejects(openBody({ keys, body: 42, pool }), 'INVALID_ARGUMENT', 'bad body');
  assertZero(keys.aeadKey, 'bad body argument');
});

test('sealBody with a key WebCrypto refuses', async () => {
  const { keys } = newKeys();
  keys.aeadKey = rand(31);
  await rejects(sealBody({ keys, source: rand(10), pool }), undefined, 'seal import');
  assertZero(keys.aeadKey, 'sealBody import failure');
});

test('a subarray key: only its own bytes are zeroed', async () => {
  const { keys, body } = await sealed(rand(100));
  const backing = new Uint8Array(40).fill(0xaa);
  backing.set(keys.aeadKey, 4);
  keys.aeadKey = backing.subarray(4, 36);
  keys.commitment = rand(32);
  await rejects(openBody({ keys, body, pool }), 'COMMITMENT', 'commitment');
  assertZero(keys.aeadKey, 'subarray key');
  assert.deepEqual([...backing.subarray(0, 4), ...backing.subarray(36)], new Array(8).fill(0xaa));
});
