/**
 * Node keys outside a node: a commit's root reference and the stale-node index.
 *
 * A node key is (version, nibble path) for an internal node and (valueVersion, key) for a leaf. The stale index
 * keeps one row per commit (staleSince = that commit's version) listing every node key the commit replaced, so a
 * commit costs one index row instead of thousands and GC reads the index in version order.
 */
import { StoreError } from './errors.ts';
import { INTERNAL, LEAF, readVarint, varintLength, writeVarint } from './node-codec.ts';
import { HEX_DIGITS, KEY_LENGTH, keyHex, unpackPath } from './nibble-path.ts';

/** The root of one version's tree: an internal node at path "" or a single leaf; null for the empty tree. */
export interface RootRef {
  readonly kind: typeof LEAF | typeof INTERNAL;
  readonly version: number;
  /** The leaf's key when kind is LEAF. */
  readonly key: Uint8Array | undefined;
}

export function encodeRootRef(ref: RootRef): Buffer {
  const out = Buffer.allocUnsafe(1 + varintLength(ref.version) + (ref.kind === LEAF ? KEY_LENGTH : 0));
  out[0] = ref.kind;
  const end = writeVarint(out, 1, ref.version);
  if (ref.kind === LEAF) out.set(ref.key!, end);
  return out;
}

export function decodeRootRef(data: Uint8Array): RootRef {
  const kind = data[0];
  const read = readVarint(data, 1);
  if ((kind !== LEAF && kind !== INTERNAL) || read === undefined) throw new StoreError('CORRUPT', 'bad root reference');
  const expected = read.end + (kind === LEAF ? KEY_LENGTH : 0);
  if (data.length !== expected) throw new StoreError('CORRUPT', 'root reference has a wrong length');
  const key = kind === LEAF ? Uint8Array.prototype.slice.call(data, read.end, expected) : undefined;
  return { kind, version: read.value, key };
}

/** One entry of the stale index: the key of a node a commit replaced. */
export interface StaleEntry {
  readonly kind: typeof LEAF | typeof INTERNAL;
  readonly version: number;
  /** Internal nodes: the nibble path. */
  readonly path: string;
  /** Leaves: the key. */
  readonly key: Uint8Array | undefined;
}

/** A string naming a node key, for sets and messages: "n:<version>:<path>" or "l:<version>:<key hex>". */
export function nodeId(kind: number, version: number, pathOrKey: string | Uint8Array): string {
  return kind === LEAF
    ? `l:${version}:${typeof pathOrKey === 'string' ? pathOrKey : keyHex(pathOrKey)}`
    : `n:${version}:${pathOrKey as string}`;
}

export function staleEntryId(entry: StaleEntry): string {
  return entry.kind === LEAF ? nodeId(LEAF, entry.version, entry.key!) : nodeId(INTERNAL, entry.version, entry.path);
}

/** Accumulates a commit's stale entries, in the order the tree update meets them, in one growing buffer. */
export class StaleList {
  private bytes = Buffer.allocUnsafe(4096);
  private length = 0;
  count = 0;

  private reserve(size: number): void {
    if (this.length + size <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.length + size));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  addInternal(version: number, path: string): void {
    this.reserve(1 + 8 + 1 + 32);
    const out = this.bytes;
    out[this.length] = INTERNAL;
    let offset = writeVarint(out, this.length + 1, version);
    out[offset++] = path.length;
    for (let i = 0; i < path.length; i += 2) {
      const hi = HEX_DIGITS.indexOf(path[i]!);
      const lo = i + 1 < path.length ? HEX_DIGITS.indexOf(path[i + 1]!) : 0;
      out[offset++] = (hi << 4) | lo;
    }
    this.length = offset;
    this.count += 1;
  }

  addLeaf(version: number, key: Uint8Array): void {
    this.reserve(1 + 8 + KEY_LENGTH);
    this.bytes[this.length] = LEAF;
    const offset = writeVarint(this.bytes, this.length + 1, version);
    this.bytes.set(key, offset);
    this.length = offset + KEY_LENGTH;
    this.count += 1;
  }

  encode(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}

export function decodeStale(data: Uint8Array): StaleEntry[] {
  const entries: StaleEntry[] = [];
  let offset = 0;
  while (offset < data.length) {
    const kind = data[offset];
    const read = readVarint(data, offset + 1);
    if ((kind !== LEAF && kind !== INTERNAL) || read === undefined) {
      throw new StoreError('CORRUPT', `bad stale entry at byte ${offset}`);
    }
    if (kind === LEAF) {
      const end = read.end + KEY_LENGTH;
      if (end > data.length) throw new StoreError('CORRUPT', `truncated stale entry at byte ${offset}`);
      entries.push({ kind, version: read.value, path: '', key: Uint8Array.prototype.slice.call(data, read.end, end) });
      offset = end;
    } else {
      const unpacked = unpackPath(data, read.end);
      if (unpacked === undefined) throw new StoreError('CORRUPT', `bad stale path at byte ${offset}`);
      entries.push({ kind, version: read.value, path: unpacked.path, key: undefined });
      offset = unpacked.end;
    }
  }
  return entries;
}
