// The patient portal: everything is encrypted and verified in this page by
// blindvault.mjs (Go in WebAssembly for keys and checks, WebCrypto for bodies)
// before it is uploaded; the server sees ciphertext only.
import { Client, load, passkeys } from './blindvault/blindvault.mjs';
import { describe, parse } from './fhir.mjs';

const $ = (id) => document.getElementById(id);
let client = null;
let records = [];

// ---- status ----------------------------------------------------------------

function say(text) {
  $('status').textContent = text;
  delete $('status').dataset.code;
}

// What an error means, in a patient's words; a failed check brings its own
// (e.explanation, from the SDK). The code stays in data-code for programs.
const words = {
  WRONG_PASSPHRASE: 'That passphrase does not unlock this account.',
  WRONG_RECOVERY_CODE: 'That recovery code does not open this account.',
  WEAK_PASSPHRASE: 'Choose a longer passphrase: at least 12 characters, not one repeated.',
  NOT_FOUND: 'No such record or account, or it is not shared with you.',
  REVOKED: 'The owner of this record stopped sharing it with you.',
  DELETED: 'The owner deleted this record.',
  NOT_RECIPIENT: 'This record was not shared with you.',
  FORBIDDEN: 'You are not allowed to do that.',
  CONFLICT: 'Someone changed this at the same time. Try again.',
  RATE_LIMITED: 'Too many attempts. Wait a while and try again.',
  UNREACHABLE: 'The server cannot be reached. Check your connection and try again.',
  PROFILE_EXISTS: 'This browser already holds an account. Forget it first to use another.',
  TOO_LARGE: 'That is larger than this server accepts.',
  INVALID: 'That is not a valid file or value.',
  SECOND_FACTOR: 'This needs your second factor (your passkey, or a code from your authenticator app). Without it, sign in with your recovery code.',
};

function fail(e) {
  const code = e?.code ?? 'ERROR';
  const plain = e?.explanation ? e.explanation[0].toUpperCase() + e.explanation.slice(1) : words[code];
  let text = plain ?? `Something went wrong (${e?.message ?? e}).`;
  if (e?.serverMisbehaved) {
    text = `Security warning: ${text} Nothing from that answer was used, and your records on this device are unchanged.`;
  }
  $('status').textContent = text;
  $('status').title = `code ${code}: ${e?.message ?? e}`;
  $('status').dataset.code = code;
}

// Lets the status paint before Go takes the thread (Argon2id takes ~1 s).
const paint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

async function busy(text, fn) {
  say(text);
  await paint();
  try {
    return await fn();
  } catch (e) {
    fail(e);
    return undefined;
  }
}

function show(view) {
  for (const v of ['account-view', 'unlock-view', 'app-view']) $(v).hidden = v !== view;
  $('whoami').hidden = view !== 'app-view';
}

// ---- accounts --------------------------------------------------------------

async function start() {
  await load();
  if (await Client.hasProfile()) {
    show('unlock-view');
    say('Unlock this device with your passphrase.');
  } else {
    client = await Client.connect();
    show('account-view');
    say('Create an account, or sign in with the one you have.');
  }
}

async function enter() {
  const a = client.account;
  $('me-handle').textContent = a.handle;
  $('me-role').textContent = a.role;
  $('me-fingerprint').textContent = a.fingerprint;
  show('app-view');
  await refresh();
  // The security section is not worth failing the sign-in for.
  await refreshFactors().catch((e) => console.warn('second factors:', e));
  await refreshEmergency().catch((e) => console.warn('emergency requests:', e));
  await showAlerts().catch((e) => console.warn('alerts:', e));
  await refreshDevices().catch((e) => console.warn('devices:', e));
  armLock();
}

// ---- the right to correct --------------------------------------------------

let pendingAmend = null; // the record the amendment dialog is about

$('amend').addEventListener('close', () => {
  const r = pendingAmend;
  pendingAmend = null;
  if (!r || $('amend').returnValue !== 'send') return;
  const text = $('amend-text').value.trim();
  if (!text) return;
  busy('Sending your request…', async () => {
    await client.requestAmendment(r.id, text);
    say(`Asked ${r.author?.handle ?? 'the author'} to correct "${r.title}". Their answer will be shared with you.`);
  });
});

// refreshDevices lists this account's devices; any but this one can be
// revoked from here (its sessions end at once).
async function refreshDevices() {
  const body = $('devices').tBodies[0];
  body.replaceChildren();
  for (const d of await client.devices()) {
    const row = body.insertRow();
    cell(row, d.current ? `${d.name} (this device)` : d.name);
    cell(row, d.enrolled.toLocaleString());
    cell(row, d.lastSeen ? d.lastSeen.toLocaleString() : 'never');
    cell(row, !d.certified ? 'not certified by your key: revoke it' : d.revoked ? `revoked ${d.revoked.toLocaleString()}` : 'active');
    const actions = row.insertCell();
    if (!d.current && !d.revoked) {
      actions.append(confirmButton('Revoke', `Revoke the device ${d.name}? Its sessions end at once.`, { revokeDevice: d.name },
        () => busy(`Revoking ${d.name}…`, async () => {
          await client.revokeDevice(d.name);
          await refreshDevices();
          say(`Revoked the device ${d.name}: it can sign in no more. What it already holds stays with it.`);
        }), 'Yes, revoke'));
    }
  }
  $('devices').dataset.count = String(body.rows.length);
}

// showAlerts lists what the rules find in the verified log since this
// device last looked: "dr-jones read 300 of your records in 5m0s".
async function showAlerts() {
  const list = $('alerts-list');
  for (const a of await client.alerts()) {
    const li = document.createElement('li');
    li.textContent = `${a.time.toLocaleString()}: ${a.message}`;
    if (a.severity === 'high') li.dataset.severity = 'high';
    li.dataset.kind = a.kind;
    list.append(li);
  }
  $('alerts').hidden = list.children.length === 0;
}

// refreshEmergency shows the open emergency requests for this account's
// records, each with a way to refuse it, at the top of the page.
async function refreshEmergency() {
  const open = (await client.emergencyStatus()).filter((r) => r.role === 'owner' && !r.refused);
  const body = $('emergency-list').tBodies[0];
  body.replaceChildren();
  for (const r of open) {
    const row = body.insertRow();
    cell(row, r.requester);
    cell(row, r.logged.toLocaleString());
    cell(row, r.notBefore.toLocaleString());
    cell(row, `${r.approvals} of ${r.k}`);
    row.insertCell().append(confirmButton('Refuse', `Refuse ${r.requester}'s emergency request?`, { refuse: r.id },
      () => busy('Refusing…', async () => {
        await client.refuseEmergency(r.id);
        await refreshEmergency();
        say(`You refused ${r.requester}'s emergency request: no guardian can approve it now.`);
      }), 'Yes, refuse'));
  }
  $('emergency').hidden = open.length === 0;
  $('emergency').dataset.count = String(open.length);
}

$('register-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  busy('Creating your keys and your encrypted backup (Argon2id, a few seconds)…', async () => {
    const reg = await client.register({
      handle: $('register-handle').value.trim(),
      passphrase: $('register-passphrase').value,
      role: $('register-role').value,
      invite: $('register-invite').value.trim() || undefined,
    });
    showRecoveryCode(reg.recoveryCode);
    $('register-passphrase').value = '';
    await enter();
    say(`Account created. Your fingerprint is ${reg.fingerprint}.`);
  });
});

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  busy('Proving your passphrase to the server (OPRF, Argon2id)…', async () => {
    const t0 = performance.now();
    await client.login({
      handle: $('login-handle').value.trim(),
      passphrase: $('login-passphrase').value,
      // Asked only if the account has a passkey.
      passkey: async (options) => {
        say('Your passphrase is right. Now confirm with your passkey…');
        return passkeys.get(options);
      },
    });
    const seconds = ((performance.now() - t0) / 1000).toFixed(2);
    $('login-passphrase').value = '';
    await enter();
    say(`Signed in on this device in ${seconds} s.`);
    $('status').dataset.loginSeconds = seconds;
  });
});

$('unlock-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  busy('Unlocking your keys (Argon2id)…', async () => {
    const passphrase = $('unlock-passphrase').value;
    client = await Client.connect({ passphrase });
    $('unlock-passphrase').value = '';
    await enter();
    say(`Welcome back, ${client.account.handle}.`);
  });
});

// The recovery code is shown once, in a dialog that stays until the patient
// says it is written down; then it leaves the page.
function showRecoveryCode(code) {
  $('recovery-code').textContent = code;
  $('recovery-saved').checked = false;
  $('recovery-done').disabled = true;
  $('recovery').showModal();
}
$('recovery-saved').addEventListener('change', () => { $('recovery-done').disabled = !$('recovery-saved').checked; });
$('recovery').addEventListener('cancel', (ev) => ev.preventDefault());
$('recovery-done').addEventListener('click', () => {
  $('recovery-code').textContent = '';
  $('recovery').close();
});

$('forget').addEventListener('click', async () => {
  await Client.forget();
  location.reload();
});

// ---- automatic lock (HIPAA 164.312(a)(2)(iii)) ---------------------------------
//
// After lockMinutes without a key press, click or touch, or a minute (at most
// lockMinutes) after the tab was hidden, the page forgets the unlocked keys:
// it reloads, which drops the WebAssembly memory that held them, and asks for
// the passphrase again. The setting is this browser's (localStorage).

const lockKey = 'blindvault.lockMinutes';
const lockMinutes = () => Number(localStorage.getItem(lockKey)) || 5;
let lockTimer;

function armLock(minutes = lockMinutes()) {
  clearTimeout(lockTimer);
  if ($('app-view').hidden) return;
  lockTimer = setTimeout(() => {
    try { client?.close(); } catch { /* already closed */ }
    location.reload();
  }, minutes * 60_000);
}

for (const ev of ['pointerdown', 'keydown', 'touchstart']) {
  document.addEventListener(ev, () => armLock(), { passive: true });
}
document.addEventListener('visibilitychange', () => armLock(document.hidden ? Math.min(lockMinutes(), 1) : lockMinutes()));
$('lock-minutes').value = String(lockMinutes());
$('lock-minutes').addEventListener('change', () => {
  const m = Math.min(60, Math.max(1, Math.round(Number($('lock-minutes').value)) || 5));
  localStorage.setItem(lockKey, String(m));
  $('lock-minutes').value = String(m);
  armLock();
  say(`This page now locks after ${m} ${m === 1 ? 'minute' : 'minutes'} without use.`);
});

$('logout').addEventListener('click', () => {
  busy('Logging out…', async () => {
    await client.logout();
    client.close();
    location.reload();
  });
});

// ---- second factors --------------------------------------------------------

let factors = [];

async function refreshFactors() {
  factors = await client.secondFactors();
  const body = $('factors').tBodies[0];
  body.replaceChildren();
  for (const f of factors) {
    const row = body.insertRow();
    cell(row, f.kind === 'passkey' ? 'Passkey' : 'Authenticator app (TOTP)');
    cell(row, f.name ?? '');
    cell(row, f.created.toLocaleString());
    const actions = row.insertCell();
    if (f.kind === 'passkey') {
      actions.append(confirmButton('Remove', `Remove the passkey "${f.name}"?`, { removePasskey: f.id },
        () => busy('Confirm with a passkey…', async () => {
          await client.removePasskey(f.id, { get: passkeys.get });
          await refreshFactors();
          say(`Passkey "${f.name}" removed.`);
        }), 'Yes, remove'));
    }
  }
  $('factors').dataset.count = String(factors.length);
}

$('passkey-add').addEventListener('click', () => {
  busy('Making a passkey: follow your browser…', async () => {
    const name = $('passkey-name').value.trim() || 'Passkey';
    // Once the account has a passkey, adding another needs one of them.
    const has = factors.some((f) => f.kind === 'passkey');
    await client.enrollPasskey(name, { create: passkeys.create, get: has ? passkeys.get : undefined });
    $('passkey-name').value = '';
    await refreshFactors();
    say(`Passkey "${name}" added. A new device now needs your passphrase and a passkey.`);
  });
});

// Account deletion asks, in a dialog, for the handle typed out (and the
// authenticator code if the account has one): a click alone deletes nothing.
$('delete-account-open').addEventListener('click', () => {
  $('delete-account-handle').value = '';
  $('delete-account-otp').value = '';
  $('delete-account').showModal();
});

$('delete-account').addEventListener('close', () => {
  if ($('delete-account').returnValue !== 'delete') return;
  if ($('delete-account-handle').value.trim() !== $('me-handle').textContent) {
    say('The name typed does not match: nothing was deleted.');
    return;
  }
  const otp = $('delete-account-otp').value.trim();
  busy('Deleting your account…', async () => {
    // An account whose factor is a passkey proves it with one.
    const hasPasskey = factors.some((f) => f.kind === 'passkey');
    const d = await client.deleteAccount(otp ? { otp } : hasPasskey ? { passkey: passkeys.get } : {});
    client.close();
    await Client.forget();
    client = await Client.connect();
    show('account-view');
    say(`Your account is scheduled for deletion on ${d.due.toLocaleString()}. ` +
      'To restore it before then, sign in again on this page and click "Restore my account".');
  });
});

$('restore-account').addEventListener('click', () => {
  busy('Restoring your account…', async () => {
    try {
      await client.cancelAccountDeletion();
    } catch (e) {
      if (e.code !== 'SECOND_FACTOR') throw e;
      const otp = prompt('Code from your authenticator app');
      if (!otp) return;
      await client.cancelAccountDeletion({ otp });
    }
    say('Your account is restored: your records and shares are as they were.');
  });
});

// ---- records ---------------------------------------------------------------

function cell(row, text) {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

function button(label, data, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  Object.assign(b.dataset, data);
  b.addEventListener('click', onClick);
  return b;
}

// confirmButton is a button for a destructive action: the first click asks
// (question), a second one within five seconds acts.
function confirmButton(label, question, data, onConfirm, yes = 'Yes, delete') {
  let armed = null;
  const b = button(label, data, () => {
    if (armed) {
      clearTimeout(armed);
      armed = null;
      b.textContent = label;
      onConfirm();
      return;
    }
    b.textContent = yes;
    say(`${question} Click "${yes}" to confirm.`);
    armed = setTimeout(() => { armed = null; b.textContent = label; }, 5000);
  });
  return b;
}

// recordOptions makes the options naming records, once for every select
// that offers them (at thousands of records, making them is the cost).
function recordOptions(items) {
  const f = document.createDocumentFragment();
  for (const r of items) f.append(new Option(`${r.title || '(untitled)'} — ${r.id.slice(0, 8)}`, r.id));
  return f;
}

// fillSelect offers a copy of options in select, keeping the choice.
function fillSelect(select, options) {
  const chosen = select.value;
  select.replaceChildren(options.cloneNode(true));
  if (chosen) select.value = chosen;
  if (select.selectedIndex < 0 && select.options.length) select.selectedIndex = 0;
}

async function refresh() {
  const t0 = performance.now();
  records = await client.list();
  performance.measure('portal:list', { start: t0 });
  listing = index(records);
  fillTypes();
  renderRecords();
  const mine = records.filter((r) => r.mine);
  const options = recordOptions(mine);
  fillSelect($('share-record'), options);
  fillSelect($('team-record'), options);
  fillSelect($('revoke-record'), options);
  $('records').dataset.count = String(records.length);
  performance.measure('portal:refresh', { start: t0 });
}

// ---- the records list: search, filter by type, timeline -------------------
//
// A lifetime of records is thousands of them (a glucose sensor's readings,
// one a reading). Each record's search key is made once per list, each order
// sorted once; a keystroke or a filter is one pass over the records, and the
// table draws a page of rows at a time, the rest a "Show more" away.

// pageRows is how many rows the table draws at a time.
const pageRows = 100;

const collator = new Intl.Collator();
const dayFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'long', day: 'numeric' });

// listing is the records as the view uses them: each as {r, key, owner, day}
// (key: its title in lower case; day: made when the timeline is first shown),
// and the records in each order, sorted on first use.
let listing = index([]);

function index(rs) {
  return { all: rs.map((r) => ({ r, key: (r.title || '').toLocaleLowerCase(), owner: r.mine ? '' : r.owner?.handle ?? '?', day: '' })), sorted: {} };
}

// ordered returns the records by who shared them (yours first; a clinician
// sees each patient's together) or, for the timeline, newest first.
function ordered(timeline) {
  const order = timeline ? 'timeline' : 'people';
  listing.sorted[order] ??= timeline
    ? listing.all.map((e) => ((e.day ||= dayFormat.format(e.r.modified)), e)).sort((a, b) => b.r.modified - a.r.modified)
    : [...listing.all].sort((a, b) => collator.compare(a.owner, b.owner));
  return listing.sorted[order];
}

// typeName is a record's type in words: a FHIR resource type as itself.
const typeName = (t) => (t === '' ? 'no type' : /^[A-Z][A-Za-z]+$/.test(t) ? `${t} (FHIR)` : t);

// fillTypes offers the types of the records listed, keeping the choice.
function fillTypes() {
  const select = $('records-type');
  const chosen = select.value;
  const types = [...new Set(records.map((r) => r.type))].sort();
  select.replaceChildren(new Option('All types', ''), ...types.map((t) => new Option(typeName(t), t)));
  select.value = types.includes(chosen) ? chosen : '';
}

// view is what the table shows: the records that match, in order, each
// group's size, and how many rows are drawn.
let view = { shown: [], counts: new Map(), timeline: false, drawn: 0, group: null };

// renderRecords lists the records that match the search and the type chosen:
// grouped by who shared them, or as a timeline, a group a day; the first
// pageRows of them drawn.
function renderRecords() {
  const t0 = performance.now();
  const q = $('records-search').value.trim().toLocaleLowerCase();
  const type = $('records-type').value;
  const timeline = $('records-order').value === 'timeline';
  const shown = ordered(timeline).filter((e) => (!type || e.r.type === type) && (!q || e.key.includes(q)));
  const counts = new Map();
  for (const e of shown) {
    const g = timeline ? e.day : e.owner;
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  view = { shown, counts, timeline, drawn: 0, group: null };
  $('records').tBodies[0].replaceChildren();
  drawRows();
  $('records').dataset.shown = String(shown.length);
  performance.measure('portal:render', { start: t0 });
}

// drawRows draws the next pageRows records of the view, and says how many
// are drawn.
function drawRows() {
  const body = $('records').tBodies[0];
  const { shown, counts, timeline } = view;
  const end = Math.min(shown.length, view.drawn + pageRows);
  for (const e of shown.slice(view.drawn, end)) {
    const group = timeline ? e.day : e.owner;
    if (group !== view.group) {
      view.group = group;
      const head = body.insertRow();
      head.className = 'group';
      head.dataset.group = group || 'you';
      const th = document.createElement('th');
      th.colSpan = 6;
      th.scope = 'colgroup';
      const n = counts.get(group);
      th.textContent = timeline ? `${group} (${n})` : group ? `Shared with you by ${group} (${n})` : `Yours (${n})`;
      head.append(th);
    }
    recordRow(body.insertRow(), e.r);
  }
  view.drawn = end;
  const left = shown.length - end;
  const count = (n) => n.toLocaleString();
  const which = shown.length === records.length ? `${count(records.length)} records` : `${count(shown.length)} of ${count(records.length)} records shown`;
  $('records-shown').textContent = left > 0 ? `${which}; the first ${count(end)} are listed.`
    : shown.length === records.length ? '' : `${which}.`;
  $('records-more').textContent = `Show ${count(Math.min(left, pageRows))} more`;
  $('records-more').hidden = left === 0;
}

// "Show more" draws the next page; focus stays on it while there are more,
// and moves to the first row it drew once there are none.
$('records-more').addEventListener('click', () => {
  const first = view.drawn;
  drawRows();
  if ($('records-more').hidden) $('records').querySelector(`tr[data-id="${view.shown[first]?.r.id}"] button`)?.focus();
});

for (const [id, event] of [['records-search', 'input'], ['records-type', 'change'], ['records-order', 'change']]) {
  $(id).addEventListener(event, renderRecords);
}

// recordRow fills row with record r and its actions.
function recordRow(row, r) {
  row.dataset.id = r.id;
  row.dataset.type = r.type;
  cell(row, r.title || '(untitled)');
  cell(row, r.type);
  cell(row, `${r.length} B`);
  cell(row, r.mine ? 'you' : r.owner?.handle ?? '?');
  cell(row, r.modified.toLocaleString());
  const actions = row.insertCell();
  actions.append(button('Open', { open: r.id }, () => busy('Decrypting…', () => open(r.id))));
  actions.append(button('Readers', { readers: r.id }, () => busy('Checking who can read it…', () => showReaders(r))));
  actions.append(button('History', { history: r.id }, () => busy('Reading the log…', () => history(r))));
  actions.append(button('Versions', { versions: r.id }, () => busy('Checking its versions…', () => showVersions(r))));
  actions.append(button('Corrections', { corrections: r.id }, () => busy('Reading its corrections…', () => showCorrections(r))));
  if (r.mine) {
    const label = r.restricted ? 'Lift restriction' : 'Restrict';
    actions.append(button(label, { restrict: r.id }, () => busy(r.restricted ? 'Lifting the restriction…' : 'Restricting…', async () => {
      await (r.restricted ? client.unrestrict(r.id) : client.restrict(r.id));
      await refresh();
      say(r.restricted ? `"${r.title}" is no longer restricted; it joins nothing again by itself.`
        : `Restricted "${r.title}": it left every care team and collection, and no group share will include it.`);
    })));
  }
  if (!r.mine && r.author?.handle !== client.account.handle) {
    actions.append(button('Ask to correct', { amend: r.id }, () => {
      pendingAmend = r;
      $('amend-title').textContent = `"${r.title || '(untitled)'}"`;
      $('amend-text').value = '';
      $('amend').showModal();
    }));
  }
  if (r.mine) actions.append(confirmButton('Delete', `Delete "${r.title || 'this record'}" for good?`, { delete: r.id }, () => busy('Deleting…', () => remove(r.id))));
}

// isText says whether a record of type t is shown as text.
const isText = (t) => /json|^text\/|^[A-Z][A-Za-z]+$/.test(t) || t === '';

async function open(id, version) {
  const d = await client.get(id, { version, onProgress: progress(titleOf(id)) });
  const { info } = d;
  $('viewer-title').textContent = info.title || '(untitled)';
  $('viewer-meta').textContent = `${info.type} · ${info.length} bytes · written by ${info.author?.handle ?? '?'} ` +
    `(${info.authorVerified ? 'verified' : 'unverified'}) · version ${info.version}${version ? ' (an earlier version)' : ''}`;
  const textual = isText(info.type);
  const text = $('viewer-text');
  const link = $('viewer-download');
  const summary = $('viewer-summary');
  summary.replaceChildren();
  let blob;
  if (textual) {
    text.textContent = await d.text();
    blob = new Blob([text.textContent], { type: /json/.test(info.type) || describe(parse(text.textContent)) ? 'application/json' : 'text/plain' });
    const rows = describe(parse(text.textContent));
    for (const [label, value] of rows ?? []) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.textContent = value;
      summary.append(dt, dd);
    }
    summary.hidden = !rows;
    $('viewer-raw').open = !rows;
  } else {
    blob = await d.blob();
    text.textContent = '';
    summary.hidden = true;
  }
  // Every record can be downloaded, decrypted, from this page.
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = version ? `${info.title || 'record'} (version ${info.version})` : info.title || 'record';
  link.hidden = false;
  $('viewer').dataset.id = id;
  $('viewer').dataset.version = String(info.version);
  $('viewer').hidden = false;
  say(`Opened "${info.title}"${version ? `, version ${info.version}` : ''}: every chunk checked against the signed header.`);
}

// showReaders lists who can read record r now; its owner can revoke each
// reader from there.
async function showReaders(r) {
  const readers = await client.readers(r.id);
  const body = $('readers-list').tBodies[0];
  body.replaceChildren();
  for (const x of readers) {
    const row = body.insertRow();
    if (x.team) {
      row.dataset.reader = `team ${x.team.name}`;
      cell(row, `team ${x.team.name} (${x.team.members.join(', ') || 'no members yet'})`);
      cell(row, `key ${x.keyId.slice(0, 16)}…`);
      cell(row, x.team.status);
      cell(row, 'read');
      const actions = row.insertCell();
      const ref = x.team.verified ? `${x.team.org}/${x.team.name}` : x.team.id;
      if (r.mine) {
        actions.append(confirmButton('Revoke', `Stop sharing "${r.title}" with the team ${x.team.name}?`, { revoke: `team ${x.team.name}` },
          () => busy(`Revoking the team's access…`, async () => {
            await client.revokeTeam(r.id, ref);
            await showReaders(r);
            say(`You stopped sharing "${r.title}" with the team ${x.team.name}: versions written from now on are closed to it.`);
          }), 'Yes, revoke'));
      }
      continue;
    }
    const me = x.contact?.handle === client.account.handle;
    row.dataset.reader = x.contact?.handle ?? x.keyId;
    cell(row, x.contact ? (me ? `${x.contact.handle} (you)` : x.contact.handle) : 'someone this device cannot name');
    cell(row, x.contact?.fingerprint ?? `key ${x.keyId.slice(0, 16)}…`);
    cell(row, x.contact?.attestation ? `${x.contact.attestation.role} of ${x.contact.attestation.org}` : 'not attested');
    cell(row, x.owner ? 'owns it' : x.write ? 'read and write' : 'read');
    const actions = row.insertCell();
    if (r.mine && !x.owner && x.contact) {
      const handle = x.contact.handle;
      actions.append(confirmButton('Revoke', `Stop sharing "${r.title}" with ${handle}?`, { revoke: handle },
        () => busy(`Revoking ${handle}'s access…`, async () => {
          await client.revoke(r.id, handle);
          await showReaders(r);
          say(`You stopped sharing "${r.title}" with ${handle}: versions written from now on are closed to them.`);
        }), 'Yes, revoke'));
    }
  }
  $('readers-title').textContent = `"${r.title || '(untitled)'}"`;
  $('readers').dataset.id = r.id;
  $('readers').hidden = false;
  say(`${readers.length === 1 ? 'Only you' : `${readers.length} people`} can read "${r.title}".`);
}

// saying puts a verified log event in a patient's words; null leaves it out
// (the owner's own key to each new epoch of their record is bookkeeping).
function saying(e, me) {
  const who = e.who === me ? 'You' : e.who;
  const whom = e.whom === me ? 'you' : e.whom;
  switch (e.action) {
    case 'version written': return e.version > 1 ? `${who} wrote version ${e.version}` : `${who} created it`;
    case 'body read': return `${who} opened it`;
    case 'grant created': return e.who === e.whom ? null : `${who} shared it with ${whom}`;
    case 'grant revoked': return `${who} stopped sharing it with ${whom}`;
    case 'ACL changed': return null; // said by the grant it comes with
    case 'record deleted': return `${who} deleted it`;
    default: return `${who}: ${e.action}`;
  }
}

async function history(r) {
  const events = await client.audit(r.id);
  const body = $('history-events').tBodies[0];
  body.replaceChildren();
  for (const e of events) {
    const what = saying(e, client.account.handle);
    if (what === null) continue;
    const row = body.insertRow();
    row.dataset.action = e.action;
    cell(row, e.time.toLocaleString());
    cell(row, what);
    cell(row, e.version ? String(e.version) : '');
  }
  $('history-title').textContent = r.title || '(untitled)';
  $('history').dataset.id = r.id;
  $('history').hidden = false;
  say(`Access history of "${r.title}": ${events.length} entries, verified against the log.`);
}

// ---- versions ----------------------------------------------------------------

const titleOf = (id) => records.find((r) => r.id === id)?.title || 'the record';

// showVersions lists the versions of record r this account can read, each
// with its verified author; any can be opened or downloaded.
async function showVersions(r) {
  const vs = await client.versions(r.id);
  const body = $('versions-list').tBodies[0];
  body.replaceChildren();
  for (const v of vs) {
    const newest = v === vs[0];
    const row = body.insertRow();
    row.dataset.version = String(v.version);
    cell(row, newest ? `${v.version} (newest)` : String(v.version));
    cell(row, v.modified.toLocaleString());
    cell(row, `${v.author?.handle ?? '?'}${v.authorVerified ? ', verified' : ', not verified'}`);
    cell(row, '').append(Object.assign(document.createElement('code'), { textContent: v.author?.fingerprint ?? '' }));
    cell(row, `${v.length} B`);
    const actions = row.insertCell();
    const n = newest ? undefined : v.version;
    const open1 = button('Open', { openVersion: v.version }, () => busy(`Decrypting version ${v.version}…`, () => open(r.id, n)));
    open1.setAttribute('aria-label', `Open version ${v.version}`);
    const save = button('Download', { downloadVersion: v.version }, () => busy(`Decrypting version ${v.version}…`, () => download(r.id, n)));
    save.setAttribute('aria-label', `Download version ${v.version}`);
    actions.append(open1, save);
  }
  $('versions-title').textContent = `"${r.title || '(untitled)'}"`;
  $('versions').dataset.id = r.id;
  $('versions').hidden = false;
  say(`"${r.title}" has ${vs.length === 1 ? 'one version' : `${vs.length} versions`} you can read, each verified.`);
}

// download saves version (default: the newest) of record id, decrypted.
async function download(id, version) {
  const d = await client.get(id, { version, onProgress: progress(titleOf(id)) });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await d.blob());
  a.download = `${d.info.title || 'record'} (version ${d.info.version})`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  say(`Downloaded version ${d.info.version} of "${d.info.title}", decrypted and checked.`);
}

// ---- corrections (the right to correct, issue 14) ----------------------------

const isMe = (card) => card?.accountId === client.account.accountId;

// correction puts an amendment step in words.
function correction(s) {
  const who = isMe(s.by) ? 'You' : s.by?.handle ?? 'someone';
  const when = s.at.toLocaleString();
  const quoted = s.text ? `: “${s.text}”` : '.';
  if (s.kind === 'request') return `${who} asked on ${when} to correct version ${s.version}${quoted}`;
  if (s.kind === 'disagreement') return `${who} disagreed with the answer on ${when}${quoted}`;
  if (s.decision === 'amended') return `${who} corrected it on ${when}, in version ${s.version}${quoted}`;
  return `${who} refused on ${when}${quoted}`;
}

// showCorrections lists record r's amendment requests, each with its answer
// and any disagreement; the author asked can answer a request, its requester
// can disagree with the answer.
async function showCorrections(r) {
  const steps = await client.amendments(r.id);
  const list = $('corrections-list');
  list.replaceChildren();
  const requests = steps.filter((s) => s.kind === 'request');
  const known = new Set(requests.map((q) => q.id));
  // A reply to a request this account cannot read stands alone.
  for (const q of [...requests, ...steps.filter((s) => s.kind !== 'request' && !known.has(s.request))]) {
    const replies = q.kind === 'request' ? steps.filter((s) => s.request === q.id) : [];
    const li = document.createElement('li');
    li.dataset.request = q.id;
    for (const s of [q, ...replies]) {
      const p = document.createElement('p');
      p.textContent = correction(s);
      p.dataset.kind = s.decision ?? s.kind;
      li.append(p);
    }
    const answered = replies.some((s) => s.kind === 'answer');
    if (q.kind === 'request' && !answered && !isMe(q.by)) {
      li.append(button('Answer', { answer: q.id }, () => busy('Opening the record…', () => askAnswer(r, q))));
    }
    if (q.kind === 'request' && answered && isMe(q.by) && !replies.some((s) => s.kind === 'disagreement')) {
      li.append(button('Add a statement of disagreement', { disagree: q.id }, () => {
        pendingDisagree = { r, q };
        $('disagree-text').value = '';
        $('disagree').showModal();
      }));
    }
    list.append(li);
  }
  $('corrections-empty').hidden = steps.length > 0;
  $('corrections-title').textContent = `"${r.title || '(untitled)'}"`;
  $('corrections').dataset.id = r.id;
  $('corrections').dataset.count = String(steps.length);
  $('corrections').hidden = false;
  say(requests.length ? `"${r.title}": ${requests.length === 1 ? 'one request' : `${requests.length} requests`} to correct it.`
    : `No one has asked to correct "${r.title}".`);
}

let pendingAnswer = null; // {r, q}: the request the answer dialog is about
let pendingDisagree = null;

// askAnswer opens the answer dialog, the corrected record starting as the
// record's text (if it is text).
async function askAnswer(r, q) {
  pendingAnswer = { r, q };
  $('answer-who').textContent = q.by.handle;
  $('answer-request').textContent = `They asked: “${q.text}”`;
  $('answer-text').value = '';
  const text = isText(r.type);
  $('answer-content').value = text ? await (await client.get(r.id)).text() : '';
  $('answer-content-label').hidden = !text;
  $('answer-amend').disabled = !text; // a file is corrected by uploading its new version
  $('answer-amend').checked = text;
  $('answer-refuse').checked = !text;
  $('answer').showModal();
  say(`Answer ${q.by.handle}'s request.`);
}

// plainError is an error in a patient's words, with its code for programs.
const plainError = (code, text) => Object.assign(new Error(text), { code, explanation: text });

$('answer').addEventListener('close', () => {
  const p = pendingAnswer;
  pendingAnswer = null;
  if (!p || $('answer').returnValue !== 'send') return;
  const decision = $('answer-refuse').checked ? 'refused' : 'amended';
  const text = $('answer-text').value.trim();
  const who = p.q.by.handle;
  busy(decision === 'amended' ? 'Encrypting the corrected version…' : 'Sending your answer…', async () => {
    if (decision === 'refused' && !text) throw plainError('INVALID_ARGUMENT', 'Say why you refuse: your reason goes to them.');
    if (decision === 'amended') {
      const content = $('answer-content').value;
      if (!content.trim()) throw plainError('INVALID_ARGUMENT', 'The corrected record is empty: write what it should say.');
      const { id, title, type, tags } = p.r;
      await client.put(content, { update: id, title, type, tags });
    }
    await client.answerAmendment(p.q.id, decision, text);
    await refresh();
    await showCorrections(records.find((x) => x.id === p.r.id) ?? p.r);
    say(decision === 'amended' ? `You corrected "${p.r.title}" in a new version and told ${who}.`
      : `You refused ${who}'s request and told them why.`);
  });
});

$('disagree').addEventListener('close', () => {
  const p = pendingDisagree;
  pendingDisagree = null;
  if (!p || $('disagree').returnValue !== 'send') return;
  const text = $('disagree-text').value.trim();
  if (!text) return;
  busy('Adding your statement…', async () => {
    await client.disagree(p.q.id, text);
    await showCorrections(p.r);
    say(`Your statement of disagreement is kept with "${p.r.title}" and went to its author.`);
  });
});

// ---- the transparency log, for auditors ---------------------------------------

// maxLogRecords bounds the records whose log entries the log view gathers
// (each is a read of the log); a record's History shows any one.
const maxLogRecords = 20;

// checkLog reads and verifies the whole log, shows its checkpoint and
// witnesses, and what it says about this account's records, in words.
async function checkLog() {
  const log = await client.verifyLog();
  const witnesses = log.signatures.filter((s) => s !== log.origin);
  const dl = $('log-checkpoint');
  dl.replaceChildren();
  for (const [label, value] of [
    ['Log', log.origin],
    ['Entries', `${log.size}, every one read and hashed on this device`],
    ['Root hash', log.root],
    ['Signed by', log.signatures.join(', ') || 'no one'],
    ['Witnesses', witnesses.length ? `${witnesses.join(', ')}: each cosigned this checkpoint, so the server cannot show others another log`
      : 'none cosigned this checkpoint: compare its root hash with someone else’s to know you both see the same log'],
  ]) {
    dl.append(Object.assign(document.createElement('dt'), { textContent: label }),
      Object.assign(document.createElement('dd'), { textContent: value }));
  }
  $('log-note').textContent = log.checkpoint;
  const me = client.account.handle;
  const events = [];
  for (const r of records.filter((x) => x.mine).slice(0, maxLogRecords)) {
    for (const e of await client.audit(r.id)) {
      const what = saying(e, me);
      if (what !== null) events.push({ e, r, what });
    }
  }
  events.sort((a, b) => b.e.index - a.e.index);
  const body = $('log-events').tBodies[0];
  body.replaceChildren();
  for (const { e, r, what } of events) {
    const row = body.insertRow();
    row.dataset.index = String(e.index);
    cell(row, e.time.toLocaleString());
    cell(row, r.title || '(untitled)');
    cell(row, what);
  }
  $('log-link').href = new URL('/log/checkpoint', location.href).href;
  $('log-result').hidden = false;
  $('log').dataset.size = String(log.size);
  say(`The log checks out: ${log.size} entries, none left out or changed since this device last looked.`);
}

$('log-check').addEventListener('click', () => busy('Reading and checking the whole log…', checkLog));

// ---- progress of large transfers, and drag and drop -----------------------------

// bigTransfer is the size from which a transfer shows its progress.
const bigTransfer = 256 << 10;

// progress returns an onProgress for client.put and client.get that shows
// the transfer of name in the progress bar, if it is large.
function progress(name) {
  let shown = '';
  return ({ phase, loaded, total }) => {
    const pct = Math.floor((100 * loaded) / total);
    if (total < bigTransfer || shown === `${phase} ${pct}`) return;
    shown = `${phase} ${pct}`;
    const bar = $('transfer-progress');
    if (phase === 'upload' && loaded < total) {
      bar.removeAttribute('value'); // the browser tells no upload progress: a busy bar until the server has it
      $('transfer-label').textContent = `Uploading "${name}", encrypted…`;
    } else {
      bar.value = pct;
      $('transfer-label').textContent = phase === 'encrypt' ? `Encrypting "${name}" in this page: ${pct}%`
        : phase === 'upload' ? `Uploaded "${name}": 100%` : `Downloading and checking "${name}": ${pct}%`;
    }
    $('transfer').hidden = false;
  };
}

// uploadFile encrypts and uploads file: a FHIR resource as one (its type
// recognised), anything else as it is.
async function uploadFile(file, title) {
  const fromFile = file.size <= 5 << 20 && /json$/i.test(file.type || file.name) ? parse(await file.text()) : null;
  if (fromFile) return client.put(await file.text(), { title: title ?? file.name, type: fromFile.resourceType, tags: ['fhir'] });
  return client.put(file, { title, onProgress: progress(title ?? file.name) });
}

// uploaded shows the list with the record just uploaded.
async function uploaded(info) {
  $('upload-form').reset();
  await refresh();
  say(`Uploaded "${info.title}" (${info.length} bytes; the server stores ${info.storedBytes} encrypted bytes).`);
  $('status').dataset.recordId = info.id;
}

// A file dropped on the upload form is encrypted and uploaded at once.
$('upload-form').addEventListener('dragover', (ev) => {
  ev.preventDefault();
  $('upload-form').classList.add('dragging');
});
$('upload-form').addEventListener('dragleave', () => $('upload-form').classList.remove('dragging'));
$('upload-form').addEventListener('drop', (ev) => {
  ev.preventDefault();
  $('upload-form').classList.remove('dragging');
  const file = ev.dataTransfer?.files[0];
  if (!file) return;
  const title = $('upload-title').value.trim() || undefined;
  busy(`Encrypting "${file.name}" in this page…`, async () => uploaded(await uploadFile(file, title)));
});

async function remove(id) {
  await client.delete(id);
  await refresh();
  say('Record deleted.');
}

$('refresh').addEventListener('click', () => busy('Refreshing…', async () => {
  await refresh();
  await refreshEmergency();
  await showAlerts();
  await refreshDevices();
  say(`${records.length} records.`);
}));

$('upload-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  busy('Encrypting in this page…', async () => {
    const file = $('upload-file').files[0];
    const fhir = $('upload-fhir').value.trim();
    let title = $('upload-title').value.trim() || undefined;
    let info;
    if (file) {
      info = await uploadFile(file, title);
    } else if (fhir) {
      let resource;
      try {
        resource = JSON.parse(fhir);
      } catch {
        throw Object.assign(new Error('the FHIR resource is not JSON'), { code: 'INVALID_ARGUMENT' });
      }
      const type = typeof resource.resourceType === 'string' ? resource.resourceType : 'application/fhir+json';
      title ??= `${type} ${new Date().toLocaleDateString()}`;
      info = await client.put(fhir, { title, type, tags: ['fhir'] });
    } else {
      throw Object.assign(new Error('choose a file or paste a FHIR resource'), { code: 'INVALID_ARGUMENT' });
    }
    await uploaded(info);
  });
});

// ---- the rights of access and import (FHIR, the printable summary) ----------

// saveExport saves an export's bytes through the link with id linkId, named
// `${name}-DATE.${ext}`, and returns the file name.
function saveExport(linkId, data, type, name, ext) {
  const link = $(linkId);
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([data], { type }));
  link.download = `${name}-${new Date().toISOString().slice(0, 10)}.${ext}`;
  link.hidden = false;
  link.click();
  return link.download;
}

$('export-fhir').addEventListener('click', () => {
  busy('Opening and checking every record for the bundle…', async () => {
    const bundle = await client.exportFHIR();
    const file = saveExport('export-download', bundle, 'application/fhir+json', 'my-records', 'json');
    say(`Your records are in a FHIR bundle of ${bundle.length} bytes, saved as ${file}. It is not encrypted: keep it safe.`);
  });
});

$('export-pdf').addEventListener('click', () => {
  busy('Checking every record, its readers and its history for the summary…', async () => {
    const pdf = await client.exportSummaryPDF();
    const file = saveExport('export-pdf-download', pdf, 'application/pdf', 'my-records-summary', 'pdf');
    say(`Your summary is a PDF of ${pdf.length} bytes, saved as ${file}. It is not encrypted: keep it safe.`);
  });
});

$('import-fhir').addEventListener('click', () => {
  busy('Reading the bundle and encrypting its records…', async () => {
    const file = $('import-file').files[0];
    if (!file) throw Object.assign(new Error('choose a FHIR bundle to import'), { code: 'INVALID_ARGUMENT' });
    const r = await client.importFHIR(new Uint8Array(await file.arrayBuffer()));
    $('import-file').value = '';
    await refresh();
    say(`Imported ${r.imported.length} records` + (r.skipped ? `; ${r.skipped} you already had were skipped.` : '.'));
  });
});

// ---- sharing ---------------------------------------------------------------

let pending = null; // the contact looked up, waiting for the user's comparison

$('share-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  busy('Looking up and verifying their key…', async () => {
    const handle = $('share-handle').value.trim();
    const contact = await client.lookup(handle);
    pending = { id: $('share-record').value, handle, fingerprint: contact.fingerprint };
    $('share-fingerprint').textContent = contact.fingerprint;
    $('share-status').textContent = `${contact.status}${contact.firstUse ? ', first time seen on this device' : ''}`;
    $('share-check').hidden = false;
    say(`Compare ${handle}'s fingerprint before you share.`);
  });
});

$('share-confirm').addEventListener('click', () => {
  if (!pending) return;
  const p = pending;
  busy(`Sharing with ${p.handle}…`, async () => {
    // The fingerprint the user compared is required: another card is refused.
    const c = await client.share(p.id, p.handle, { fingerprint: p.fingerprint });
    pending = null;
    $('share-check').hidden = true;
    say(`Shared with ${c.handle} (${c.fingerprint}).`);
  });
});

let pendingTeam = null; // the team looked up, waiting for the user's confirmation

$('team-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  busy('Looking up and verifying the team…', async () => {
    const ref = $('team-name').value.trim();
    const team = await client.lookupTeam(ref);
    pendingTeam = { id: $('team-record').value, ref };
    $('team-status').textContent = team.status;
    $('team-members').textContent = team.members.join(', ') || 'none yet';
    $('team-check').hidden = false;
    say(`Check the team's members before you share.`);
  });
});

$('team-confirm').addEventListener('click', () => {
  if (!pendingTeam) return;
  const p = pendingTeam;
  busy('Sharing with the team…', async () => {
    const team = await client.shareWithTeam(p.id, p.ref);
    pendingTeam = null;
    $('team-check').hidden = true;
    say(`Shared with the team ${team.name} (${team.members.length} ${team.members.length === 1 ? 'member' : 'members'}).`);
  });
});

$('trust-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const org = $('trust-org').value.trim();
  busy(`Checking ${org}'s admin…`, async () => {
    await client.trustOrg(org, $('trust-admin').value.trim(), $('trust-fingerprint').value.trim());
    say(`You trust ${org}: its clinicians and care teams show as verified.`);
  });
});

$('revoke-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const handle = $('revoke-handle').value.trim();
  busy(`Revoking ${handle}'s access…`, async () => {
    await client.revoke($('revoke-record').value, handle);
    say(`Revoked ${handle}: versions written from now on are closed to them.`);
  });
});

// ---- the right to portability ----------------------------------------------

// "Move my records" copies every record this account owns to another server
// (same signed versions, readers granted again there) and leaves a pointer
// here signed by the account. This page then works with the new server.
$('move-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const server = $('move-url').value.trim();
  const passphrase = $('move-passphrase').value;
  $('move-passphrase').value = '';
  busy(`Moving your records to ${server}…`, async () => {
    const { report, client: moved } = await client.transfer({ server, passphrase });
    client.close();
    client = moved;
    await enter();
    say(`Moved ${report.records} record(s) to ${report.to}: ${report.versions} version(s) with their signatures, ` +
      `${report.grants} key(s) granted again. The old server keeps its copy and a pointer you signed.` +
      (report.pending?.length ? ` Not on the new server yet: ${report.pending.map(p => `${p.name} (${p.records} record(s))`).join(', ')}; ` +
        'they keep their place in your records; once they are here, give waiting readers their keys.' : ''));
  });
});

// Readers a move left waiting (not on the new server then) get their keys
// once they are here, checked as a share is.
$('grant-pending').addEventListener('click', () => {
  busy('Giving waiting readers their keys…', async () => {
    const { granted, waiting } = await client.grantPending();
    say(`Gave ${granted} key(s) to readers who joined.` +
      (waiting.length ? ` Still waiting: ${waiting.join(', ')}.` : ' No one is waiting.'));
  });
});

start().catch(fail);
