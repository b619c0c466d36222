/**
 * Child of the SQLite kill test: stores blobs as fast as it can and prints `ack <address hex>` for each one only
 * after put() returned. The parent kills it with SIGKILL and checks that every acknowledged blob survived.
 *
 *   node sqlite-kill-child.ts <db path>
 */
import { addressHex, buildBlob, openSqliteBlobStore } from '../../../../../node/services/blobs/index.ts';
import { content, SMALL_CHUNK } from './fixtures.ts';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: sqlite-kill-child.ts <db path>');
const store = openSqliteBlobStore(path);
for (let i = 0; ; i++) {
  const blob = buildBlob(content(3 * SMALL_CHUNK + i, i), SMALL_CHUNK);
  store.put(blob.address, blob.manifest, blob.chunks);
  process.stdout.write(`ack ${i} ${addressHex(blob.address)}\n`);
}
