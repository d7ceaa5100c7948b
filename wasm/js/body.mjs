// Cobblestone-256 record bodies in WebCrypto (c2sp.org/chunked-encryption with
// HKDF-Expand-SHA-512 and AES-256-GCM; docs/spec/format-v1.md §4).
//
// blindvault.wasm derives each body's AES key, base nonce and commitment (HKDF-
// Expand is not in WebCrypto) and checks everything signed; this module does
// the bulk work it hands over, which never passes through Go-wasm memory:
// AES-256-GCM of each 16 KiB chunk and SHA-256 of each leaf,
// leaf_i = SHA-256(0x00 ‖ chunk ciphertext and tag). Batches of chunks run in
// Web Workers (worker.mjs), several in flight; plaintext is released in order
// and only after its leaf and tag checks.

export const CHUNK_SIZE = 16384;
export const TAG_SIZE = 16;
export const ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const SALT_SIZE = 24;
export const COMMITMENT_SIZE = 32;
export const HEADER_SIZE = SALT_SIZE + COMMITMENT_SIZE;
export const LEAF_SIZE = 32;
export const MAX_CHUNKS = 2 ** 38;

/**
 * How batches are cut and queued: chunks per batch (64: 1 MiB of plaintext),
 * and batches in flight (0: two per worker, at least four, or eight without
 * workers). Measured in docs/benchmarks.md.
 */
export const tuning = { batchChunks: 64, inFlight: 0 };
/** A chunk's slot in a batch buffer: 0x00 ‖ chunk ciphertext, so its leaf hashes in place. */
const SLOT = 1 + ENCRYPTED_CHUNK_SIZE;

/** An error with a stable code, the same codes blindvault.wasm uses. */
export class BlindvaultError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'BlindvaultError';
    this.code = code;
  }
}

const subtle = globalThis.crypto.subtle;

/**
 * The nonce of chunk `index`: the base nonce XOR the index as a 12-byte
 * big-endian integer. An index is below 2^38, so only the last 5 bytes change;
 * the XOR is done on a DataView, a byte and a 32-bit word, since JavaScript's
 * bitwise operators are 32-bit.
 */
export function chunkNonce(baseNonce, index) {
  const n = new Uint8Array(baseNonce);
  const v = new DataView(n.buffer);
  v.setUint8(7, v.getUint8(7) ^ Math.floor(index / 2 ** 32));
  v.setUint32(8, v.getUint32(8) ^ (index % 2 ** 32));
  return n;
}

/**
 * Imports a body's AES-256-GCM key, not extractable, and zeroes the raw bytes
 * whatever happens (importKey copies them when it is called, so the promise
 * it returns does not need them): a rejected or throwing import leaves no
 * copy of the key behind either.
 */
export function importBodyKey(raw, usage) {
  try {
    return subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, [usage]);
  } finally {
    zeroKey(raw);
  }
}

/** Zeroes raw key bytes: a typed array or an ArrayBuffer; anything else is left alone. */
export function zeroKey(raw) {
  if (ArrayBuffer.isView(raw)) new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength).fill(0);
  else if (raw instanceof ArrayBuffer) new Uint8Array(raw).fill(0);
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** Chunks of one batch in flight at once: each lane has its own scratch slot. */
const LANES = 16;

/**
 * Scratch slots of 0x00 ‖ chunk ciphertext, where a leaf is hashed: digest
 * copies its input when it is called, so a slot is free again at once, and
 * reusing slots instead of allocating one per chunk measured 30–45% faster
 * (fresh buffers cost Chromium a zero fill, page faults and GC pressure).
 */
const spare = [];
function withSlot(fn) {
  const slot = spare.pop() ?? new Uint8Array(SLOT);
  return fn(slot).finally(() => spare.length < 64 && spare.push(slot));
}

/**
 * Seals one batch: `plaintext` is whole chunks, the last one short (the final
 * chunk) when `final`. Returns each chunk's ciphertext and tag as WebCrypto
 * made it (an ArrayBuffer, never copied again), the number of chunks, and
 * their leaves.
 */
export async function sealBatch({ key, baseNonce, first, plaintext, final }) {
  const n = final ? Math.floor(plaintext.length / CHUNK_SIZE) + 1 : plaintext.length / CHUNK_SIZE;
  const chunks = new Array(n);
  const leaves = new Uint8Array(n * LEAF_SIZE);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, LANES) }, () => withSlot(async (slot) => {
    for (let j = next++; j < n; j = next++) {
      const pt = plaintext.subarray(j * CHUNK_SIZE, Math.min((j + 1) * CHUNK_SIZE, plaintext.length));
      const ct = await subtle.encrypt({ name: 'AES-GCM', iv: chunkNonce(baseNonce, first + j) }, key, pt);
      slot.set(new Uint8Array(ct), 1);
      leaves.set(new Uint8Array(await subtle.digest('SHA-256', slot.subarray(0, 1 + ct.byteLength))), j * LEAF_SIZE);
      chunks[j] = ct;
    }
  })));
  return { chunks, n, leaves };
}

/**
 * Opens one batch of n chunks held in slots of 0x00 ‖ chunk ciphertext, all
 * full but the last, of lastLength bytes. With `leaves`, a chunk must hash to
 * its leaf before it is decrypted. Returns the plaintext of each chunk before
 * the first failure, as WebCrypto made it (an ArrayBuffer), and that failure.
 */
export async function openBatch({ key, baseNonce, first, slots, n, lastLength, leaves }) {
  const lengths = Array.from({ length: n }, (_, j) => (j === n - 1 ? lastLength : ENCRYPTED_CHUNK_SIZE));
  const results = await Promise.all(lengths.map(async (len, j) => {
    const index = first + j;
    const slot = slots.subarray(j * SLOT, j * SLOT + 1 + len);
    if (leaves) {
      const leaf = new Uint8Array(await subtle.digest('SHA-256', slot));
      if (!equalBytes(leaf, leaves.subarray(j * LEAF_SIZE, (j + 1) * LEAF_SIZE))) {
        return { error: { code: 'LEAF_MISMATCH', message: `chunk ${index} does not match its leaf` } };
      }
    }
    try {
      return { plaintext: await subtle.decrypt({ name: 'AES-GCM', iv: chunkNonce(baseNonce, index) }, key, slot.subarray(1)) };
    } catch {
      return { error: { code: 'CHUNK_AUTH', message: `chunk ${index} failed authentication` } };
    }
  }));
  let ok = results.findIndex((r) => r.error);
  if (ok < 0) ok = n;
  return { chunks: results.slice(0, ok).map((r) => r.plaintext), error: ok < n ? results[ok].error : null };
}

/**
 * ChunkPool runs batches in Web Workers, or on this thread when there are
 * none. Chromium does a WebCrypto call's work on the thread that makes it, so
 * workers add cores; on two cores or fewer there are none to add (measured
 * no faster, docs/benchmarks.md). The default is no workers there and one per
 * core but one beyond that, up to 8; `workers` overrides it. Where workers
 * cannot start (no Worker, or a policy that refuses them) batches run on this
 * thread.
 */
export class ChunkPool {
  #workers = [];
  #pending = new Map();
  #next = 0;
  #id = 0;
  #ready;

  constructor({ workers, workerURL } = {}) {
    const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
    const n = workers ?? (cores > 2 ? Math.min(cores - 1, 8) : 0);
    if (typeof Worker === 'undefined' || n <= 0) {
      this.#ready = Promise.resolve();
      return;
    }
    const started = [];
    for (let i = 0; i < n; i++) {
      let w;
      try {
        w = new Worker(workerURL ?? new URL('./worker.mjs', import.meta.url), { type: 'module' });
      } catch {
        break;
      }
      // A worker joins the pool once it answers; one that fails to load never does.
      started.push(new Promise((resolve) => {
        w.onmessage = () => {
          w.onmessage = (e) => this.#settle(e.data);
          this.#workers.push(w);
          resolve();
        };
        w.onerror = () => {
          w.terminate();
          resolve();
        };
        w.postMessage({ id: 0, op: 'ping' });
      }));
    }
    this.#ready = Promise.all(started).then(() => {
      for (const w of this.#workers) w.onerror = (e) => this.#fail(w, e);
    });
  }

  /** Resolves once the workers that could start have. */
  get ready() { return this.#ready; }

  /** The number of workers, 0 when batches run on this thread. */
  get size() { return this.#workers.length; }

  /** How many batches to keep in flight. */
  get inFlight() { return tuning.inFlight || (this.#workers.length ? Math.max(2 * this.#workers.length, 4) : 8); }

  /** Runs a batch: op is 'seal' or 'open'. Never rejects: errors come back as {error}. */
  async run(op, task, transfer) {
    await this.#ready;
    if (this.#workers.length === 0) {
      return (op === 'seal' ? sealBatch(task) : openBatch(task)).catch((e) => ({ error: { code: e.code ?? 'ERROR', message: String(e.message ?? e) } }));
    }
    const id = ++this.#id;
    const w = this.#workers[this.#next++ % this.#workers.length];
    return new Promise((resolve) => {
      this.#pending.set(id, { resolve, worker: w });
      w.postMessage({ id, op, task }, transfer);
    });
  }

  #settle({ id, result }) {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.resolve(result);
  }

  #fail(worker, e) {
    this.#workers = this.#workers.filter((w) => w !== worker);
    worker.terminate();
    for (const [id, p] of this.#pending) {
      if (p.worker !== worker) continue;
      this.#pending.delete(id);
      p.resolve({ error: { code: 'ERROR', message: `body worker failed: ${e.message ?? 'error'}` } });
    }
  }

  close() {
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
  }
}

// ---- reading sources -------------------------------------------------------

/** Bytes read from a Blob at a time: larger reads cost less per byte. */
const BLOB_READ = 4 << 20;

/**
 * Yields a plaintext source's bytes in pieces, {bytes, owned}: a Blob or File
 * in 4 MiB slices, two reads in flight; a stream as it comes; bytes in
 * `step`-sized views. An owned piece is this module's to hand on uncopied.
 */
async function* pieces(source, step) {
  if (source instanceof Uint8Array) {
    for (let off = 0; off < source.length; off += step) yield { bytes: source.subarray(off, Math.min(off + step, source.length)), owned: false };
  } else if (source instanceof ArrayBuffer) {
    yield* pieces(new Uint8Array(source), step);
  } else if (typeof Blob !== 'undefined' && source instanceof Blob) {
    let next = source.size > 0 ? source.slice(0, BLOB_READ).arrayBuffer() : null;
    for (let off = 0; off < source.size; off += BLOB_READ) {
      const cur = next;
      next = off + BLOB_READ < source.size ? source.slice(off + BLOB_READ, off + 2 * BLOB_READ).arrayBuffer() : null;
      yield { bytes: new Uint8Array(await cur), owned: true };
    }
  } else if (source && typeof source.getReader === 'function') {
    const r = source.getReader();
    try {
      for (;;) {
        const { done, value } = await r.read();
        if (done) return;
        yield { bytes: value instanceof Uint8Array ? value : new Uint8Array(value), owned: false };
      }
    } finally {
      r.releaseLock();
    }
  } else {
    throw new BlindvaultError('INVALID_ARGUMENT', 'a body is a Blob, a ReadableStream of Uint8Array, a Uint8Array or a string');
  }
}

/**
 * Runs tasks from an async iterator of {task: Promise}, `limit` in flight,
 * yielding results in order. (The promises are wrapped: an async generator
 * would wait for a bare one before yielding it.)
 */
async function* ordered(tasks, limit) {
  const queue = [];
  const it = tasks[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      while (!done && queue.length < limit) {
        const n = await it.next();
        if (n.done) done = true;
        else queue.push(n.value.task);
      }
      if (queue.length === 0) return;
      yield await queue.shift();
    }
  } finally {
    if (!done) await it.return?.();
  }
}

/**
 * Seals a whole body. keys = {aeadKey, baseNonce, salt, commitment} (aeadKey
 * is zeroed once imported); paddedSize(length), if given, is the length the
 * plaintext is zero-padded to; onProgress(bytes), if given, hears how much
 * of the plaintext is sealed, after each batch. Returns
 * {ciphertext: Blob, leaves, length, ciphertextLength}.
 */
export async function sealBody({ keys, source, paddedSize, pool, onProgress }) {
  const key = await importBodyKey(keys.aeadKey, 'encrypt'); // zeroes aeadKey, whether or not the import works
  const baseNonce = new Uint8Array(keys.baseNonce);
  const batch = tuning.batchChunks;
  const step = batch * CHUNK_SIZE;
  let length = 0;
  async function* batches() {
    let first = 0;
    const run = (plaintext, final) => {
      const t = pool.run('seal', { key, baseNonce, first, plaintext, final }, [plaintext.buffer]);
      first += batch;
      return { task: t };
    };
    let buf = new Uint8Array(step);
    let filled = 0;
    for await (let { bytes: p, owned } of pieces(source, step)) {
      length += p.length;
      while (p.length > 0) {
        if (filled === 0 && p.length >= step && owned && pool.size === 0) {
          const whole = p.subarray(0, step); // read from a Blob and sealed on this thread: not copied
          p = p.subarray(step);
          yield run(whole, false);
          continue;
        }
        const n = Math.min(p.length, step - filled);
        buf.set(p.subarray(0, n), filled);
        filled += n;
        p = p.subarray(n);
        if (filled === step) {
          yield run(buf, false);
          buf = new Uint8Array(step);
          filled = 0;
        }
      }
    }
    let pad = (paddedSize ? paddedSize(length) : length) - length;
    if (pad < 0) throw new BlindvaultError('LAYOUT', `padded size below the length ${length}`);
    while (pad > 0) { // a fresh buffer is already zero
      const n = Math.min(pad, step - filled);
      filled += n;
      pad -= n;
      if (filled === step) {
        yield run(buf, false);
        buf = new Uint8Array(step);
        filled = 0;
      }
    }
    if (first + Math.floor(filled / CHUNK_SIZE) + 1 > MAX_CHUNKS) throw new BlindvaultError('TOO_LARGE', 'body too large');
    yield run(buf.slice(0, filled), true);
  }
  const header = new Uint8Array(HEADER_SIZE);
  header.set(keys.salt, 0);
  header.set(keys.commitment, SALT_SIZE);
  let blob = new Blob([header]);
  let parts = [];
  let partBytes = 0;
  const leafParts = [];
  let ciphertextLength = HEADER_SIZE;
  let sealedBytes = 0; // plaintext and padding sealed so far
  for await (const r of ordered(batches(), pool.inFlight)) {
    if (r.error) throw new BlindvaultError(r.error.code, r.error.message);
    for (const c of r.chunks) {
      parts.push(c);
      partBytes += c.byteLength;
      ciphertextLength += c.byteLength;
    }
    leafParts.push(r.leaves);
    sealedBytes += r.chunks.reduce((n, c) => n + c.byteLength - TAG_SIZE, 0);
    onProgress?.(Math.min(sealedBytes, length)); // what follows the length is padding
    if (partBytes >= 64 << 20) { // let the browser move what it holds to disk
      blob = new Blob([blob, ...parts]);
      parts = [];
      partBytes = 0;
    }
  }
  const leaves = new Uint8Array(leafParts.reduce((n, l) => n + l.length, 0));
  leafParts.reduce((off, l) => (leaves.set(l, off), off + l.length), 0);
  return { ciphertext: new Blob([blob, ...parts], { type: 'application/octet-stream' }), leaves, length, ciphertextLength };
}

// ---- opening ---------------------------------------------------------------

/** ByteReader reads exact byte counts from a ReadableStream. */
class ByteReader {
  #reader;
  #rest = new Uint8Array(0);
  constructor(stream) { this.#reader = stream.getReader(); }

  /** Fills dst from offset; returns the bytes read, fewer only at the end. */
  async fill(dst, offset = 0) {
    let n = offset;
    while (n < dst.length) {
      if (this.#rest.length === 0) {
        const { done, value } = await this.#reader.read();
        if (done) break;
        this.#rest = value instanceof Uint8Array ? value : new Uint8Array(value);
        continue;
      }
      const k = Math.min(this.#rest.length, dst.length - n);
      dst.set(this.#rest.subarray(0, k), n);
      this.#rest = this.#rest.subarray(k);
      n += k;
    }
    return n - offset;
  }

  cancel(reason) { return this.#reader.cancel(reason).catch(() => {}); }
}

/** Converts a body given as bytes, Blob or stream into a ReadableStream. */
export function toStream(body) {
  if (body && typeof body.getReader === 'function') return body;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body.stream();
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return new Blob([body]).stream();
  throw new BlindvaultError('INVALID_ARGUMENT', 'a ciphertext is a ReadableStream, a Blob or bytes');
}

/**
 * Opens a body. `keys` is {aeadKey, baseNonce, salt, commitment}, or a
 * function of the salt returning them (raw Cobblestone, where the salt comes
 * first); the body must start with exactly that salt and commitment.
 * `expect`, for a record, is {ciphertextLength, chunkCount, leaves, length}:
 * the signed layout, the leaf list checked against the signed root, and the
 * true length, after which the plaintext must be zero. Without it the final
 * chunk is the short one at the end of the stream.
 *
 * Resolves, once the header checked, to a ReadableStream of the plaintext:
 * each chunk in order, only after its leaf and tag checked. A later failure
 * errors the stream with a BlindvaultError.
 */
export async function openBody({ keys, body, expect, pool }) {
  let src;
  let key;
  // The raw AEAD key is zeroed on every path out of here, success or not: a
  // bad argument, a layout error, a short header, a failing or malformed key
  // callback, a commitment mismatch, a failed import.
  let raw = typeof keys === 'function' ? undefined : keys?.aeadKey;
  try {
    src = new ByteReader(toStream(body));
    if (expect) checkLayout(expect);
    const header = new Uint8Array(HEADER_SIZE);
    if (await src.fill(header) < HEADER_SIZE) throw new BlindvaultError('TRUNCATED', 'body ends inside its header');
    if (typeof keys === 'function') {
      keys = await keys(header.slice(0, SALT_SIZE));
      raw = keys?.aeadKey;
    }
    // Commitment first: a body made under another key, or another record's
    // body, is refused before any chunk is decrypted.
    if (!equalBytes(header.subarray(0, SALT_SIZE), keys.salt) || !equalBytes(header.subarray(SALT_SIZE), keys.commitment)) {
      throw new BlindvaultError('COMMITMENT', 'the body does not start with the salt and commitment it must');
    }
    key = await importBodyKey(raw, 'decrypt');
  } catch (e) {
    src?.cancel();
    throw e;
  } finally {
    zeroKey(raw);
  }
  const baseNonce = new Uint8Array(keys.baseNonce);
  const results = ordered(openBatches(src, expect, key, baseNonce, pool), pool.inFlight);
  let released = 0; // plaintext bytes passed on or checked as padding
  const keep = expect?.length ?? Infinity;
  // Passes on a batch's plaintext up to the true length; what follows must be
  // zero padding. Returns whether anything was enqueued.
  const pass = (controller, batch) => {
    let any = false;
    for (const chunk of batch.chunks ?? []) {
      let pt = new Uint8Array(chunk);
      if (released + pt.length > keep) {
        const cut = Math.max(keep - released, 0);
        if (pt.subarray(cut).some((b) => b !== 0)) throw new BlindvaultError('PADDING', 'body padding is not zero');
        released += pt.length - cut;
        pt = pt.subarray(0, cut);
      }
      released += pt.length;
      if (pt.length > 0) controller.enqueue(pt);
      any ||= pt.length > 0;
    }
    if (batch.error) throw new BlindvaultError(batch.error.code, batch.error.message);
    return any;
  };
  return new ReadableStream({
    // A pull must enqueue or close: the stream does not ask again otherwise.
    async pull(controller) {
      try {
        for (;;) {
          const { done, value } = await results.next();
          if (done) {
            controller.close();
            return;
          }
          if (pass(controller, value)) return;
        }
      } catch (e) {
        controller.error(e instanceof BlindvaultError ? e : new BlindvaultError(e.code ?? 'ERROR', String(e.message ?? e)));
        src.cancel();
        results.return();
      }
    },
    cancel(reason) {
      src.cancel(reason);
      results.return();
    },
  }, { highWaterMark: 0 });
}

function checkLayout({ ciphertextLength, chunkCount, leaves, length }) {
  const body = ciphertextLength - HEADER_SIZE;
  const full = Math.floor(body / ENCRYPTED_CHUNK_SIZE);
  const rem = body % ENCRYPTED_CHUNK_SIZE;
  const padded = body - TAG_SIZE * chunkCount;
  if (!(body >= TAG_SIZE && rem >= TAG_SIZE && full + 1 === chunkCount && chunkCount <= MAX_CHUNKS) ||
      (leaves && leaves.length !== chunkCount * LEAF_SIZE) || (length !== undefined && !(length <= padded))) {
    throw new BlindvaultError('LAYOUT', `${chunkCount} chunks in ${ciphertextLength} bytes`);
  }
}

const spareBatches = [];

/** Reads chunk batches from src and starts opening each; the last yields a tail error, if any. */
async function* openBatches(src, expect, key, baseNonce, pool) {
  let remaining = expect ? expect.ciphertextLength - HEADER_SIZE : Infinity;
  let first = 0;
  const batch = tuning.batchChunks;
  for (;;) {
    const slots = (pool.size === 0 && spareBatches.pop()) || new Uint8Array(batch * SLOT);
    let n = 0;
    let lastLength = ENCRYPTED_CHUNK_SIZE;
    let tail = null;
    let last = false;
    while (n < batch && !last) {
      const want = Math.min(ENCRYPTED_CHUNK_SIZE, remaining);
      const got = await src.fill(slots.subarray(n * SLOT + 1, n * SLOT + 1 + want));
      remaining -= got;
      if (first + n >= MAX_CHUNKS) {
        tail = { code: 'TOO_LARGE', message: 'too many chunks' };
        last = true;
      } else if (got === ENCRYPTED_CHUNK_SIZE) {
        n++; // a full chunk is never the final one
      } else if (expect && remaining > 0) {
        tail = { code: 'TRUNCATED', message: `body ends inside chunk ${first + n}` };
        last = true;
      } else if (got < TAG_SIZE) {
        tail = { code: 'TRUNCATED', message: `no final chunk after chunk ${first + n - 1}` };
        last = true;
      } else {
        lastLength = got;
        n++;
        last = true;
        if (expect) { // the signed length ends here; nothing may follow
          if (await src.fill(new Uint8Array(1)) > 0) tail = { code: 'INVALID', message: 'data after the final chunk' };
        }
      }
    }
    const leaves = expect?.leaves?.slice(first * LEAF_SIZE, (first + n) * LEAF_SIZE) ?? null;
    const task = n === 0 ? Promise.resolve({ chunks: [], error: null }) :
      pool.run('open', { key, baseNonce, first, slots, n, lastLength, leaves }, [slots.buffer]);
    // Opened on this thread, the buffer is free again once the batch is (a
    // worker's is transferred): reusing it spares a zero fill and page faults.
    task.then(() => slots.byteLength === batch * SLOT && spareBatches.length < 8 && spareBatches.push(slots));
    first += n;
    yield { task: tail ? task.then((r) => (r.error ? r : { chunks: r.chunks, error: tail })) : task };
    if (last) return;
  }
}
