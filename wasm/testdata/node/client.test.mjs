// The JS package under Node (≥ 20: fetch and WebCrypto are there), as a
// JavaScript service would use it: a patient and a carer register on a real
// server, the patient stores a FHIR record and shares it, the carer reads it
// back. Run by TestNode_Client, which passes the package directory and the
// server in the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const dir = process.env.BLINDVAULT_JS;
const server = process.env.BLINDVAULT_SERVER;

// memoryStorage is the {load, save} a service keeps its profile in.
function memoryStorage() {
  const files = new Map();
  return { load: async (name) => files.get(name) ?? null, save: async (name, data) => { files.set(name, data); } };
}

test('register, share and read under Node', async () => {
  await import(join(dir, 'wasm_exec.js'));
  const { Client, load } = await import(join(dir, 'blindvault.mjs'));
  await load({ wasm: await readFile(join(dir, 'blindvault.wasm')) });

  const carer = await Client.connect({ server, storage: memoryStorage() });
  await carer.register({ handle: 'carer', passphrase: 'the carer passphrase for node 7' });
  const patient = await Client.connect({ server, storage: memoryStorage() });
  await patient.register({ handle: 'nora', passphrase: 'correct horse battery staple 42' });

  const obs = '{"resourceType":"Observation","code":{"text":"Heart rate"},"valueQuantity":{"value":61,"unit":"/min"}}';
  const info = await patient.put(obs, { title: 'Heart rate', type: 'Observation' });
  const reader = await patient.share(info.id, 'carer');
  assert.equal(reader.handle, 'carer');

  const list = await carer.list();
  assert.equal(list.length, 1);
  assert.equal(list[0].title, 'Heart rate');
  const d = await carer.get(info.id);
  assert.equal(await d.text(), obs);
  assert.equal(d.info.owner.handle, 'nora');
});
