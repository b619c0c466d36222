/**
 * Decoded ledger records by store version. A version's contents never change (versions are global and a commit
 * that fails leaves no readable version behind), so what was read at a version may be handed out again at that
 * version — and at every later version of the same line that did not write the key. A ledger keeps one cache
 * for admission, building and applying, which otherwise read and decode the same nonce, channel, node and chain
 * records three times per transaction.
 *
 * Records handed out are frozen (objects and arrays; byte arrays cannot be), so a caller that changed one in
 * place instead of writing a new record would fail loudly instead of corrupting every later read.
 */
import { toHex } from '../crypto/index.ts';
import type { AnyRecord } from './records.ts';
import { stateKey } from './state-keys.ts';

/** A record as of a version: absent (null) or present, with the version of its last write. */
export interface CachedEntry {
  readonly record: AnyRecord | null;
  readonly valueVersion: number;
}

interface VersionNode {
  /** The version this one was committed on (reads of keys it did not write are valid there too). */
  parent: VersionNode | undefined;
  readonly entries: Map<string, CachedEntry>;
}

export interface RecordCacheOptions {
  /** Versions remembered (each a map of what was read or written at it). */
  readonly versions?: number;
  /** Entries remembered per version. */
  readonly entriesPerVersion?: number;
  /** How many parent versions a lookup walks back. */
  readonly depth?: number;
}

export interface StateKey {
  readonly key: Uint8Array;
  readonly hex: string;
}

export class RecordCache {
  readonly #nodes = new Map<number, VersionNode>();
  readonly #keys = new Map<string, StateKey>();
  readonly #maxVersions: number;
  readonly #maxEntries: number;
  readonly #depth: number;
  hits = 0;
  misses = 0;

  constructor(options: RecordCacheOptions = {}) {
    this.#maxVersions = options.versions ?? 16;
    this.#maxEntries = options.entriesPerVersion ?? 65_536;
    this.#depth = options.depth ?? 8;
  }

  /** The store key of a state path (SHA-256 of the tagged path), remembered. */
  keyOf(path: string): StateKey {
    let known = this.#keys.get(path);
    if (known === undefined) {
      if (this.#keys.size >= this.#maxEntries) this.#keys.clear();
      const key = stateKey(path);
      known = { key, hex: toHex(key) };
      this.#keys.set(path, known);
    }
    return known;
  }

  get(version: number, hex: string): CachedEntry | undefined {
    let node = this.#nodes.get(version);
    for (let step = 0; node !== undefined && step <= this.#depth; step++) {
      const entry = node.entries.get(hex);
      if (entry !== undefined) {
        this.hits += 1;
        return entry;
      }
      node = node.parent;
    }
    this.misses += 1;
    return undefined;
  }

  /** Remembers what a read at `version` found; the record is frozen in place. */
  put(version: number, hex: string, record: AnyRecord | null, valueVersion: number): CachedEntry {
    const entry: CachedEntry = { record: record === null ? null : deepFreeze(record), valueVersion };
    const node = this.#node(version, undefined);
    if (node.entries.size < this.#maxEntries) node.entries.set(hex, entry);
    return entry;
  }

  /**
   * A commit made `version` from `parent` by writing `writes` (hex → record or null for a delete): later reads at
   * `version` find those, and everything else through `parent`. The written records must not change afterwards.
   */
  committed(parent: number, version: number, writes: Iterable<readonly [string, AnyRecord | null]>): void {
    const node = this.#node(version, this.#nodes.get(parent));
    for (const [hex, record] of writes) {
      if (node.entries.size >= this.#maxEntries) break;
      node.entries.set(hex, { record: record === null ? null : deepFreeze(record), valueVersion: record === null ? 0 : version });
    }
  }

  #node(version: number, parent: VersionNode | undefined): VersionNode {
    let node = this.#nodes.get(version);
    if (node === undefined) {
      node = { parent, entries: new Map() };
      this.#nodes.set(version, node);
      if (this.#nodes.size > this.#maxVersions) this.#evictOldest();
    } else if (node.parent === undefined && parent !== undefined) {
      node.parent = parent;
    }
    return node;
  }

  /** Drops the least recently created version; its children stop walking into it (so it can be collected). */
  #evictOldest(): void {
    const [oldest, gone] = this.#nodes.entries().next().value as [number, VersionNode];
    this.#nodes.delete(oldest);
    for (const node of this.#nodes.values()) if (node.parent === gone) node.parent = undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value)) return value;
  for (const field of Object.values(value)) deepFreeze(field);
  return Object.freeze(value);
}
