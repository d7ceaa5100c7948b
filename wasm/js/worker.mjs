// A body worker: seals or opens batches of chunks for body.mjs's ChunkPool.
import { sealBatch, openBatch } from './body.mjs';

self.onmessage = async ({ data: { id, op, task } }) => {
  if (op === 'ping') {
    self.postMessage({ id });
    return;
  }
  let result;
  try {
    result = op === 'seal' ? await sealBatch(task) : await openBatch(task);
  } catch (e) {
    result = { error: { code: e.code ?? 'ERROR', message: String(e.message ?? e) } };
  }
  const transfer = result.chunks ?? []; // the batch's ciphertext or plaintext, one buffer a chunk
  self.postMessage({ id, result }, transfer);
};
