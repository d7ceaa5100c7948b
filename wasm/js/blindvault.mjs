// Blindvault for browsers: records are encrypted in the page before anything
// is uploaded. blindvault.wasm (Go) holds the keys and checks everything the
// server says; body.mjs runs the bulk AES-GCM and SHA-256 in WebCrypto.
// Typings: blindvault.d.ts. Documentation: README.md.
import './wasm_exec.js';
import { BlindvaultError, ChunkPool, sealBody, openBody } from './body.mjs';

export { BlindvaultError };

let booting = null;

/**
 * Loads blindvault.wasm and starts the body workers. Every other call loads
 * on first use; call load() first to choose where from, or to start early.
 */
export function load(options = {}) {
  booting ??= boot(options).catch((e) => {
    booting = null;
    throw asError(e);
  });
  return booting.then(() => undefined);
}

function ready() {
  return booting ?? (load(), booting);
}

async function boot({ wasm, fhirWasm, pdfWasm, workers, workerURL } = {}) {
  sideSources = {
    'fhir.wasm': fhirWasm ?? new URL('./fhir.wasm', import.meta.url),
    'pdf.wasm': pdfWasm ?? new URL('./pdf.wasm', import.meta.url),
  };
  const a = await run(wasm ?? new URL('./blindvault.wasm', import.meta.url), 'blindvault.wasm');
  const pool = new ChunkPool({ workers, workerURL });
  await pool.ready;
  return { api: a, pool };
}

let sideSources = {};
const sideBooting = {};

// sideModule loads a side module on first use: fhir.wasm, the FHIR bundles
// of export and import, or pdf.wasm, the printable summary. Most pages never
// need them, so blindvault.wasm does not carry them.
function sideModule(name) {
  sideBooting[name] ??= ready().then(() => run(sideSources[name], name)).catch((e) => {
    delete sideBooting[name];
    throw asError(e);
  });
  return sideBooting[name];
}

// run instantiates a Go program from src (a URL, bytes or a module), starts
// it, and returns the API it hands back to the callback named in its argv.
async function run(src, label) {
  const go = new globalThis.Go();
  const name = `__blindvault_boot_${Math.random().toString(36).slice(2)}`;
  const api = new Promise((resolve) => { globalThis[name] = resolve; });
  go.argv = [label, name];
  let instance;
  if (src instanceof WebAssembly.Module) {
    instance = await WebAssembly.instantiate(src, go.importObject);
  } else if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) {
    ({ instance } = await WebAssembly.instantiate(src, go.importObject));
  } else {
    try {
      ({ instance } = await WebAssembly.instantiateStreaming(fetch(src), go.importObject));
    } catch {
      const resp = await fetch(src);
      if (!resp.ok) throw new BlindvaultError('UNREACHABLE', `loading ${src}: HTTP ${resp.status}`);
      ({ instance } = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject));
    }
  }
  go.run(instance);
  const a = await api;
  delete globalThis[name];
  return a;
}

function asError(e) {
  if (e instanceof BlindvaultError) return e;
  if (e && typeof e.code === 'string') {
    const err = new BlindvaultError(e.code, e.message);
    if (typeof e.explanation === 'string') err.explanation = e.explanation;
    err.serverMisbehaved = e.serverMisbehaved === true;
    return err;
  }
  return new BlindvaultError('ERROR', String(e?.message ?? e), { cause: e });
}

function call(p) {
  return p.catch((e) => { throw asError(e); });
}

function sync(r) {
  if (r.error) throw asError(r.error);
  return r.value;
}

function toSource(body) {
  return typeof body === 'string' ? new TextEncoder().encode(body) : body;
}

// ---- profile storage -------------------------------------------------------

// concat returns old (an ArrayBuffer, a Uint8Array or undefined) ‖ data, new.
function concat(old, data) {
  const a = old === undefined ? new Uint8Array(0) : new Uint8Array(old);
  const out = new Uint8Array(a.length + data.length);
  out.set(a);
  out.set(data, a.length);
  return out;
}

function fromBase64(s) {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/**
 * A profile store in the browser's IndexedDB, one per server: its quota holds
 * the record index of a lifetime of records, which localStorage's ~5 MB does
 * not. A profile an older version kept in localStorage is still read.
 */
export function localStore(server) {
  const prefix = `blindvault:${server}:`;
  let db;
  const open = () => db ??= new Promise((resolve, reject) => {
    const req = globalThis.indexedDB.open('blindvault', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('files');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const run = async (mode, op) => {
    const tx = (await open()).transaction('files', mode);
    const req = op(tx.objectStore('files'));
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  };
  return {
    async load(name) {
      const v = await run('readonly', (s) => s.get(prefix + name));
      if (v !== undefined) return new Uint8Array(v);
      const old = globalThis.localStorage?.getItem(prefix + name);
      return old == null ? null : fromBase64(old);
    },
    async save(name, data) {
      await run('readwrite', (s) => s.put(data.slice(), prefix + name));
      globalThis.localStorage?.removeItem(prefix + name);
    },
    /** Adds data at the end of a file in one transaction (the profile's journals, never kept in localStorage). */
    async append(name, data) {
      const tx = (await open()).transaction('files', 'readwrite');
      const store = tx.objectStore('files');
      const get = store.get(prefix + name);
      get.onsuccess = () => store.put(concat(get.result, data), prefix + name);
      return new Promise((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = tx.onabort = () => reject(tx.error);
      });
    },
    /** Removes every file of this server's profile. */
    async clear() {
      await run('readwrite', (s) => s.delete(IDBKeyRange.bound(prefix, prefix + '\uffff')));
      for (const k of Object.keys(globalThis.localStorage ?? {})) {
        if (k.startsWith(prefix)) globalThis.localStorage.removeItem(k);
      }
    },
  };
}

/** A profile store that lasts as long as the page. */
export function memoryStore() {
  const files = new Map();
  return {
    async load(name) { return files.has(name) ? files.get(name).slice() : null; },
    async save(name, data) { files.set(name, data.slice()); },
    async append(name, data) { files.set(name, concat(files.get(name), data)); },
    async clear() { files.clear(); },
  };
}

function toStorage(storage, server) {
  if (storage === 'local') return localStore(server);
  if (storage === 'memory') return memoryStore();
  if (storage && typeof storage.load === 'function' && typeof storage.save === 'function') return storage;
  throw new BlindvaultError('INVALID_ARGUMENT', "storage is 'local', 'memory' or {load, save}");
}

function serverURL(server) {
  const s = server ?? globalThis.location?.origin;
  if (!s) throw new BlindvaultError('INVALID_ARGUMENT', 'no server URL');
  return s.replace(/\/+$/, '');
}

// ---- the client ------------------------------------------------------------

function toInfo(r) {
  return { ...r, created: new Date(r.created), modified: new Date(r.modified) };
}

function toContact(c) {
  return c.attestation ? { ...c, attestation: { ...c.attestation, notAfter: new Date(c.attestation.notAfter) } } : c;
}

function toAmendment(a) {
  return { ...a, at: new Date(a.at) };
}

// counted passes a body through, telling onProgress how much has passed.
function counted(body, total, onProgress) {
  let loaded = 0;
  onProgress({ phase: 'download', loaded, total });
  return body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.length;
      onProgress({ phase: 'download', loaded, total });
      controller.enqueue(chunk);
    },
  }));
}

// noteSignatures lists the signers of a signed note (c2sp.org/signed-note):
// the lines "— name signature" after its blank line. The log's own key is
// named by the origin; any other is a witness's.
function noteSignatures(note) {
  const sigs = note.slice(note.indexOf('\n\n') + 2);
  return sigs.split('\n').filter((l) => l.startsWith('\u2014 ')).map((l) => l.slice(2).split(' ')[0]);
}

/** A record being read: its verified info and its plaintext, as it checks. */
export class Download {
  constructor(info, body) {
    this.info = info;
    this.body = body;
  }

  async #chunks() {
    const parts = [];
    const r = this.body.getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) return parts;
      parts.push(value);
    }
  }

  async blob() {
    return new Blob(await this.#chunks(), { type: this.info.type.includes('/') ? this.info.type : 'application/octet-stream' });
  }

  async bytes() {
    const parts = await this.#chunks();
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((off, p) => (out.set(p, off), off + p.length), 0);
    return out;
  }

  async text() {
    return new TextDecoder().decode(await this.bytes());
  }
}

/** One account on this device, talking to one server. */
export class Client {
  #go;
  #account = null;

  constructor(go) {
    this.#go = go;
  }

  /**
   * Opens the profile in storage, unlocking its keys with passphrase (a
   * string or a function returning one) if it holds an account; otherwise
   * the client is ready for register or login.
   */
  static async connect({ server, storage = 'local', passphrase, fetch } = {}) {
    const { api } = await ready();
    const url = serverURL(server);
    const go = await call(api.connect({
      server: url,
      storage: toStorage(storage, url),
      fetch: fetch ?? globalThis.fetch.bind(globalThis),
      passphrase: passphrase === undefined ? undefined : async () => (typeof passphrase === 'function' ? passphrase() : passphrase),
    }));
    const c = new Client(go);
    await c.#refresh();
    return c;
  }

  /**
   * Forgets the profile kept for server on this browser: its keys, its
   * memory of what it verified, and its record index. The account itself
   * stays on the server; sign in again with the passphrase.
   */
  static async forget({ server, storage = 'local' } = {}) {
    const store = toStorage(storage, serverURL(server));
    if (typeof store.clear !== 'function') throw new BlindvaultError('INVALID_ARGUMENT', 'this storage cannot be cleared');
    await store.clear();
  }

  /** Whether storage holds an account for server (then connect needs its passphrase). */
  static async hasProfile({ server, storage = 'local' } = {}) {
    const url = serverURL(server);
    return (await toStorage(storage, url).load('profile.json')) !== null;
  }

  async #refresh() {
    const s = await call(this.#go.state());
    this.#account = s ? JSON.parse(s) : null;
  }

  /** This account (handle, accountId, fingerprint, role), or null before register or login. */
  get account() {
    return this.#account;
  }

  async register(options) {
    const r = JSON.parse(await call(this.#go.register(JSON.stringify(options))));
    await this.#refresh();
    return r;
  }

  /**
   * Signs in on this device. options.passkey, if given, answers the server's
   * passkey challenge when the account has a passkey (passkeys.get does it
   * with navigator.credentials); it is not called otherwise.
   */
  async login(options) {
    const { passkey, ...rest } = options;
    const r = toContact(JSON.parse(await call(this.#go.login(JSON.stringify(rest), jsonCeremony(passkey)))));
    await this.#refresh();
    return r;
  }

  /** The account's second factors: TOTP and passkeys ({kind, created, confirmed, id, name}). */
  async secondFactors() {
    return JSON.parse(await call(this.#go.secondFactors())).map((f) => ({ ...f, created: new Date(f.created) }));
  }

  /**
   * Enrols a passkey named name: create makes it (passkeys.create). If the
   * account already has a second factor, the server wants proof of it: get
   * answers with an enrolled passkey (passkeys.get), or code is a TOTP code
   * or the recovery code.
   */
  async enrollPasskey(name, { create = passkeys.create, get, code } = {}) {
    await call(this.#go.enrollPasskey(name, jsonCeremony(create), jsonCeremony(get), code));
  }

  /** Removes the passkey with id, proved by get (any enrolled passkey) or code (TOTP or recovery code). */
  async removePasskey(id, { get, code } = {}) {
    await call(this.#go.removePasskey(id, jsonCeremony(get), code));
  }

  /**
   * Encrypts body in this page and uploads it. options.onProgress, if given,
   * hears {phase, loaded, total} in plaintext bytes: 'encrypt' as the body is
   * sealed, then 'upload' at 0 while the server receives it (fetch reports no
   * upload progress) and at total once the server has stored it.
   */
  async put(body, options = {}) {
    const { api, pool } = await ready();
    const source = toSource(body);
    const { onProgress, ...opts } = options;
    if (typeof File !== 'undefined' && source instanceof File) {
      opts.title ??= source.name;
      opts.type ??= source.type || undefined;
    }
    const total = source.size ?? source.byteLength;
    const report = (phase, loaded) => onProgress?.({ phase, loaded, total: total ?? loaded });
    const paddedSize = (n) => sync(api.paddedSize(n));
    const seal = async (keys) => {
      const sealed = await sealBody({ keys, source, paddedSize, pool, onProgress: onProgress && ((n) => report('encrypt', n)) });
      report('upload', 0);
      return sealed;
    };
    const info = toInfo(JSON.parse(await call(this.#go.put(JSON.stringify(opts), seal))));
    onProgress?.({ phase: 'upload', loaded: info.length, total: info.length });
    return info;
  }

  /**
   * Reads record id: its newest version, or options.version. The body
   * streams as it checks; options.onProgress, if given, hears {phase:
   * 'download', loaded, total} in plaintext bytes as it is read.
   */
  async get(id, options = {}) {
    const { pool } = await ready();
    const { version, onProgress } = options;
    const open = (p, response) => openBody({
      keys: p,
      body: response.body,
      expect: { ciphertextLength: p.ciphertextLength, chunkCount: p.chunkCount, leaves: p.leaves, length: p.length },
      pool,
    });
    const r = await call(this.#go.get(id, open, version));
    const info = toInfo(JSON.parse(r.info));
    return new Download(info, onProgress ? counted(r.body, info.length, onProgress) : r.body);
  }

  /** The versions of record id this account can read, newest first, each verified. */
  async versions(id) {
    return JSON.parse(await call(this.#go.versions(id))).map(toInfo);
  }

  /** The verified amendment history of record id: requests, answers, disagreements, oldest first. */
  async amendments(id) {
    return JSON.parse(await call(this.#go.amendments(id))).map(toAmendment);
  }

  /** Answers an amendment request: 'amended' (after writing the new version) or 'refused' with the reason. */
  async answerAmendment(request, decision, text = '') {
    return toAmendment(JSON.parse(await call(this.#go.answerAmendment(request, decision, text))));
  }

  /** Attaches a statement of disagreement to an amendment request of this account's. */
  async disagree(request, text) {
    return toAmendment(JSON.parse(await call(this.#go.disagree(request, text))));
  }

  /** Reads and checks the whole transparency log; returns its verified checkpoint. */
  async verifyLog() {
    const r = JSON.parse(await call(this.#go.verifyLog()));
    return { ...r, signatures: noteSignatures(r.checkpoint) };
  }

  /**
   * This account's records and those shared with it, each verified. The
   * list crosses from Go in one string, each key card once: records by the
   * same author or owner share that card's object.
   */
  async list() {
    const { cards, records } = JSON.parse(await call(this.#go.list()));
    return records.map((r) => ({
      ...r,
      author: cards[r.author] ?? null,
      owner: cards[r.owner] ?? null,
      created: new Date(r.created),
      modified: new Date(r.modified),
    }));
  }

  async lookup(handle, options = {}) {
    return toContact(JSON.parse(await call(this.#go.lookup(handle, JSON.stringify(options)))));
  }

  async share(id, handle, options = {}) {
    return toContact(JSON.parse(await call(this.#go.share(id, handle, JSON.stringify(options)))));
  }

  async shareRecords(ids, handle, options = {}) {
    return toContact(JSON.parse(await call(this.#go.shareRecords(JSON.stringify(ids), handle, JSON.stringify(options)))));
  }

  async revoke(id, handle) {
    await call(this.#go.revoke(id, handle));
  }

  async restrict(id) {
    await call(this.#go.restrict(id));
  }

  async unrestrict(id) {
    await call(this.#go.unrestrict(id));
  }

  async exportFHIR() {
    const records = await call(this.#go.exportRecords());
    return sync((await sideModule('fhir.wasm')).bundle(records));
  }

  async exportSummaryPDF() {
    const data = await call(this.#go.summaryData());
    return sync((await sideModule('pdf.wasm')).render(data));
  }

  async importFHIR(bundle) {
    const entries = sync((await sideModule('fhir.wasm')).parse(toSource(bundle)));
    const r = JSON.parse(await call(this.#go.importEntries(entries)));
    return { imported: r.imported.map(toInfo), skipped: r.skipped };
  }

  async requestAmendment(id, text) {
    return await call(this.#go.requestAmendment(id, text));
  }

  async alerts() {
    return JSON.parse(await call(this.#go.alerts())).map((a) => ({ ...a, time: new Date(a.time) }));
  }

  async emergencyStatus() {
    return JSON.parse(await call(this.#go.emergencyStatus())).map((r) => ({ ...r, logged: new Date(r.logged), notBefore: new Date(r.notBefore) }));
  }

  async refuseEmergency(id) {
    await call(this.#go.refuseEmergency(id));
  }

  async trustOrg(org, admin, fingerprint) {
    await call(this.#go.trustOrg(JSON.stringify({ org, admin, fingerprint })));
  }

  async lookupTeam(team) {
    return JSON.parse(await call(this.#go.lookupTeam(team)));
  }

  async shareWithTeam(id, team, options = {}) {
    return JSON.parse(await call(this.#go.shareWithTeam(id, team, JSON.stringify(options))));
  }

  async revokeTeam(id, team) {
    await call(this.#go.revokeTeam(id, team));
  }

  async delete(id) {
    await call(this.#go.delete(id));
  }

  async readers(id) {
    return JSON.parse(await call(this.#go.readers(id))).map((r) => (
      r.contact?.attestation ? { ...r, contact: { ...r.contact, attestation: { ...r.contact.attestation, notAfter: new Date(r.contact.attestation.notAfter) } } } : r));
  }

  async audit(id) {
    return JSON.parse(await call(this.#go.audit(id))).map((e) => ({ ...e, time: new Date(e.time) }));
  }

  async devices() {
    return JSON.parse(await call(this.#go.devices())).map((d) => ({
      ...d,
      enrolled: new Date(d.enrolled),
      lastSeen: d.lastSeen ? new Date(d.lastSeen) : undefined,
      revoked: d.revoked ? new Date(d.revoked) : undefined,
    }));
  }

  async revokeDevice(name) {
    await call(this.#go.revokeDevice(name));
  }

  async logout() {
    await call(this.#go.logout());
  }

  async deleteAccount(options = {}) {
    const { passkey, ...rest } = options;
    return toDeletion(JSON.parse(await call(this.#go.deleteAccount(JSON.stringify(rest), jsonCeremony(passkey)))));
  }

  async cancelAccountDeletion(options = {}) {
    const { passkey, ...rest } = options;
    return toDeletion(JSON.parse(await call(this.#go.cancelAccountDeletion(JSON.stringify(rest), jsonCeremony(passkey)))));
  }

  /**
   * Moves this account and every record it owns to the server at `server`
   * (its profile kept in `storage`), and leaves a signed pointer here. Run
   * again with the same storage, it resumes.
   */
  async transfer({ server, storage = 'local', passphrase, invite, fetch } = {}) {
    const url = serverURL(server);
    const r = await call(this.#go.transfer({
      server: url,
      storage: toStorage(storage, url),
      fetch: fetch ?? globalThis.fetch.bind(globalThis),
    }, JSON.stringify({ passphrase, invite })));
    const client = new Client(r.client);
    await client.#refresh();
    return { report: JSON.parse(r.report), client };
  }

  /**
   * Gives the readers a transfer left pending (not on the new server then),
   * and that are on this client's server now, the keys of the records they
   * are owed, after the same card checks as share. Answers { granted, waiting }:
   * the grants made and the readers still waiting, each as "name (n record(s))".
   */
  async grantPending() {
    return await call(this.#go.grantPending());
  }

  /** The server an account (default: this one) moved to, as its signed chain here says, or null. */
  async movedTo(accountId) {
    return (await call(this.#go.movedTo(accountId ?? ''))) || null;
  }

  /** Releases the client's Go functions; it cannot be used afterwards. */
  close() {
    this.#go.release?.();
  }
}

// ---- passkeys ---------------------------------------------------------------

/**
 * The browser's WebAuthn ceremonies, for Client.login, enrollPasskey and
 * removePasskey: each takes the server's options ({publicKey: …} in their
 * JSON form) and returns the credential's toJSON().
 */
export const passkeys = {
  async create(options) {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey);
    return (await navigator.credentials.create({ publicKey })).toJSON();
  },
  async get(options) {
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
    return (await navigator.credentials.get({ publicKey })).toJSON();
  },
};

// jsonCeremony adapts a ceremony (options object → credential object) to the
// Go side's JSON strings.
function jsonCeremony(fn) {
  if (typeof fn !== 'function') return undefined;
  return async (options) => JSON.stringify(await fn(JSON.parse(options)));
}

function toDeletion(d) {
  return { requested: new Date(d.requested), due: new Date(d.due) };
}

// ---- low level -------------------------------------------------------------

/** Format v1 objects (docs/spec/format-v1.md §1–§3), for tools and the shared test vectors. */
export const format = {
  async parse(type, data) {
    const { api } = await ready();
    return call(api.parseObject(type, data));
  },
  async verify(type, data, ed25519PublicKey) {
    const { api } = await ready();
    await call(api.verifyObject(type, data, ed25519PublicKey));
  },
  async openGrant(xwingSeed, recordId, epoch, enc, ct) {
    const { api } = await ready();
    return call(api.openGrant(xwingSeed, recordId, epoch, enc, ct));
  },
};

/** Cobblestone-256 (c2sp.org/chunked-encryption, HKDF-SHA-512, AES-256-GCM) with WebCrypto. */
export const cobblestone = {
  async deriveKeys(key, salt, context) {
    const { api } = await ready();
    return call(api.deriveBodyKeys(key, salt, context));
  },
  async seal(key, context, plaintext, { salt } = {}) {
    const { pool } = await ready();
    const s = salt ?? globalThis.crypto.getRandomValues(new Uint8Array(24));
    const keys = { ...(await cobblestone.deriveKeys(key, s, context)), salt: s };
    return sealBody({ keys, source: toSource(plaintext), pool });
  },
  async open(key, context, ciphertext) {
    const { pool } = await ready();
    const keys = async (salt) => ({ ...(await cobblestone.deriveKeys(key, salt, context)), salt });
    return openBody({ keys, body: ciphertext, pool });
  },
};

/** The body workers in use (0: batches run on the page's thread). */
export async function workerCount() {
  return (await ready()).pool.size;
}
