import { describe, expect, it } from 'vitest';
import { addressHex, MemoryBlobRows, openMemoryBlobStore } from '../../../../../node/services/blobs/index.ts';
import { content, SMALL_CHUNK } from './fixtures.ts';
import { buildBlob } from '../../../../../node/services/blobs/index.ts';
import { describeBlobStore, type StoreHarness } from './store-contract.ts';

function memoryHarness(): StoreHarness {
  const rows = new MemoryBlobRows();
  const row = (address: Uint8Array) => {
    const found = rows.blobs.get(addressHex(address));
    if (found === undefined) throw new Error('no such row');
    return found;
  };
  return {
    open: (options = {}) => openMemoryBlobStore({ ...options, rows }),
    damageChunk(address, index, damage) {
      const chunks = row(address).chunks;
      chunks.set(index, damage(chunks.get(index)!));
    },
    damageManifest(address, damage) {
      const found = row(address);
      rows.blobs.set(addressHex(address), { ...found, manifest: damage(found.manifest) });
    },
    dispose() {},
  };
}

describeBlobStore('memory', memoryHarness);

describe('memory blob store', () => {
  it('shares no buffer with its callers: changing what went in or came out changes nothing stored', () => {
    const store = openMemoryBlobStore();
    const b = buildBlob(content(2 * SMALL_CHUNK, 1), SMALL_CHUNK);
    const chunks = b.chunks.map((c) => c.slice());
    store.put(b.address, b.manifest, chunks);
    chunks[0]!.fill(0);
    store.getChunk(b.address, 1).fill(0);
    store.getRange(b.address, 0, 10).fill(0);
    (store.list()[0] as Uint8Array).fill(0);
    expect(store.getRange(b.address, 0, b.manifest.size)).toEqual(content(2 * SMALL_CHUNK, 1));
    expect(store.checkIntegrity().problems).toEqual([]);
  });
});
