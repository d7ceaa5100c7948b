// The patient portal: everything is encrypted and verified in this page by
// blindvault.mjs (Go in WebAssembly for keys and checks, WebCrypto for bodies)
// before it is uploaded; the server sees ciphertext only.
import { Client, load } from './blindvault/blindvault.mjs';

const $ = (id) => document.getElementById(id);
let client = null;
let records = [];

// ---- status ----------------------------------------------------------------

function say(text) {
  $('status').textContent = text;
  delete $('status').dataset.code;
}

function fail(e) {
  const code = e?.code ?? 'ERROR';
  $('status').textContent = `${code}: ${e?.message ?? e}`;
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
    $('recovery-code').textContent = reg.recoveryCode;
    $('recovery').hidden = false;
    $('register-passphrase').value = '';
    await enter();
    say(`Account created. Your fingerprint is ${reg.fingerprint}.`);
  });
});

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  busy('Proving your passphrase to the server (OPRF, Argon2id)…', async () => {
    const t0 = performance.now();
    await client.login({ handle: $('login-handle').value.trim(), passphrase: $('login-passphrase').value });
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

$('forget').addEventListener('click', async () => {
  await Client.forget();
  location.reload();
});

$('logout').addEventListener('click', () => {
  busy('Logging out…', async () => {
    await client.logout();
    client.close();
    location.reload();
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

function fillSelect(select, items) {
  select.replaceChildren(...items.map((r) => {
    const o = document.createElement('option');
    o.value = r.id;
    o.textContent = `${r.title || '(untitled)'} — ${r.id.slice(0, 8)}`;
    return o;
  }));
}

async function refresh() {
  records = await client.list();
  const body = $('records').tBodies[0];
  body.replaceChildren();
  for (const r of records) {
    const row = body.insertRow();
    row.dataset.id = r.id;
    cell(row, r.title || '(untitled)');
    cell(row, r.type);
    cell(row, `${r.length} B`);
    cell(row, r.mine ? 'you' : r.owner?.handle ?? '?');
    cell(row, r.modified.toLocaleString());
    const actions = row.insertCell();
    actions.append(button('Open', { open: r.id }, () => busy('Decrypting…', () => open(r.id))));
    actions.append(button('History', { history: r.id }, () => busy('Reading the log…', () => history(r))));
    if (r.mine) actions.append(button('Delete', { delete: r.id }, () => busy('Deleting…', () => remove(r.id))));
  }
  const mine = records.filter((r) => r.mine);
  fillSelect($('share-record'), mine);
  fillSelect($('revoke-record'), mine);
  $('records').dataset.count = String(records.length);
}

async function open(id) {
  const d = await client.get(id);
  const { info } = d;
  $('viewer-title').textContent = info.title || '(untitled)';
  $('viewer-meta').textContent = `${info.type} · ${info.length} bytes · written by ${info.author?.handle ?? '?'} ` +
    `(${info.authorVerified ? 'verified' : 'unverified'}) · version ${info.version}`;
  const textual = /json|^text\/|^[A-Z][A-Za-z]+$/.test(info.type) || info.type === '';
  const text = $('viewer-text');
  const link = $('viewer-download');
  if (textual) {
    text.textContent = await d.text();
    link.hidden = true;
  } else {
    const blob = await d.blob();
    text.textContent = '';
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.download = info.title || 'record';
    link.hidden = false;
  }
  $('viewer').dataset.id = id;
  $('viewer').hidden = false;
  say(`Opened "${info.title}": every chunk checked against the signed header.`);
}

async function history(r) {
  const events = await client.audit(r.id);
  const body = $('history-events').tBodies[0];
  body.replaceChildren();
  for (const e of events) {
    const row = body.insertRow();
    cell(row, e.time.toLocaleString());
    cell(row, e.action);
    cell(row, e.who);
    cell(row, e.whom ?? '');
    cell(row, e.version ? String(e.version) : '');
  }
  $('history-title').textContent = r.title || '(untitled)';
  $('history').dataset.id = r.id;
  $('history').hidden = false;
  say(`Access history of "${r.title}": ${events.length} entries, verified against the log.`);
}

async function remove(id) {
  await client.delete(id);
  await refresh();
  say('Record deleted.');
}

$('refresh').addEventListener('click', () => busy('Refreshing…', async () => {
  await refresh();
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
      info = await client.put(file, { title });
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
    $('upload-form').reset();
    await refresh();
    say(`Uploaded "${info.title}" (${info.length} bytes; the server stores ${info.storedBytes} encrypted bytes).`);
    $('status').dataset.recordId = info.id;
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

$('revoke-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const handle = $('revoke-handle').value.trim();
  busy(`Revoking ${handle}'s access…`, async () => {
    await client.revoke($('revoke-record').value, handle);
    say(`Revoked ${handle}: versions written from now on are closed to them.`);
  });
});

start().catch(fail);
