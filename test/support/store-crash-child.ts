/**
 * Child process of the store crash test: commits small batches (the kill matters, not the volume, and the
 * parent verifies the whole history after every kill) as fast as it can, through group commit, and prints
 * `ack <version> <root hex>` for each commit only after its promise resolved (i.e. after the sync). The parent
 * kills it with SIGKILL at a random moment and checks that every acknowledged commit survived.
 *
 *   node store-crash-child.ts <db path> <run id>
 */
import { createHash } from 'node:crypto';
import { openStore } from '../../node/store/index.ts';
import { toHex } from '../../node/crypto/index.ts';

const [path, runArg] = process.argv.slice(2);
if (path === undefined || runArg === undefined) throw new Error('usage: store-crash-child.ts <db> <run id>');
const runId = Number(runArg);

const h = (...parts: (string | number)[]) => createHash('sha256').update(parts.join('/')).digest();
const store = openStore(path, { durability: 'full' });
let counter = 0;
const NEW_PER_COMMIT = 4;
const UPDATES_PER_COMMIT = 2;
const IN_FLIGHT = 4;

/** `seen` spans the commits queued together: they all read the same committed state, so they must not share keys. */
function batch(seen: Set<string>): { key: Uint8Array; baseVersion: number; value: Uint8Array }[] {
  const writes = [];
  for (let i = 0; i < NEW_PER_COMMIT; i++) {
    const key = h('new', runId, counter++);
    seen.add(toHex(key));
    writes.push({ key, baseVersion: 0, value: h('value', runId, counter) });
  }
  // Rewrite a few existing keys (found from a random point of the key space), with their real baseVersion.
  for (const [key] of store.scan(h('from', runId, counter))) {
    if (writes.length >= NEW_PER_COMMIT + UPDATES_PER_COMMIT) break;
    if (seen.has(toHex(key))) continue;
    seen.add(toHex(key));
    const entry = store.getEntry(key);
    if (entry === undefined) continue;
    writes.push({ key, baseVersion: entry.valueVersion, value: h('update', runId, counter, toHex(key)) });
  }
  return writes;
}

for (;;) {
  // Several commits queued in one tick: one SQLite transaction, one sync, several versions.
  const seen = new Set<string>();
  const pending = Array.from({ length: IN_FLIGHT }, () => store.commitAsync(batch(seen)));
  const versions = await Promise.all(pending);
  process.stdout.write(versions.map((v) => `ack ${v} ${toHex(store.root(v))}\n`).join(''));
}
