/**
 * A server's replicas: the values it holds for its Unity (and for Unities it is a guest of). Durable on the
 * authenticated store (node/store, synchronous FULL, group commit), so an acknowledged replica-put survives a
 * crash; an in-memory variant serves the simulator. Writes to one key are serialised, so the "newer wins" check
 * and the write it decides are one step.
 */
import type { Store } from '../../store/index.ts';
import { compareKeys, keyToHex, ZERO_KEY, type Key } from '../keyspace.ts';
import { peekRingValue, replaces, versionOf, type RingValue } from './value.ts';

export type AcceptOutcome = 'stored' | 'same' | 'newer-held';

export interface ReplicaStore {
  get(key: Key): Uint8Array | undefined;
  /** Stores a checked value unless the one held is the same or newer; resolves once the write is durable. */
  accept(key: Key, value: RingValue, bytes: Uint8Array): Promise<AcceptOutcome>;
  /** Up to `limit` pairs with keys in [start, end) clockwise (start = end: the whole ring), after `after`. */
  page(start: Key, end: Key, after: Key | undefined, limit: number): [Key, Uint8Array][];
  remove(keys: readonly Key[]): Promise<void>;
  size(): number;
  close(): void;
}

/** The clockwise range [start, end) as at most two ascending byte ranges (`undefined` end: to the top). */
function segments(start: Key, end: Key): [Key, Key | undefined][] {
  const order = compareKeys(start, end);
  if (order === 0) return [[ZERO_KEY, undefined]];
  if (order < 0) return [[start, end]];
  return [
    [start, undefined],
    [ZERO_KEY, end],
  ];
}

abstract class SerialStore implements ReplicaStore {
  private readonly queues = new Map<string, Promise<unknown>>();

  abstract get(key: Key): Uint8Array | undefined;
  protected abstract write(key: Key, bytes: Uint8Array): Promise<void>;
  abstract page(start: Key, end: Key, after: Key | undefined, limit: number): [Key, Uint8Array][];
  abstract remove(keys: readonly Key[]): Promise<void>;
  abstract size(): number;
  abstract close(): void;

  accept(key: Key, value: RingValue, bytes: Uint8Array): Promise<AcceptOutcome> {
    const id = keyToHex(key);
    const run = async (): Promise<AcceptOutcome> => {
      const current = this.get(key);
      if (current !== undefined) {
        // Checked on the way in: the shape is enough.
        const old = peekRingValue(current);
        if (!replaces(value, old)) return versionOf(old) > versionOf(value) ? 'newer-held' : 'same';
      }
      await this.write(key, bytes);
      return 'stored';
    };
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous.then(run, run);
    this.queues.set(id, next);
    const clear = () => {
      if (this.queues.get(id) === next) this.queues.delete(id);
    };
    next.then(clear, clear);
    return next;
  }
}

export class AbnsReplicaStore extends SerialStore {
  private readonly store: Store;

  constructor(store: Store) {
    super();
    this.store = store;
  }

  get(key: Key): Uint8Array | undefined {
    return this.store.get(key);
  }

  protected async write(key: Key, bytes: Uint8Array): Promise<void> {
    const entry = this.store.getEntry(key);
    await this.store.commitAsync([{ key, baseVersion: entry?.valueVersion ?? 0, value: bytes }]);
  }

  page(start: Key, end: Key, after: Key | undefined, limit: number): [Key, Uint8Array][] {
    const out: [Key, Uint8Array][] = [];
    for (const [from, to] of segments(start, end)) {
      for (const [key, value] of this.store.scan(from, to)) {
        if (after !== undefined && !isAfter(key, after, start)) continue;
        out.push([key, value]);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async remove(keys: readonly Key[]): Promise<void> {
    const writes = keys.flatMap((key) => {
      const entry = this.store.getEntry(key);
      return entry === undefined ? [] : [{ key, baseVersion: entry.valueVersion, value: null }];
    });
    if (writes.length > 0) await this.store.commitAsync(writes);
  }

  size(): number {
    return this.store.stats().liveKeys;
  }

  close(): void {
    this.store.close();
  }
}

export class MemoryReplicaStore extends SerialStore {
  private readonly values = new Map<string, [Key, Uint8Array]>();

  get(key: Key): Uint8Array | undefined {
    return this.values.get(keyToHex(key))?.[1];
  }

  protected write(key: Key, bytes: Uint8Array): Promise<void> {
    this.values.set(keyToHex(key), [key, bytes]);
    return Promise.resolve();
  }

  page(start: Key, end: Key, after: Key | undefined, limit: number): [Key, Uint8Array][] {
    const sorted = [...this.values.values()].sort((a, b) => compareKeys(a[0], b[0]));
    const out: [Key, Uint8Array][] = [];
    for (const [from, to] of segments(start, end)) {
      for (const pair of sorted) {
        if (compareKeys(pair[0], from) < 0 || (to !== undefined && compareKeys(pair[0], to) >= 0)) continue;
        if (after !== undefined && !isAfter(pair[0], after, start)) continue;
        out.push(pair);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  remove(keys: readonly Key[]): Promise<void> {
    for (const key of keys) this.values.delete(keyToHex(key));
    return Promise.resolve();
  }

  size(): number {
    return this.values.size;
  }

  close(): void {
    this.values.clear();
  }
}

/** Whether `key` comes after `after` walking clockwise from `start` (pages of a wrapping range stay in order). */
function isAfter(key: Key, after: Key, start: Key): boolean {
  const rank = (k: Key) => (compareKeys(k, start) >= 0 ? 0 : 1);
  return rank(key) > rank(after) || (rank(key) === rank(after) && compareKeys(key, after) > 0);
}
