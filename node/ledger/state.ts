/**
 * The ledger state as typed records over a store line (the main line or a branch): reads go through a layered
 * overlay of pending changes, so a block can execute each transaction in a child layer (kept on success,
 * thrown away on failure) and write everything as one store commit at the end.
 */
import { toHex } from '../crypto/index.ts';
import type { ReadView, Write } from '../store/index.ts';
import { LedgerError } from './errors.ts';
import type { LedgerParams } from './params.ts';
import type { CachedEntry, RecordCache, StateKey } from './record-cache.ts';
import {
  type AccountRecord,
  type AnyRecord,
  type ChainRecord,
  type ChannelRecord,
  decodeRecord,
  encodeRecord,
  type GovernanceRecord,
  type ManagersRecord,
  newAccount,
  type NodeRecord,
  type PoolsRecord,
  type PreviousManagersRecord,
  type RingRecord,
  type TotalsRecord,
} from './records.ts';
import { accountPath, channelPath, META_PATHS, nodePath, stateKey } from './state-keys.ts';

/** What the ledger needs of a store line (Store and Branch both fit). */
export interface StoreLine {
  get(key: Uint8Array): Uint8Array | undefined;
  getEntry(key: Uint8Array): { value: Uint8Array; valueVersion: number } | undefined;
  scan(): Iterable<[Uint8Array, Uint8Array]>;
  commit(writes: readonly Write[]): number;
  root(version?: number): Uint8Array;
  head(): number;
}

interface Change {
  readonly key: Uint8Array;
  readonly record: AnyRecord | null;
}

type Tagged<T extends AnyRecord['t']> = Extract<AnyRecord, { t: T }>;

function strip<T extends AnyRecord>(record: T): Omit<T, 't'> {
  const { t: _t, ...rest } = record;
  return rest;
}

const ABSENT: CachedEntry = { record: null, valueVersion: 0 };
const baseOf = (entry: CachedEntry): number => (entry.record === null ? 0 : entry.valueVersion);

export class StateView {
  readonly #line: StoreLine;
  readonly #parent: StateView | undefined;
  readonly #cache: RecordCache | undefined;
  readonly #changes = new Map<string, Change>();

  private constructor(line: StoreLine, parent: StateView | undefined, cache: RecordCache | undefined) {
    this.#line = line;
    this.#parent = parent;
    this.#cache = cache;
  }

  /** The state at the line's head; with a cache, records read or written at a version are not decoded again. */
  static over(line: StoreLine, cache?: RecordCache): StateView {
    return new StateView(line, undefined, cache);
  }

  /** The state as of one store version (a past final state: proofs and snapshots of it), read-only. */
  static at(store: ReadView, version: number): StateView {
    return new StateView(
      {
        get: (key) => store.get(key, version),
        getEntry: (key) => store.getEntry(key, version),
        scan: () => store.scan(undefined, undefined, version),
        commit: () => {
          throw new LedgerError('STATE', 'a past state is read-only');
        },
        root: (v) => store.root(v ?? version),
        head: () => version,
      },
      undefined,
      undefined,
    );
  }

  /** A layer whose changes reach this one only through apply(). */
  child(): StateView {
    return new StateView(this.#line, this, this.#cache);
  }

  /** Moves this layer's changes into its parent. */
  apply(): void {
    if (this.#parent === undefined) throw new LedgerError('STATE', 'the root layer has no parent');
    for (const [hex, change] of this.#changes) this.#parent.#changes.set(hex, change);
    this.#changes.clear();
  }

  #lookup(hex: string): Change | undefined {
    const own = this.#changes.get(hex);
    if (own !== undefined || this.#parent === undefined) return own;
    return this.#parent.#lookup(hex);
  }

  #keyOf(path: string): StateKey {
    if (this.#cache !== undefined) return this.#cache.keyOf(path);
    const key = stateKey(path);
    return { key, hex: toHex(key) };
  }

  /** A key as the line holds it at its head (changes of the layers left out). */
  #stored(key: Uint8Array, hex: string): CachedEntry {
    const cache = this.#cache;
    const version = cache === undefined ? 0 : this.#line.head();
    const cached = cache?.get(version, hex);
    if (cached !== undefined) return cached;
    const entry = this.#line.getEntry(key);
    const record = entry === undefined ? null : decodeRecord(entry.value);
    if (cache === undefined) return entry === undefined ? ABSENT : { record, valueVersion: entry.valueVersion };
    return cache.put(version, hex, record, entry?.valueVersion ?? 0);
  }

  read(path: string): AnyRecord | undefined {
    const { key, hex } = this.#keyOf(path);
    const change = this.#lookup(hex);
    if (change !== undefined) return change.record ?? undefined;
    return this.#stored(key, hex).record ?? undefined;
  }

  write(path: string, record: AnyRecord): void {
    const { key, hex } = this.#keyOf(path);
    this.#changes.set(hex, { key, record });
  }

  #typed<T extends AnyRecord['t']>(path: string, t: T): Omit<Tagged<T>, 't'> | undefined {
    const record = this.read(path);
    if (record === undefined) return undefined;
    if (record.t !== t) throw new LedgerError('STATE', `${path} holds a ${record.t} record, not ${t}`);
    return strip(record as Tagged<T>);
  }

  #required<T extends AnyRecord['t']>(path: string, t: T): Omit<Tagged<T>, 't'> {
    const record = this.#typed(path, t);
    if (record === undefined) throw new LedgerError('STATE', `${path} is missing (not a ledger store?)`);
    return record;
  }

  /** This layer's changes over its parents' (outermost first, so the innermost layer wins). */
  #collect(into: Map<string, Change>): void {
    if (this.#parent !== undefined) this.#parent.#collect(into);
    for (const [hex, change] of this.#changes) into.set(hex, change);
  }

  /** Every record, this layer's changes included (in no particular order). */
  *records(): Generator<AnyRecord> {
    const merged = new Map<string, Change>();
    this.#collect(merged);
    for (const [key, value] of this.#line.scan()) {
      if (!merged.has(toHex(key))) yield decodeRecord(value);
    }
    for (const change of merged.values()) if (change.record !== null) yield change.record;
  }

  // Typed accessors.
  account(address: string): AccountRecord {
    return this.#typed(accountPath(address), 'account') ?? newAccount(address);
  }
  hasAccount(address: string): boolean {
    return this.read(accountPath(address)) !== undefined;
  }
  setAccount(record: AccountRecord): void {
    this.write(accountPath(record.address), { t: 'account', ...record });
  }
  node(key: Uint8Array): NodeRecord | undefined {
    return this.#typed(nodePath(key), 'node') as NodeRecord | undefined;
  }
  setNode(record: NodeRecord): void {
    this.write(nodePath(record.key), { t: 'node', ...record });
  }
  channel(id: Uint8Array): ChannelRecord | undefined {
    return this.#typed(channelPath(id), 'channel') as ChannelRecord | undefined;
  }
  setChannel(record: ChannelRecord): void {
    this.write(channelPath(record.id), { t: 'channel', ...record });
  }
  chain(): ChainRecord {
    return this.#required(META_PATHS.chain, 'chain');
  }
  setChain(record: ChainRecord): void {
    this.write(META_PATHS.chain, { t: 'chain', ...record });
  }
  pools(): PoolsRecord {
    return this.#required(META_PATHS.pools, 'pools');
  }
  setPools(record: PoolsRecord): void {
    this.write(META_PATHS.pools, { t: 'pools', ...record });
  }
  totals(): TotalsRecord {
    return this.#required(META_PATHS.totals, 'totals');
  }
  setTotals(record: TotalsRecord): void {
    this.write(META_PATHS.totals, { t: 'totals', ...record });
  }
  params(): LedgerParams {
    return this.#required(META_PATHS.params, 'params').params as LedgerParams;
  }
  setParams(params: LedgerParams): void {
    this.write(META_PATHS.params, { t: 'params', params });
  }
  governance(): GovernanceRecord {
    return this.#required(META_PATHS.governance, 'governance');
  }
  setGovernance(record: GovernanceRecord): void {
    this.write(META_PATHS.governance, { t: 'governance', ...record });
  }
  managers(): ManagersRecord {
    return this.#required(META_PATHS.managers, 'managers');
  }
  setManagers(record: ManagersRecord): void {
    this.write(META_PATHS.managers, { t: 'managers', ...record });
  }
  previousManagers(): PreviousManagersRecord | undefined {
    return this.#typed(META_PATHS.previousManagers, 'previous-managers');
  }
  setPreviousManagers(record: PreviousManagersRecord): void {
    this.write(META_PATHS.previousManagers, { t: 'previous-managers', ...record });
  }
  ring(): RingRecord {
    return this.#required(META_PATHS.ring, 'ring');
  }
  setRing(record: RingRecord): void {
    this.write(META_PATHS.ring, { t: 'ring', ...record });
  }

  /** The root layer's changes as one store batch (baseVersion = each key's last change), committed. */
  commit(): number {
    if (this.#parent !== undefined) throw new LedgerError('STATE', 'commit the root layer');
    const writes: Write[] = [];
    for (const [hex, change] of this.#changes) {
      // The version of the key's last change (0: absent), which the store checks the write against.
      const base = this.#cache === undefined ? (this.#line.getEntry(change.key)?.valueVersion ?? 0) : baseOf(this.#stored(change.key, hex));
      if (change.record === null) {
        if (base !== 0) writes.push({ key: change.key, baseVersion: base, value: null });
      } else {
        writes.push({ key: change.key, baseVersion: base, value: encodeRecord(change.record) });
      }
    }
    const parent = this.#line.head();
    const version = this.#line.commit(writes);
    this.#cache?.committed(parent, version, [...this.#changes].map(([hex, change]) => [hex, change.record] as const));
    this.#changes.clear();
    return version;
  }
}
