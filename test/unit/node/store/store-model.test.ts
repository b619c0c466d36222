/**
 * Property-based model test of the store (docs/store.md "Model"): random sequences of puts, deletes, batches
 * (some conflicting, some malformed), group commits, branches (fork, write, merge, drop, stale merges), reads of
 * old versions, getPrevious, scans, GC and reopening from disk, run against the store and an in-memory model.
 * Every answer and every error code must equal the model's; after every commit the root must equal the
 * reference root of the model's key set and every key's proof (present or absent) must verify against it.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type Branch, type Entry, openStore, type Store, verifyProof, type Write } from '../../../../node/store/index.ts';
import { asyncErrorCode, errorCode, hex, keyPool, referenceRoot, tempDir } from './store-fixtures.ts';

const KEYS = keyPool(20, 'model');
const ABSENT = keyPool(3, 'absent');

interface Val {
  value: Buffer;
  vv: number;
}
type State = Map<string, Val>;

class Model {
  readonly versions = new Map<number, { parent: number; state: State }>([[0, { parent: 0, state: new Map() }]]);
  readonly branches = new Map<number, { base: number; head: number; versions: Set<number> }>();
  mainHead = 0;
  next = 1;
  horizon = 0;

  resolveError(v: number): string | undefined {
    if (!this.versions.has(v)) return 'NOT_FOUND';
    if (v < this.horizon) return 'PRUNED';
    return undefined;
  }

  isMain(v: number): boolean {
    return this.versions.has(v) && ![...this.branches.values()].some((b) => b.versions.has(v));
  }

  headOf(line: number): number {
    return line === 0 ? this.mainHead : this.branches.get(line)!.head;
  }

  /** The outcome of a batch on `line`: an error code, or the new version (and the model is updated). */
  /** What the store refuses before queueing: a stale branch, a malformed batch. */
  precheck(line: number, writes: ModelWrite[]): string | undefined {
    if (line !== 0 && this.branches.get(line)!.base !== this.mainHead) return 'STALE_BRANCH';
    const seen = new Set<number>();
    for (const w of writes) {
      if (w.value === null && w.base === 0) return 'BAD_REQUEST';
      if (seen.has(w.k)) return 'BAD_REQUEST';
      seen.add(w.k);
    }
    return undefined;
  }

  commit(line: number, writes: ModelWrite[]): string | number {
    const refused = this.precheck(line, writes);
    if (refused !== undefined) return refused;
    const head = this.headOf(line);
    const state = this.versions.get(head)!.state;
    for (const w of writes) {
      const cur = state.get(hex(KEYS[w.k]!));
      const conflict = cur !== undefined ? w.base === 0 || cur.vv > w.base : w.base !== 0 || w.value === null;
      if (conflict) return 'CONFLICT';
    }
    const version = this.next++;
    const next: State = new Map(state);
    for (const w of writes) {
      const key = hex(KEYS[w.k]!);
      if (w.value === null) next.delete(key);
      else next.set(key, { value: w.value, vv: version });
    }
    this.versions.set(version, { parent: head, state: next });
    if (line === 0) this.mainHead = version;
    else {
      const branch = this.branches.get(line)!;
      branch.head = version;
      branch.versions.add(version);
    }
    return version;
  }
}

interface ModelWrite {
  k: number;
  base: number;
  value: Buffer | null;
}

type BaseMode = 'right' | 'zero' | 'old' | 'later';
interface CmdWrite {
  k: number;
  del: boolean;
  base: BaseMode;
  val: number;
}
type Cmd =
  | { t: 'batch'; line: number; writes: CmdWrite[] }
  | { t: 'group'; items: { line: number; writes: CmdWrite[] }[] }
  | { t: 'fork'; pick: number; head: boolean }
  | { t: 'merge'; pick: number }
  | { t: 'drop'; pick: number }
  | { t: 'read'; pick: number; k: number; viaBranch: number }
  | { t: 'prev'; pick: number; k: number }
  | { t: 'scan'; pick: number; from: number; to: number }
  | { t: 'gc'; pick: number }
  | { t: 'reopen' };

const writeArb = fc.record({
  k: fc.nat(KEYS.length - 1),
  del: fc.boolean(),
  base: fc.oneof(
    { weight: 12, arbitrary: fc.constant<BaseMode>('right') },
    { weight: 1, arbitrary: fc.constantFrom<BaseMode>('zero', 'old', 'later') },
  ),
  val: fc.nat(1000),
});
// Mostly distinct keys; now and then the first write repeated (BAD_REQUEST).
const writesArb = fc
  .tuple(fc.uniqueArray(writeArb, { selector: (w) => w.k, maxLength: 6 }), fc.nat(19))
  .map(([writes, dup]) => (dup === 0 && writes.length > 0 ? [...writes, writes[0]!] : writes));
const lineArb = fc.nat(3);
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('batch' as const), line: lineArb, writes: writesArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('group' as const),
      items: fc.array(fc.record({ line: lineArb, writes: writesArb }), { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('fork' as const), pick: fc.nat(), head: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('merge' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('read' as const), pick: fc.nat(), k: fc.nat(KEYS.length - 1), viaBranch: fc.nat(3) }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('prev' as const), pick: fc.nat(), k: fc.nat(KEYS.length - 1) }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('scan' as const), pick: fc.nat(), from: fc.nat(KEYS.length), to: fc.nat(KEYS.length) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('gc' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ t: 'reopen' as const }) },
);

function valueOf(seed: number): Buffer {
  return createHash('sha256').update(`value ${seed}`).digest().subarray(0, seed % 41);
}

class Harness {
  readonly model = new Model();
  store: Store;
  branches = new Map<number, Branch>();
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
    this.store = openStore(file, { cacheNodes: 64 });
  }

  /** Maps a line pick to 0 (main) or an open branch id. */
  line(pick: number): number {
    const ids = [...this.model.branches.keys()];
    return pick === 0 || ids.length === 0 ? 0 : ids[(pick - 1) % ids.length]!;
  }

  view(line: number): Store | Branch {
    return line === 0 ? this.store : this.branches.get(line)!;
  }

  /** A version number to ask about: any number ever handed out, 0, or one not yet used. */
  version(pick: number): number {
    return pick % (this.model.next + 1);
  }

  toWrites(line: number, writes: CmdWrite[]): { store: Write[]; model: ModelWrite[] } {
    const state = this.model.versions.get(this.model.headOf(line))!.state;
    const model = writes.map((w) => {
      const cur = state.get(hex(KEYS[w.k]!));
      // A well-formed delete of an absent key is a put instead, so most batches can succeed.
      const del = w.del && (cur !== undefined || w.base !== 'right');
      let base = 0;
      if (w.base === 'right') base = cur?.vv ?? 0;
      else if (w.base === 'old') base = cur === undefined ? 1 : cur.vv - 1;
      else if (w.base === 'later') base = cur === undefined ? 0 : cur.vv + 3;
      return { k: w.k, base, value: del ? null : valueOf(w.val) };
    });
    return { model, store: model.map((w) => ({ key: KEYS[w.k]!, baseVersion: w.base, value: w.value })) };
  }

  checkVersion(version: number): void {
    const state = this.model.versions.get(version)!.state;
    const root = this.store.root(version);
    const entries = [...state.entries()].map(([k, v]): [Uint8Array, Uint8Array] => [Buffer.from(k, 'hex'), v.value]);
    expect(hex(root)).toBe(hex(referenceRoot(entries)));
    for (const key of [...KEYS, ...ABSENT]) {
      const expected = state.get(hex(key));
      const result = verifyProof(root, key, this.store.prove(key, version));
      expect(result.found).toBe(expected !== undefined);
      if (result.found) expect(hex(result.value)).toBe(hex(expected!.value));
    }
  }

  async run(cmd: Cmd): Promise<void> {
    const { model } = this;
    switch (cmd.t) {
      case 'batch': {
        const line = this.line(cmd.line);
        const writes = this.toWrites(line, cmd.writes);
        const expected = model.commit(line, writes.model);
        let actual: string | number;
        try {
          actual = this.view(line).commit(writes.store);
        } catch (error) {
          actual = errorCode(() => {
            throw error;
          })!;
        }
        expect(actual).toBe(expected);
        if (typeof expected === 'number') this.checkVersion(expected);
        return;
      }
      case 'group': {
        const promises: Promise<number>[] = [];
        const expectations: (() => string | number)[] = [];
        for (const item of cmd.items) {
          const line = this.line(item.line);
          const writes = this.toWrites(line, item.writes);
          promises.push(this.view(line).commitAsync(writes.store));
          // Refusals are decided when queued (state before the group); the rest in order at the flush.
          const refused = model.precheck(line, writes.model);
          expectations.push(() => refused ?? model.commit(line, writes.model));
        }
        const settled = await Promise.allSettled(promises);
        settled.forEach((outcome, i) => {
          const expected = expectations[i]!();
          if (typeof expected === 'number') {
            expect(outcome).toEqual({ status: 'fulfilled', value: expected });
            this.checkVersion(expected);
          } else {
            expect(outcome.status).toBe('rejected');
            expect((outcome as PromiseRejectedResult).reason.code).toBe(expected);
          }
        });
        return;
      }
      case 'fork': {
        const version = cmd.head ? model.mainHead : this.version(cmd.pick);
        const expected = model.resolveError(version) ?? (model.isMain(version) ? undefined : 'NOT_FOUND');
        let branch: Branch | undefined;
        expect(errorCode(() => (branch = this.store.fork(version)))).toBe(expected);
        if (branch !== undefined) {
          model.branches.set(branch.id, { base: version, head: version, versions: new Set() });
          this.branches.set(branch.id, branch);
          expect(branch.head()).toBe(version);
        }
        return;
      }
      case 'merge':
      case 'drop': {
        const id = this.line(1 + cmd.pick);
        if (id === 0) return;
        const branch = this.branches.get(id)!;
        const mb = model.branches.get(id)!;
        if (cmd.t === 'merge') {
          const expected = mb.base === model.mainHead ? undefined : 'STALE_BRANCH';
          expect(errorCode(() => branch.merge())).toBe(expected);
          if (expected !== undefined) return;
          model.mainHead = mb.head;
        } else {
          expect(errorCode(() => branch.drop())).toBeUndefined();
          for (const v of mb.versions) model.versions.delete(v);
        }
        model.branches.delete(id);
        this.branches.delete(id);
        expect(errorCode(() => branch.head())).toBe('CLOSED');
        return;
      }
      case 'read': {
        const key = KEYS[cmd.k]!;
        const line = this.line(cmd.viaBranch);
        // Half the reads use the line's head by default, half an explicit version.
        const version = cmd.pick % 2 === 0 ? undefined : this.version(cmd.pick >> 1);
        const at = version ?? model.headOf(line);
        const expectedError = version === undefined ? undefined : model.resolveError(at);
        let entry: Entry | undefined;
        expect(errorCode(() => (entry = this.view(line).getEntry(key, version)))).toBe(expectedError);
        if (expectedError !== undefined) return;
        const want = model.versions.get(at)!.state.get(hex(key));
        const got = entry as Entry | undefined;
        expect(got === undefined ? undefined : { value: hex(got.value), vv: got.valueVersion }).toEqual(
          want === undefined ? undefined : { value: hex(want.value), vv: want.vv },
        );
        expect(hex(this.view(line).get(key, version) ?? Buffer.alloc(0))).toBe(hex(want?.value ?? Buffer.alloc(0)));
        return;
      }
      case 'prev': {
        const key = KEYS[cmd.k]!;
        const version = this.version(cmd.pick);
        let expected = version === 0 ? 'BAD_REQUEST' : model.resolveError(version);
        const parent = model.versions.get(version)?.parent ?? 0;
        if (expected === undefined) expected = model.resolveError(parent);
        let value: Uint8Array | undefined;
        expect(errorCode(() => (value = this.store.getPrevious(key, version)))).toBe(expected);
        if (expected === undefined) {
          const want = model.versions.get(parent)!.state.get(hex(key));
          expect(value === undefined ? undefined : hex(value)).toBe(want === undefined ? undefined : hex(want.value));
        }
        return;
      }
      case 'scan': {
        const version = this.version(cmd.pick);
        const sorted = [...KEYS].sort(Buffer.compare);
        const from = sorted[cmd.from];
        const to = sorted[cmd.to];
        const expectedError = model.resolveError(version);
        let rows: string[] = [];
        expect(errorCode(() => (rows = [...this.store.scan(from, to, version)].map(([k, v]) => `${hex(k)}=${hex(v)}`)))).toBe(
          expectedError,
        );
        if (expectedError !== undefined) return;
        const want = [...model.versions.get(version)!.state.entries()]
          .filter(([k]) => (from === undefined || k >= hex(from)) && (to === undefined || k < hex(to)))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => `${k}=${hex(v.value)}`);
        expect(rows).toEqual(want);
        return;
      }
      case 'gc': {
        const horizon = this.version(cmd.pick);
        let limit = Math.min(horizon, model.mainHead);
        for (const b of model.branches.values()) limit = Math.min(limit, b.base);
        const result = this.store.gc(horizon);
        model.horizon = Math.max(model.horizon, limit);
        expect(result.horizon).toBe(model.horizon);
        expect(this.store.verify().problems).toEqual([]);
        return;
      }
      case 'reopen': {
        this.store.close();
        this.store = openStore(this.file, { cacheNodes: 64 });
        this.branches = new Map(this.store.branches().map((b) => [b.id, b]));
        expect([...this.branches.keys()].sort()).toEqual([...model.branches.keys()].sort());
        expect(this.store.head()).toBe(model.mainHead);
        return;
      }
    }
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('store against an in-memory model', () => {
  it('answers every command sequence like the model, with verifying proofs after every commit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb, { minLength: 5, maxLength: 60, size: 'max' }), async (cmds) => {
        const { file, cleanup } = tempDir();
        const harness = new Harness(file);
        try {
          for (const cmd of cmds) await harness.run(cmd);
          const report = harness.store.verify();
          expect(report.problems).toEqual([]);
          expect(report.ok).toBe(true);
        } finally {
          harness.store.close();
          cleanup();
        }
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});

describe('root determinism', () => {
  it('gives the same root for the same final key set, whatever the history', () => {
    const entryArb = fc.uniqueArray(fc.record({ k: fc.nat(KEYS.length - 1), val: fc.nat(1000) }), { selector: (e) => e.k, maxLength: 14 });
    fc.assert(
      fc.property(entryArb, fc.array(fc.nat(KEYS.length - 1), { maxLength: 8 }), fc.nat(), (final, noise, seed) => {
        const a = tempDir();
        const b = tempDir();
        cleanups.push(a.cleanup, b.cleanup);
        const one = openStore(a.file);
        const two = openStore(b.file);
        try {
          // One store writes the final set in one batch.
          if (final.length > 0) one.commit(final.map((e) => ({ key: KEYS[e.k]!, baseVersion: 0, value: valueOf(e.val) })));
          // The other inserts noise keys first, writes the final set one key at a time in another order,
          // overwriting some, then deletes the noise.
          const noiseKeys = [...new Set(noise)].filter((k) => !final.some((e) => e.k === k));
          for (const k of noiseKeys) two.put(KEYS[k]!, 0, valueOf(k + 5000));
          const order = [...final].sort((x, y) => ((x.k * 7919 + seed) % 97) - ((y.k * 7919 + seed) % 97));
          for (const e of order) {
            const v = two.put(KEYS[e.k]!, 0, valueOf(e.val + 1));
            two.put(KEYS[e.k]!, v, valueOf(e.val));
          }
          for (const k of noiseKeys) two.delete(KEYS[k]!, two.getEntry(KEYS[k]!)!.valueVersion);
          expect(hex(two.root())).toBe(hex(one.root()));
          expect(hex(one.root())).toBe(
            hex(referenceRoot(final.map((e): [Uint8Array, Uint8Array] => [KEYS[e.k]!, valueOf(e.val)]))),
          );
        } finally {
          one.close();
          two.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('asyncErrorCode helper', () => {
  it('reports a rejected commitAsync by code', async () => {
    const { file, cleanup } = tempDir();
    cleanups.push(cleanup);
    const store = openStore(file);
    expect(await asyncErrorCode(store.commitAsync([{ key: new Uint8Array(3), baseVersion: 0, value: null }]))).toBe('BAD_KEY');
    store.close();
  });
});
