/**
 * The store's engine contract (docs/store.md "Engine", "Model"): durability pragmas, group commit, errors and
 * their codes, branches across a reopen, GC's horizon rules and compaction, and a cache far smaller than the
 * tree. The model test (store-model.test.ts) checks the answers themselves.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store, StoreError, verifyProof } from '../../../../node/store/index.ts';
import { asyncErrorCode, errorCode, hex, keyPool, referenceRoot, tempDir } from './store-fixtures.ts';

const KEYS = keyPool(400, 'store');
const bytes = (text: string): Buffer => Buffer.from(text);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function open(options: Parameters<typeof openStore>[1] = {}): { store: Store; file: string } {
  const { file, cleanup } = tempDir();
  const store = openStore(file, options);
  cleanups.push(cleanup, () => store.close());
  return { store, file };
}

describe('durability', () => {
  it("'full' runs WAL with synchronous=FULL, 'normal' with NORMAL", () => {
    const full = open().store.stats();
    expect(full.journalMode).toBe('wal');
    expect(full.synchronous).toBe('FULL');
    const normal = open({ durability: 'normal' }).store.stats();
    expect(normal.journalMode).toBe('wal');
    expect(normal.synchronous).toBe('NORMAL');
  });
});

describe('group commit', () => {
  it('writes commits queued in one tick in one transaction, each its own version, settled after it', async () => {
    const { store, file } = open();
    store.put(KEYS[0]!, 0, bytes('first'));
    const before = store.stats().transactions;
    const reader = new Database(file, { readonly: true });
    cleanups.push(() => reader.close());
    const count = () => (reader.prepare('SELECT count(*) AS n FROM commits').get() as { n: number }).n;
    const n = 24;
    let settled = 0;
    const promises = Array.from({ length: n }, (_, i) =>
      store.commitAsync([{ key: KEYS[1 + i]!, baseVersion: 0, value: bytes(`v${i}`) }]).then((version) => {
        settled += 1;
        // Resolved only once the transaction is committed: another connection already sees every commit.
        expect(count()).toBe(1 + n);
        return version;
      }),
    );
    await Promise.resolve();
    expect(settled).toBe(0);
    expect(count()).toBe(1);
    const versions = await Promise.all(promises);
    expect(versions).toEqual(Array.from({ length: n }, (_, i) => 2 + i));
    expect(store.stats().transactions - before).toBe(1);
    for (let i = 0; i < n; i++) expect(hex(store.get(KEYS[1 + i]!, versions[i]!)!)).toBe(hex(bytes(`v${i}`)));
    expect(store.get(KEYS[n]!, versions[n - 2]!)).toBeUndefined(); // each version is its own state
  });

  it('refuses only the conflicting commit of a group', async () => {
    const { store } = open();
    const v = store.put(KEYS[0]!, 0, bytes('a'));
    const ok1 = store.commitAsync([{ key: KEYS[0]!, baseVersion: v, value: bytes('b') }]);
    const stale = store.commitAsync([{ key: KEYS[0]!, baseVersion: v, value: bytes('c') }]);
    const ok2 = store.commitAsync([{ key: KEYS[1]!, baseVersion: 0, value: bytes('d') }]);
    expect(await ok1).toBe(v + 1);
    expect(await asyncErrorCode(stale)).toBe('CONFLICT');
    expect(await ok2).toBe(v + 2);
    expect(store.get(KEYS[0]!)?.toString()).toBe('b');
  });

  it('writes queued commits before a synchronous one and on close', async () => {
    const { store, file } = open();
    const queued = store.commitAsync([{ key: KEYS[0]!, baseVersion: 0, value: bytes('queued') }]);
    expect(store.put(KEYS[1]!, 0, bytes('sync'))).toBe(2);
    expect(await queued).toBe(1);
    const late = store.commitAsync([{ key: KEYS[2]!, baseVersion: 0, value: bytes('late') }]);
    store.close();
    expect(await late).toBe(3);
    const again = openStore(file);
    expect(again.get(KEYS[2]!)?.toString()).toBe('late');
    again.close();
  });
});

describe('writes and errors', () => {
  it('applies the baseVersion rule and reports every conflict of a batch', () => {
    const { store } = open();
    const v1 = store.commit([
      { key: KEYS[0]!, baseVersion: 0, value: bytes('a') },
      { key: KEYS[1]!, baseVersion: 0, value: bytes('b') },
    ]);
    const v2 = store.put(KEYS[0]!, v1, bytes('a2'));
    // A writer that saw the key later than its last change is fine.
    const v3 = store.put(KEYS[1]!, v2, bytes('b2'));
    let error: unknown;
    try {
      store.commit([
        { key: KEYS[0]!, baseVersion: v1, value: bytes('x') }, // changed since v1
        { key: KEYS[1]!, baseVersion: 0, value: bytes('y') }, // exists
        { key: KEYS[2]!, baseVersion: 5, value: bytes('z') }, // absent
        { key: KEYS[3]!, baseVersion: 0, value: bytes('fine') },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('CONFLICT');
    expect((error as StoreError).conflicts.map((c) => [hex(c.key), c.baseVersion, c.currentVersion])).toEqual([
      [hex(KEYS[0]!), v1, v2],
      [hex(KEYS[1]!), 0, v3],
      [hex(KEYS[2]!), 5, 0],
    ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)));
    expect(store.head()).toBe(v3); // nothing written, no version used
    expect(store.get(KEYS[3]!)).toBeUndefined();
    expect(store.delete(KEYS[0]!, v2)).toBe(v3 + 1);
    expect(errorCode(() => store.delete(KEYS[0]!, v2))).toBe('CONFLICT');
  });

  it('maps malformed requests to BAD_KEY, BAD_REQUEST and TOO_LARGE', () => {
    const { store } = open({ maxValueSize: 16 });
    expect(errorCode(() => store.put(new Uint8Array(31), 0, bytes('x')))).toBe('BAD_KEY');
    expect(errorCode(() => store.get(new Uint8Array(33)))).toBe('BAD_KEY');
    expect(errorCode(() => store.put(KEYS[0]!, 0, new Uint8Array(17)))).toBe('TOO_LARGE');
    expect(errorCode(() => store.put(KEYS[0]!, -1, bytes('x')))).toBe('BAD_REQUEST');
    expect(errorCode(() => store.put(KEYS[0]!, 1.5, bytes('x')))).toBe('BAD_REQUEST');
    expect(errorCode(() => store.delete(KEYS[0]!, 0))).toBe('BAD_REQUEST');
    const dup = [KEYS[0]!, KEYS[0]!].map((key) => ({ key, baseVersion: 0, value: bytes('x') }));
    expect(errorCode(() => store.commit(dup))).toBe('BAD_REQUEST');
    expect(errorCode(() => store.get(KEYS[0]!, 1))).toBe('NOT_FOUND');
    expect(errorCode(() => store.get(KEYS[0]!, -3))).toBe('BAD_REQUEST');
    expect(errorCode(() => store.scan(new Uint8Array(33)))).toBe('BAD_KEY');
    expect(store.put(KEYS[0]!, 0, new Uint8Array(16))).toBe(1);
  });

  it('makes an empty commit a new version with the same root', () => {
    const { store } = open();
    const v1 = store.put(KEYS[0]!, 0, bytes('a'));
    const v2 = store.commit([]);
    expect(v2).toBe(v1 + 1);
    expect(hex(store.root(v2))).toBe(hex(store.root(v1)));
    expect(store.getEntry(KEYS[0]!, v2)?.valueVersion).toBe(v1);
    expect(store.getPrevious(KEYS[0]!, v1)).toBeUndefined();
    expect(store.getPrevious(KEYS[0]!, v2)?.toString()).toBe('a');
  });

  it('scans with prefix bounds in key order', () => {
    const { store } = open();
    store.commit(KEYS.slice(0, 50).map((key, i) => ({ key, baseVersion: 0, value: bytes(`${i}`) })));
    const sorted = KEYS.slice(0, 50).map(hex).sort();
    expect([...store.scan()].map(([k]) => hex(k))).toEqual(sorted);
    const from = Buffer.from(sorted[10]!, 'hex').subarray(0, 2);
    const to = Buffer.from(sorted[40]!, 'hex');
    const expected = sorted.filter((k) => k >= hex(from) && k < hex(to));
    expect([...store.scan(from, to)].map(([k]) => hex(k))).toEqual(expected);
  });

  it('refuses every call after close with CLOSED', () => {
    const { file, cleanup } = tempDir();
    cleanups.push(cleanup);
    const store = openStore(file);
    store.close();
    expect(errorCode(() => store.get(KEYS[0]!))).toBe('CLOSED');
    expect(errorCode(() => store.put(KEYS[0]!, 0, bytes('x')))).toBe('CLOSED');
    expect(errorCode(() => store.stats())).toBe('CLOSED');
  });
});

describe('branches', () => {
  it('survive a reopen, merge only while main is at their base, and vanish when dropped', () => {
    const { store, file } = open();
    const base = store.put(KEYS[0]!, 0, bytes('base'));
    const a = store.fork();
    const b = store.fork(base);
    const va = a.put(KEYS[1]!, 0, bytes('on a'));
    const vb = b.put(KEYS[2]!, 0, bytes('on b'));
    expect(store.get(KEYS[1]!)).toBeUndefined();
    expect(store.get(KEYS[1]!, va)?.toString()).toBe('on a'); // versions are global
    store.close();

    const again = openStore(file);
    try {
      const [a2, b2] = again.branches().sort((x, y) => x.id - y.id);
      expect([a2!.base, a2!.head(), b2!.head()]).toEqual([base, va, vb]);
      expect(a2!.merge()).toBe(va);
      expect(again.head()).toBe(va);
      expect(b2!.stale).toBe(true);
      expect(errorCode(() => b2!.merge())).toBe('STALE_BRANCH');
      expect(errorCode(() => b2!.put(KEYS[3]!, 0, bytes('x')))).toBe('STALE_BRANCH');
      expect(b2!.get(KEYS[2]!)?.toString()).toBe('on b'); // a stale branch still reads
      b2!.drop();
      expect(errorCode(() => again.get(KEYS[2]!, vb))).toBe('NOT_FOUND');
      expect(errorCode(() => b2!.head())).toBe('CLOSED');
      expect(errorCode(() => a2!.head())).toBe('CLOSED');
      // Version numbers are never reused, even those of a dropped branch.
      expect(again.put(KEYS[4]!, 0, bytes('next'))).toBe(vb + 1);
      expect(again.verify().problems).toEqual([]);
    } finally {
      again.close();
    }
  });

  it('cannot fork from a version that is not on the main line', () => {
    const { store } = open();
    store.put(KEYS[0]!, 0, bytes('x'));
    const branch = store.fork();
    const v = branch.put(KEYS[1]!, 0, bytes('y'));
    expect(errorCode(() => store.fork(v))).toBe('NOT_FOUND');
    expect(errorCode(() => store.fork(v + 10))).toBe('NOT_FOUND');
  });
});

describe('garbage collection', () => {
  it('prunes below the horizon, keeps every later version readable, stops at open branches', () => {
    const { store } = open();
    const versions: number[] = [];
    for (let round = 0; round < 6; round++) {
      versions.push(
        store.commit(KEYS.slice(0, 30).map((key) => ({
          key,
          baseVersion: store.getEntry(key)?.valueVersion ?? 0,
          value: bytes(`round ${round}`),
        }))),
      );
    }
    // Forked from an older main version: stale at once, but it still reads, and it holds GC back.
    const branch = store.fork(versions[3]!);
    expect(branch.stale).toBe(true);
    const capped = store.gc(versions[5]!);
    expect(capped.horizon).toBe(versions[3]);
    expect(errorCode(() => store.get(KEYS[0]!, versions[2]!))).toBe('PRUNED');
    expect(errorCode(() => store.getPrevious(KEYS[0]!, versions[3]!))).toBe('PRUNED');
    expect(store.get(KEYS[0]!, versions[3]!)?.toString()).toBe('round 3');
    expect(branch.get(KEYS[0]!)?.toString()).toBe('round 3');
    branch.drop();
    const full = store.gc(versions[5]!, { compact: true });
    expect(full).toMatchObject({ horizon: versions[5], compacted: true });
    expect(full.nodesRemoved).toBeGreaterThan(0);
    expect(errorCode(() => store.get(KEYS[0]!, versions[4]!))).toBe('PRUNED');
    const root = store.root();
    for (const key of KEYS.slice(0, 30)) {
      const result = verifyProof(root, key, store.prove(key));
      expect(result.found && Buffer.from(result.value).toString()).toBe('round 5');
    }
    expect(store.verify().problems).toEqual([]);
    expect(store.stats()).toMatchObject({ horizon: versions[5], staleNodes: 0, liveKeys: 30 });
  });
});

describe('a cache much smaller than the tree', () => {
  it('gives the same roots, reads and proofs', () => {
    const small = open({ cacheNodes: 16 }).store;
    const big = open().store;
    const entries = new Map<string, Buffer>();
    for (let round = 0; round < 4; round++) {
      const writes = KEYS.slice(round * 60, round * 60 + 160).map((key) => ({
        key,
        baseVersion: small.getEntry(key)?.valueVersion ?? 0,
        value: bytes(`${round}:${hex(key).slice(0, 6)}`),
      }));
      for (const w of writes) entries.set(hex(w.key), w.value);
      expect(small.commit(writes)).toBe(big.commit(writes));
      expect(hex(small.root())).toBe(hex(big.root()));
    }
    expect(hex(small.root())).toBe(
      hex(referenceRoot([...entries].map(([k, v]): [Uint8Array, Uint8Array] => [Buffer.from(k, 'hex'), v]))),
    );
    for (const key of KEYS) {
      expect(small.get(key)?.toString()).toBe(entries.get(hex(key))?.toString());
      expect(verifyProof(small.root(), key, small.prove(key)).found).toBe(entries.has(hex(key)));
    }
    expect(small.stats()).toMatchObject({ liveKeys: entries.size });
    expect(small.stats().cachedNodes).toBeLessThanOrEqual(16 + 16);
  });
});
