// Typings for blindvault.mjs. See README.md for what each call checks.

/** Stable error codes: the `code` of every error this package throws (sdk.ErrorCode, docs/errors.md). */
export type ErrorCode =
  // The server, or something between it and the page, misbehaved; nothing forged is shown.
  | 'ROLLBACK' | 'EQUIVOCATION' | 'KEY_UNVERIFIED' | 'CHAIN' | 'WRONG_RECORD' | 'MISSING_GRANT' | 'OPRF'
  // The transparency log: forked, hiding entries, missing an operation, stale, or showing a key this account did not make.
  | 'LOG_FORK' | 'LOG_MISMATCH' | 'NOT_LOGGED' | 'STALE' | 'UNEXPECTED_KEY'
  // Access and authorship.
  | 'REVOKED' | 'DELETED' | 'NOT_RECIPIENT' | 'SIGNER_MISMATCH' | 'SIGNER' | 'WRITE_AUTHORITY' | 'WRONG_ACL' | 'GRANT'
  // A record's body or format.
  | 'COMMITMENT' | 'UNWRAP' | 'LEAF_MISMATCH' | 'CHUNK_AUTH' | 'TRUNCATED' | 'LAYOUT' | 'PADDING' | 'META'
  | 'BAD_SIGNATURE' | 'INVALID' | 'UNSUPPORTED' | 'TOO_LARGE'
  // Accounts and the server.
  | 'WRONG_PASSPHRASE' | 'WRONG_RECOVERY_CODE' | 'SECOND_FACTOR' | 'WEAK_PASSPHRASE' | 'WEAK_PARAMS' | 'EXCESSIVE_PARAMS'
  | 'NO_PROFILE' | 'PROFILE_EXISTS' | 'RESTRICTED' | 'RATE_LIMITED' | 'NOT_FOUND' | 'FORBIDDEN' | 'CONFLICT' | 'UNREACHABLE'
  // The caller.
  | 'ABORTED' | 'INVALID_ARGUMENT'
  // Anything else; INTERNAL is a bug in blindvault.wasm, caught before it crossed.
  | 'ERROR' | 'INTERNAL';

export class BlindvaultError extends Error {
  readonly name: 'BlindvaultError';
  readonly code: ErrorCode;
  /** For a failed check: what failed, in words for the person using the app (docs/errors.md). */
  readonly explanation?: string;
  /** True when the server (or something on the way) answered falsely; nothing of that answer was used. */
  readonly serverMisbehaved?: boolean;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown });
}

export interface LoadOptions {
  /** blindvault.wasm: a URL (default: beside this module), its bytes, or a compiled module. */
  wasm?: string | URL | ArrayBuffer | ArrayBufferView | WebAssembly.Module;
  /** fhir.wasm, loaded by exportFHIR and importFHIR on first use: a URL (default: beside this module), its bytes, or a compiled module. */
  fhirWasm?: string | URL | ArrayBuffer | ArrayBufferView | WebAssembly.Module;
  /** pdf.wasm, loaded by exportSummaryPDF on first use: a URL (default: beside this module), its bytes, or a compiled module. */
  pdfWasm?: string | URL | ArrayBuffer | ArrayBufferView | WebAssembly.Module;
  /** Body workers; default none on up to two cores, else one per core but one, up to 8. 0 runs WebCrypto on the page's thread. */
  workers?: number;
  /** worker.mjs, by default beside this module. */
  workerURL?: string | URL;
}

/** Loads blindvault.wasm and the body workers. Other calls load on first use. */
export function load(options?: LoadOptions): Promise<void>;

/** The number of body workers in use (0: WebCrypto on the page's thread). */
export function workerCount(): Promise<number>;

/** Where a client keeps its profile: a few small named files. */
export interface ProfileStore {
  /** Resolves to null for a file never saved. */
  load(name: string): Promise<Uint8Array | null>;
  save(name: string, data: Uint8Array): Promise<void>;
  /** Adds data at the end of a file, creating it (optional: without it the client loads and saves the whole file; the profile's journals grow by one entry per operation). */
  append?(name: string, data: Uint8Array): Promise<void>;
  /** Removes every file (optional; Client.forget needs it). */
  clear?(): Promise<void>;
}

/** A store in IndexedDB, one per server (a profile kept in localStorage by an older version is still read). The keys in it are encrypted under the passphrase, the record index under the keys. */
export function localStore(server: string): ProfileStore;
/** A store that lasts as long as the page. */
export function memoryStore(): ProfileStore;

export interface ConnectOptions {
  /** The server's URL; default: the page's origin. Sessions are bound to it. */
  server?: string;
  /** Default 'local'. */
  storage?: 'local' | 'memory' | ProfileStore;
  /** Unlocks a stored profile's keys (Argon2id at t=3, m=64 MiB, p=4: 0.3–0.4 s in Chromium). */
  passphrase?: string | (() => string | Promise<string>);
  /** A fetch to send requests with; default globalThis.fetch. */
  fetch?: typeof fetch;
}

export interface Card {
  handle: string;
  /** 64 hex digits. */
  accountId: string;
  /** 160 bits in eight groups of four base32 characters: what two people compare. */
  fingerprint: string;
  /** The whole SHA-256 fingerprint, 64 hex digits. */
  fingerprintHex: string;
}

export interface Account extends Card {
  role: 'patient' | 'clinician' | 'service' | 'admin' | string;
}

export interface Contact extends Card {
  /** True if this device had never pinned the account: compare the fingerprint out of band. */
  firstUse: boolean;
  /** "verified ROLE of ORG" or "unattested". */
  status: string;
  attestation: { role: string; org: string; notAfter: Date } | null;
}

/** An alert computed on this device from the verified log (docs/alerts.md). */
export interface Alert {
  time: Date;
  /** bulk-read, backup-guesses, second-factor-failures, second-factor-change, new-device, account-deletion, new-device-export, emergency-request */
  kind: string;
  who?: string;
  count?: number;
  /** "high" for an alert to act on at once. */
  severity?: string;
  message: string;
}

/** An emergency request as the verified log and chains show it. */
export interface EmergencyRequest {
  id: string;
  /** The requester's handle. */
  requester: string;
  /** This account's part: "owner", "requester" or "holder". */
  role: string;
  logged: Date;
  /** When the delay ends: before it no guardian approves. */
  notBefore: Date;
  refused: boolean;
  /** Approvals logged so far; a guardian team counts once, whichever member approved. */
  approvals: number;
  k: number;
  /** Warnings: a guardian team rotated its key since set-up (set up again). */
  notes: string[];
}

/** A care team as this client verified it from its admin's chain (format-v1 §2.10). */
export interface Team {
  id: string;
  name: string;
  org: string;
  /** The admin's handle. */
  admin: string;
  /** The organisation is one this client trusts with this admin (trustOrg). */
  verified: boolean;
  /** Members added later read what was shared with the team before they joined. */
  history: boolean;
  /** The members' handles. */
  members: string[];
  /** "verified care team NAME of ORG, N members", or says the organisation is not trusted. */
  status: string;
}

export interface Reader {
  contact: Contact | null;
  /** Set when the reader is a care team this device knows. */
  team?: Team;
  keyId: string;
  owner: boolean;
  write: boolean;
}

export interface Registration {
  accountId: string;
  fingerprint: string;
  fingerprintHex: string;
  /** Opens the backup without the passphrase. Show it once; it is not stored. */
  recoveryCode: string;
}

export interface ImportResult {
  /** The new records, in bundle order. */
  imported: RecordInfo[];
  /** Resources this account already held from an earlier import. */
  skipped: number;
}

export interface RecordInfo {
  /** The record id, 64 hex digits. */
  id: string;
  version: number;
  title: string;
  /** A FHIR resource type or a MIME type. Encrypted: the server never sees it. */
  type: string;
  tags: string[];
  /** The plaintext length. */
  length: number;
  created: Date;
  modified: Date;
  author: Card | null;
  /** The author's card verified against its pin and its write authority. */
  authorVerified: boolean;
  owner: Card | null;
  /** Whether this account owns the record. */
  mine: boolean;
  /** Restricted by this account (restrict): in no team or collection share. */
  restricted: boolean;
  /** The padded ciphertext size: all the server learns of the body. */
  storedBytes: number;
  epoch: number;
  aclSeq: number;
}

/** One logged action on a record, from the verified transparency log. */
export interface Device {
  /** The first 8 hex digits of id: what revokeDevice takes. */
  name: string;
  /** The device's Ed25519 public key, hex. */
  id: string;
  enrolled: Date;
  /** Its last login, as the server saw it. */
  lastSeen?: Date;
  revoked?: Date;
  /** The device this page runs on. */
  current: boolean;
  /** False if this account's identity key did not certify it: the server added it. */
  certified: boolean;
}

export interface AuditEvent {
  /** The entry's index in the log. */
  index: number;
  time: Date;
  /** "version written", "body read", "grant created", "grant revoked", "ACL changed", "record deleted". */
  action: string;
  /** The actor's handle as this device knows it, or "someone unknown". */
  who: string;
  /** For grants: the reader. */
  whom?: string;
  version?: number;
}

/** Plaintext: a Blob or File (read in slices), a stream, bytes, or text (UTF-8). */
export type Body = Blob | ReadableStream<Uint8Array> | Uint8Array | ArrayBuffer | string;

export interface PutOptions {
  /** Default: a File's name. */
  title?: string;
  /** FHIR resource type or MIME type; default: a File's type. */
  type?: string;
  tags?: string[];
  /** Write a new version of this record (owned, or shared with write). */
  update?: string;
  /** Hears the upload's progress: 'encrypt' as it is sealed, then 'upload' (0, then total once stored). */
  onProgress?: (p: Progress) => void;
}

export interface GetOptions {
  /** The version to read (default: the newest); an earlier one is checked to chain to the newest. */
  version?: number;
  /** Hears the download's progress as the body is read. */
  onProgress?: (p: Progress) => void;
}

/** How far an upload or download is, in plaintext bytes. */
export interface Progress {
  phase: 'encrypt' | 'upload' | 'download';
  loaded: number;
  total: number;
}

/** One verified step of a record's amendment history (client-v1 §8). */
export interface Amendment {
  /** The step's own record id. */
  id: string;
  kind: 'request' | 'answer' | 'disagreement';
  /** The record the step is about. */
  record: string;
  /** The version asked about (request), or amended to (answer). */
  version: number;
  /** The request an answer or a disagreement replies to. */
  request?: string;
  /** An answer's decision. */
  decision?: 'amended' | 'refused';
  text: string;
  /** The step's verified writer. */
  by: Card;
  at: Date;
}

/** The transparency log's checkpoint, verified with every entry (verifyLog). */
export interface LogStatus {
  origin: string;
  /** The number of entries. */
  size: number;
  /** The Merkle tree's root hash, hex. */
  root: string;
  /** The signed checkpoint (c2sp.org/tlog-checkpoint), as served at /log/checkpoint. */
  checkpoint: string;
  /** The names of its signers: the log's key (the origin) and any witnesses. */
  signatures: string[];
}

export interface LookupOptions {
  /** The fingerprint the user compared; any other card is refused with KEY_UNVERIFIED. */
  fingerprint?: string;
  /** Require a verified attestation of this role. */
  role?: string;
}

export interface ShareOptions extends LookupOptions {
  /** Also grant the keys of versions written before the last revocation. */
  history?: boolean;
  /** Let the reader write new versions. */
  write?: boolean;
}

/** A record being read. body releases plaintext in order, each chunk only after its checks. */
export class Download {
  readonly info: RecordInfo;
  /** Errors with a BlindvaultError if a later chunk fails: then what came before is not the record. */
  readonly body: ReadableStream<Uint8Array>;
  blob(): Promise<Blob>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
}

export class Client {
  static connect(options?: ConnectOptions): Promise<Client>;
  /** Forgets the profile kept for server in storage (keys, verified state, record index); the account stays on the server. */
  static forget(options?: { server?: string; storage?: 'local' | 'memory' | ProfileStore }): Promise<void>;
  /** Whether storage holds an account for server, so that connect needs its passphrase. */
  static hasProfile(options?: { server?: string; storage?: 'local' | 'memory' | ProfileStore }): Promise<boolean>;
  /** This account, or null before register or login. */
  readonly account: Account | null;
  /**
   * Creates an identity and an account; a role other than patient needs an
   * invite. A service account has no passphrase: its keys are stored unencrypted.
   */
  register(options: { handle: string; passphrase?: string; role?: string; invite?: string }): Promise<Registration>;
  /** Restores the account on this device: OPRF, Argon2id, then the backup opens here. */
  /** options.passkey answers the server's passkey challenge when the account has a passkey (passkeys.get). */
  login(options: { handle: string; passphrase?: string; recoveryCode?: string; otp?: string; passkey?: Ceremony }): Promise<Contact>;
  /** The account's second factors. */
  secondFactors(): Promise<SecondFactor[]>;
  /** Enrols a passkey; once the account has a factor, prove it with get (a passkey) or code (TOTP or recovery code). */
  enrollPasskey(name: string, options?: { create?: Ceremony; get?: Ceremony; code?: string }): Promise<void>;
  /** Removes a passkey, proved by get (any enrolled passkey) or code (TOTP or recovery code). */
  removePasskey(id: string, options: { get?: Ceremony; code?: string }): Promise<void>;
  /** Encrypts body in this page and stores it as a new record, or a new version. */
  put(body: Body, options?: PutOptions): Promise<RecordInfo>;
  /** Verifies the newest version of record id (or options.version) and opens its body. */
  get(id: string, options?: GetOptions): Promise<Download>;
  /** The versions of record id this account can read, newest first, each verified and chained to the newest. */
  versions(id: string): Promise<RecordInfo[]>;
  /** The verified amendment history of record id, oldest first. */
  amendments(id: string): Promise<Amendment[]>;
  /** Answers an amendment request as the author asked: 'amended' once the new version is written, or 'refused' with the reason. */
  answerAmendment(request: string, decision: 'amended' | 'refused', text?: string): Promise<Amendment>;
  /** Attaches a statement of disagreement to an amendment request of this account's. */
  disagree(request: string, text: string): Promise<Amendment>;
  /** Reads and checks the whole transparency log against its signed checkpoint. */
  verifyLog(): Promise<LogStatus>;
  /**
   * This account's records and those shared with it, verified. Records by
   * the same author or owner share that Card object: treat it as read-only.
   */
  list(): Promise<RecordInfo[]>;
  /** Finds an account by handle and verifies its card, pinning it on first use. */
  lookup(handle: string, options?: LookupOptions): Promise<Contact>;
  /** Gives handle read access to record id, after verifying its card. */
  share(id: string, handle: string, options?: ShareOptions): Promise<Contact>;
  /** share for every record in ids, in one operation (one card check, one sync, one profile write). */
  shareRecords(ids: string[], handle: string, options?: ShareOptions): Promise<Contact>;
  /** Withdraws handle's access: versions written from now on are closed to it. */
  revoke(id: string, handle: string): Promise<void>;
  /** Restricts record id (owned): out of every team and collection share, and kept out; a person share needs confirmation. */
  restrict(id: string): Promise<void>;
  /** Lifts the restriction of record id. */
  unrestrict(id: string): Promise<void>;
  /** Every record this account owns or reads as one HL7 FHIR R4 Bundle (JSON bytes), each verified as get verifies it (docs/fhir.md). Loads fhir.wasm on first use. */
  exportFHIR(): Promise<Uint8Array>;
  /** Stores each resource of a FHIR R4 Bundle as a new record; resources imported before are skipped. A bad bundle (INVALID, TOO_LARGE) stores nothing. Loads fhir.wasm on first use. */
  importFHIR(bundle: Uint8Array | string): Promise<ImportResult>;
  /**
   * A printable summary (PDF bytes, A4) of what this account owns or reads: the records by type and date with titles,
   * versions and authors (handle and key fingerprint), who can read each of its own records now, and the recent access
   * history of the 25 that changed last, each entry verified as list, readers and audit verify it. The same summary as
   * the CLI's export --pdf. Not encrypted: the page should say so. Loads pdf.wasm on first use.
   */
  exportSummaryPDF(): Promise<Uint8Array>;
  /** Asks the author of record id to correct it (the right to correct, docs/spec/client-v1.md §8); returns the request's id. */
  requestAmendment(id: string, text: string): Promise<string>;
  /** What the rules find in the verified log since this device last looked (docs/alerts.md), oldest first. */
  alerts(): Promise<Alert[]>;
  /** Emergency requests for this account's keys, by it, or that it may approve, as the verified log shows them (docs/spec/threshold-v1.md). */
  emergencyStatus(): Promise<EmergencyRequest[]>;
  /** Refuses an emergency request for this account's records: no guardian approves it, no requester opens with it. */
  refuseEmergency(id: string): Promise<void>;
  /** Trusts admin (its card checked against fingerprint, compared out of band) for org's attestations and teams. */
  trustOrg(org: string, admin: string, fingerprint: string): Promise<void>;
  /** Finds and verifies a care team: "ORG/NAME" of a trusted organisation, or a team this device knows. */
  lookupTeam(team: string): Promise<Team>;
  /** Gives a care team read access to record id: one grant to the team's key, whatever its size. */
  shareWithTeam(id: string, team: string, options?: { history?: boolean }): Promise<Team>;
  /** Withdraws a team's access: versions written from now on are closed to it. */
  revokeTeam(id: string, team: string): Promise<void>;
  /** Deletes record id (owner only). */
  delete(id: string): Promise<void>;
  /** Who can read record id now: its ACL in force, verified, each reader named by the card this device verified (contact null if it cannot name one). */
  readers(id: string): Promise<Reader[]>;
  /** The verified access history of record id (owned or read): the log is checked first. */
  audit(id: string): Promise<AuditEvent[]>;
  /** This account's devices, revoked ones included, each checked against the identity key. */
  devices(): Promise<Device[]>;
  /** Ends device name (or a longer prefix of its id): its sessions end at once. */
  revokeDevice(name: string): Promise<void>;
  /** Ends the session; the profile stays. */
  logout(): Promise<void>;
  /**
   * Schedules this account's deletion, re-authenticated by a fresh device signature and,
   * if the account has a second factor, options.otp (else SECOND_FACTOR). At once no one
   * else reads its records; the server purges everything after its retention window
   * (`due`). The profile's keys are removed: call Client.forget() to clear the rest.
   * Until `due`, log in again and call cancelAccountDeletion.
   */
  deleteAccount(options?: { otp?: string; passkey?: (options: any) => Promise<any> }): Promise<AccountDeletion>;
  /** Cancels this account's pending deletion (NOT_FOUND if none), with the same re-authentication. */
  cancelAccountDeletion(options?: { otp?: string; passkey?: (options: any) => Promise<any> }): Promise<AccountDeletion>;
  /**
   * Moves this account and every record it owns to another server (each reader must
   * have moved first) and leaves a pointer here that the account signs; the old copy
   * stays until the account deletes it. Run again with the same storage, it resumes.
   * The page must be allowed to connect to that server (its Content-Security-Policy
   * and the server's CORS).
   */
  transfer(options: TransferOptions): Promise<{ report: TransferReport; client: Client }>;
  /** The server an account (default: this one) moved to, as its signed chain on this server says; null if it did not move. */
  movedTo(accountId?: string): Promise<string | null>;
  /** Gives the readers a transfer left pending, and that are on this client's server now, their keys (after the same card checks as share): the grants made and the readers still waiting, each as "name (n record(s))". */
  grantPending(): Promise<{ granted: number; waiting: string[] }>;
  /** Releases the client; it cannot be used afterwards. */
  close(): void;
}

export interface TransferOptions {
  /** The new server's URL. */
  server: string;
  /** Where the account's profile for the new server is kept; default 'local'. */
  storage?: 'local' | 'memory' | ProfileStore;
  /** Protects the backup on the new server (required but for a service account). */
  passphrase?: string;
  /** An invite of the new server, for a role other than patient. */
  invite?: string;
  fetch?: typeof fetch;
}

/** What a transfer moved. */
export interface TransferReport {
  to: string;
  records: number;
  /** Versions uploaded by this run: 0 when everything was already there. */
  versions: number;
  grants: number;
  /** Readers (people, or teams whose admin has not moved yet) not on the new server: they stay in the records' ACLs and get their keys from a later transfer run once they are there. */
  pending?: PendingReader[];
}

/** A reader a transfer could not grant yet, because it is not on the new server. */
export interface PendingReader {
  /** The handle, or "team NAME". */
  name: string;
  /** The account id, or the team's key record id (hex). */
  account: string;
  /** The fingerprint this device pinned for the person. */
  fingerprint?: string;
  /** The records it is owed keys of. */
  records: number;
}

/** A scheduled account deletion: the account is purged at `due` unless cancelled. */
export interface AccountDeletion {
  requested: Date;
  due: Date;
}

/** Format v1 object types. KeyCardText takes the PEM text form as a string. */
export type ObjectType =
  | 'KeyCard' | 'KeyCardText' | 'RoleAttestation' | 'DeviceCert' | 'DeviceRevocation'
  | 'ACL' | 'Grant' | 'Header' | 'AccountEntry';

export interface ParsedObject {
  /** The canonical binary form. */
  encoding: Uint8Array;
  hash: Uint8Array;
  /** The signature's purpose: key-card, role, device-cert, … */
  purpose: string;
  /** Key cards only. */
  fingerprint?: Uint8Array;
  fingerprintText?: string;
  handle?: string;
}

/** Format v1 objects (docs/spec/format-v1.md §1–§3), for tools and the shared test vectors. */
export const format: {
  /** Rejects with INVALID, TOO_LARGE, UNSUPPORTED, … for what a reader must refuse. */
  parse(type: ObjectType, data: Uint8Array | string): Promise<ParsedObject>;
  /** Rejects with BAD_SIGNATURE unless the object's signature verifies under the key. */
  verify(type: ObjectType, data: Uint8Array | string, ed25519PublicKey: Uint8Array): Promise<void>;
  /** Opens an HPKE (X-Wing) grant: resolves to the epoch key. */
  openGrant(xwingSeed: Uint8Array, recordId: Uint8Array, epoch: number, enc: Uint8Array, ct: Uint8Array): Promise<Uint8Array>;
};

export interface SealedBody {
  /** salt ‖ commitment ‖ chunks. */
  ciphertext: Blob;
  /** SHA-256(0x00 ‖ chunk) for every chunk, 32 bytes each. */
  leaves: Uint8Array;
  length: number;
  ciphertextLength: number;
}

/** Cobblestone-256 (c2sp.org/chunked-encryption with HKDF-SHA-512 and AES-256-GCM), chunks in WebCrypto. */
export const cobblestone: {
  /** HKDF-Expand, in blindvault.wasm: the AES key, base nonce and commitment of a message. */
  deriveKeys(key: Uint8Array, salt: Uint8Array, context: Uint8Array): Promise<{ aeadKey: Uint8Array; baseNonce: Uint8Array; commitment: Uint8Array }>;
  /** Seals plaintext (no padding). salt is random unless given, for test vectors only. */
  seal(key: Uint8Array, context: Uint8Array, plaintext: Body, options?: { salt?: Uint8Array }): Promise<SealedBody>;
  /** Checks the commitment, then resolves to the plaintext stream, released in order as chunks pass. */
  open(key: Uint8Array, context: Uint8Array, ciphertext: ReadableStream<Uint8Array> | Blob | Uint8Array): Promise<ReadableStream<Uint8Array>>;
};

/** A WebAuthn ceremony: the server's options ({publicKey: …}, JSON form) to the credential's toJSON(). */
export type Ceremony = (options: { publicKey: object }) => Promise<object>;

/** One second factor of the account. */
export interface SecondFactor {
  kind: 'totp' | 'passkey';
  created: Date;
  confirmed: boolean;
  /** A passkey's credential id (base64url), for removePasskey. */
  id?: string;
  name?: string;
}

/** navigator.credentials.create and get, taking and giving the JSON forms. */
export const passkeys: { create: Ceremony; get: Ceremony };
