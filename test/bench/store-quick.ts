/**
 * Quick local throughput check of node/store while working on it (not part of `npm run bench`; that is
 * store.bench.ts, with the SQLite-table and LevelDB baselines):
 *
 *   sh scripts/run.sh node test/bench/store-quick.ts [keys=200000] [batch=1000]
 *
 * Durable batched puts of random 32-byte keys with 100-byte values (one commit, hence one sync, per batch), the
 * same through group commit (8 batches in flight), point gets of the latest state, proof generation and
 * verification (encoded proofs), and bytes on disk per key before and after GC. This machine's figures vary by
 * ±20% from run to run; compare a few runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeProof, openStore, verifyProof, type Write } from '../../node/store/index.ts';

const total = Number(process.argv[2] ?? 200_000);
const batchSize = Number(process.argv[3] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'store-quick-'));
const rate = (n: number, ms: number): string => `${Math.round((n * 1000) / ms).toLocaleString('en')}/s`;
const line = (label: string, text: string): void => void process.stdout.write(`${label.padEnd(8)}${text}\n`);

const keyBytes = randomBytes(32 * total);
const keys = Array.from({ length: total }, (_, i) => keyBytes.subarray(32 * i, 32 * i + 32));
const value = randomBytes(100);
const batch = (from: number): Write[] =>
  keys.slice(from, from + batchSize).map((key) => ({ key, baseVersion: 0, value }));

try {
  const store = openStore(join(dir, 'state.sqlite'), { durability: 'full' });
  let start = performance.now();
  for (let done = 0; done < total; done += batchSize) store.commit(batch(done));
  line('put', `${rate(total, performance.now() - start)} (${total} keys, batches of ${batchSize}, one sync each)`);

  const grouped = openStore(join(dir, 'grouped.sqlite'), { durability: 'full' });
  start = performance.now();
  for (let done = 0; done < total; done += 8 * batchSize) {
    const inFlight = [];
    for (let b = done; b < Math.min(total, done + 8 * batchSize); b += batchSize) inFlight.push(grouped.commitAsync(batch(b)));
    await Promise.all(inFlight);
  }
  line('group', `${rate(total, performance.now() - start)} (commitAsync, 8 batches per sync)`);
  grouped.close();

  const gets = Math.min(200_000, total);
  const order = Array.from({ length: gets }, () => keys[Math.floor(Math.random() * total)]!);
  start = performance.now();
  let found = 0;
  for (const key of order) if (store.get(key) !== undefined) found++;
  line('get', `${rate(gets, performance.now() - start)} (${found}/${gets} found)`);

  const proofs = 20_000;
  const root = store.root();
  const proved = Array.from({ length: proofs }, (_, i) => (i % 2 === 0 ? order[i % gets]! : randomBytes(32)));
  start = performance.now();
  const encoded = proved.map((key) => encodeProof(store.prove(key)));
  const mean = Math.round(encoded.reduce((n, p) => n + p.length, 0) / proofs);
  line('prove', `${rate(proofs, performance.now() - start)} (half present, half absent; mean ${mean} bytes)`);
  start = performance.now();
  for (let i = 0; i < proofs; i++) verifyProof(root, proved[i]!, encoded[i]!);
  line('verify', `${rate(proofs, performance.now() - start)} (decode + verify)`);

  const before = store.stats();
  line('disk', `${Math.round(before.fileBytes / total)} bytes/key with all versions (${before.staleNodes} stale nodes)`);
  start = performance.now();
  const gc = store.gc(store.head());
  const after = store.stats();
  line('gc', `${Math.round(performance.now() - start)} ms, ${gc.nodesRemoved} nodes removed, compacted: ${gc.compacted}`);
  line('disk', `${Math.round(after.fileBytes / total)} bytes/key after GC`);
  line('cache', `${after.cachedNodes} nodes; rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`);
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
