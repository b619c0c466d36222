/**
 * One commit's change to the tree, computed in memory before anything is written (a conflict anywhere in the
 * batch must write nothing).
 *
 * The writes, sorted by key, are pushed down from the root in one pass: at each internal node they split into
 * runs by the nibble at that depth, each run rebuilds one child, and the node is re-encoded once with all its
 * changed children (so a node's hash is computed once per commit however many keys go through it). A leaf sits
 * at the shortest unique prefix: an insert that meets another key's leaf opens internal nodes until the two keys
 * part; a node left with a single leaf child dissolves and the leaf moves up. Because leaves are keyed by
 * (valueVersion, key), moving a leaf costs nothing.
 *
 * New nodes come out in pre-order, which is ascending path order, so the commit appends them in key order.
 */
import type { NodeArena } from './arena.ts';
import { ChildSlots } from './child-slots.ts';
import type { ConflictDetail } from './errors.ts';
import {
  type ChildKind,
  EMPTY,
  emptyRoot,
  type Hash,
  hashBytes,
  INTERNAL,
  type InternalNode,
  LEAF,
  leafHashLatin1,
} from './node-codec.ts';
import { hexNibble, KEY_LENGTH, MAX_DEPTH, nibbleAt } from './nibble-path.ts';
import { type RootRef, StaleList } from './refs.ts';

export interface WriteOp {
  readonly key: Uint8Array;
  readonly baseVersion: number;
  /** null deletes the key. */
  readonly value: Uint8Array | null;
}

export interface NodeSource {
  node(version: number, path: string): InternalNode;
}

/** Where the update reads nodes and allocates the new ones. */
export interface NodeStore extends NodeSource {
  readonly arena: NodeArena;
}

export interface NewNode {
  readonly path: string;
  readonly node: InternalNode;
}

export interface TreeUpdate {
  readonly root: RootRef | null;
  readonly rootHash: Uint8Array;
  /** New internal nodes in ascending path order. */
  readonly nodes: NewNode[];
  /** New leaves in ascending key order. */
  readonly leaves: WriteOp[];
  readonly stale: StaleList;
  readonly conflicts: ConflictDetail[];
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < KEY_LENGTH; i++) if (a[i] !== b[i]) return false;
  return true;
}

class TreeUpdater {
  private readonly slots: ChildSlots[] = [];
  private readonly preimage = Buffer.allocUnsafe(65);
  readonly nodes: (NewNode | undefined)[] = [];
  readonly leaves: WriteOp[] = [];
  readonly stale = new StaleList();
  readonly conflicts: ConflictDetail[] = [];
  // The result of the last apply(): the subtree's new root slot.
  private outKind: ChildKind = EMPTY;
  private outVersion = 0;
  private outHash: Hash | undefined;
  private outKey: Uint8Array | undefined;
  private readonly source: NodeStore;
  private readonly version: number;
  private readonly writes: readonly WriteOp[];

  constructor(source: NodeStore, version: number, writes: readonly WriteOp[]) {
    this.source = source;
    this.version = version;
    this.writes = writes;
    for (let depth = 0; depth <= MAX_DEPTH; depth++) this.slots.push(new ChildSlots());
  }

  run(root: RootRef | null, rootHash: Uint8Array): { kind: ChildKind; version: number; hash?: Hash; key?: Uint8Array } {
    this.apply(
      0,
      '',
      0,
      this.writes.length,
      root === null ? EMPTY : root.kind,
      root?.version ?? 0,
      root === null ? undefined : rootHash,
      root?.key,
    );
    return { kind: this.outKind, version: this.outVersion, hash: this.outHash!, key: this.outKey! };
  }

  private output(kind: ChildKind, version: number, hash: Hash | undefined, key: Uint8Array | undefined): void {
    this.outKind = kind;
    this.outVersion = version;
    this.outHash = hash;
    this.outKey = key;
  }

  /** Applies writes[lo, hi) — all under `path` — to the subtree currently rooted at the given slot. */
  private apply(
    depth: number,
    path: string,
    lo: number,
    hi: number,
    kind: ChildKind,
    version: number,
    hash: Hash | undefined,
    key: Uint8Array | undefined,
  ): void {
    if (kind === INTERNAL) {
      const node = this.source.node(version, path);
      this.stale.addInternal(version, path);
      const slots = this.slots[depth]!;
      slots.reset(node);
      this.rebuild(depth, path, lo, hi, slots);
      return;
    }
    if (hi - lo === 1) {
      this.applyOne(depth, path, lo, kind, version, hash, key);
      return;
    }
    // Several keys meet an empty slot or one leaf: a new internal node opens here.
    const slots = this.slots[depth]!;
    slots.reset(undefined);
    if (kind === LEAF) slots.set(nibbleAt(key!, depth), LEAF, version, hash, key);
    this.rebuild(depth, path, lo, hi, slots);
  }

  private applyOne(
    depth: number,
    path: string,
    index: number,
    kind: ChildKind,
    version: number,
    hash: Hash | undefined,
    key: Uint8Array | undefined,
  ): void {
    const write = this.writes[index]!;
    if (kind === LEAF && sameKey(key!, write.key)) {
      if (write.baseVersion === 0 || version > write.baseVersion) {
        this.conflict(write, version);
        this.output(kind, version, hash, key);
        return;
      }
      this.stale.addLeaf(version, key!);
      if (write.value === null) this.output(EMPTY, 0, undefined, undefined);
      else this.newLeaf(write);
      return;
    }
    // The key is absent: only an insert that expected that (baseVersion 0) may proceed.
    if (write.baseVersion !== 0 || write.value === null) {
      this.conflict(write, 0);
      this.output(kind, version, hash, key);
      return;
    }
    if (kind === EMPTY) {
      this.newLeaf(write);
      return;
    }
    // Another key's leaf holds this prefix: split until the two keys part.
    const slots = this.slots[depth]!;
    slots.reset(undefined);
    slots.set(nibbleAt(key!, depth), LEAF, version, hash, key);
    this.rebuild(depth, path, index, index + 1, slots);
  }

  private rebuild(depth: number, path: string, lo: number, hi: number, slots: ChildSlots): void {
    const at = this.nodes.length;
    this.nodes.push(undefined); // reserves this node's pre-order position
    const writes = this.writes;
    let i = lo;
    while (i < hi) {
      const n = nibbleAt(writes[i]!.key, depth);
      let j = i + 1;
      while (j < hi && nibbleAt(writes[j]!.key, depth) === n) j++;
      const kind = slots.kindOf(n);
      this.apply(
        depth + 1,
        path + hexNibble(n),
        i,
        j,
        kind,
        kind === EMPTY ? 0 : slots.versionOf(n),
        kind === LEAF ? slots.hashOf(n) : undefined,
        kind === LEAF ? slots.keyOf(n) : undefined,
      );
      slots.set(n, this.outKind, this.outVersion, this.outHash, this.outKey);
      i = j;
    }
    const only = slots.only();
    if (only === -1) {
      this.output(EMPTY, 0, undefined, undefined);
    } else if (only !== 16 && slots.kindOf(only) === LEAF) {
      // A lone leaf needs no internal node above it: it moves up to the shortest unique prefix.
      this.output(LEAF, slots.versionOf(only), slots.hashOf(only), slots.keyOf(only));
    } else {
      const node = slots.encode(this.source.arena, this.version);
      this.nodes[at] = { path, node };
      this.output(INTERNAL, this.version, slots.lastHash, undefined);
    }
  }

  private newLeaf(write: WriteOp): void {
    this.leaves.push(write);
    this.output(LEAF, this.version, leafHashLatin1(write.key, write.value!, this.preimage), write.key);
  }

  private conflict(write: WriteOp, currentVersion: number): void {
    this.conflicts.push({ key: write.key, baseVersion: write.baseVersion, currentVersion });
  }
}

/**
 * Computes the tree of `version` from the tree at `root` and `writes` (sorted by key, no key twice). Loads the
 * internal nodes it passes through from `source`; reads no leaf rows.
 */
export function updateTree(
  source: NodeStore,
  root: RootRef | null,
  rootHash: Uint8Array,
  version: number,
  writes: readonly WriteOp[],
): TreeUpdate {
  const updater = new TreeUpdater(source, version, writes);
  if (writes.length === 0) {
    return { root, rootHash, nodes: [], leaves: [], stale: updater.stale, conflicts: [] };
  }
  const out = updater.run(root, rootHash);
  const nodes = updater.nodes.filter((n): n is NewNode => n !== undefined);
  let newRoot: RootRef | null = null;
  if (out.kind === LEAF) newRoot = { kind: LEAF, version: out.version, key: out.key };
  else if (out.kind === INTERNAL) newRoot = { kind: INTERNAL, version: out.version, key: undefined };
  return {
    root: newRoot,
    rootHash: out.kind === EMPTY ? emptyRoot() : hashBytes(out.hash!),
    nodes,
    leaves: updater.leaves,
    stale: updater.stale,
    conflicts: updater.conflicts,
  };
}
