/**
 * The node keys one commit made stale: those in its parent's tree but not in its own. Both trees are walked
 * together, skipping every internal node they share (an internal node's key fixes its position, so a shared key
 * means a shared subtree); leaves may have moved (a split pushes a leaf down, a delete pulls one up), so leaves
 * are compared as sets over the two differing regions. verify() checks the stored stale index against this.
 */
import { EMPTY, INTERNAL, LEAF, type ChildKind } from './node-codec.ts';
import { hexNibble, keyHex } from './nibble-path.ts';
import { nodeId, type RootRef } from './refs.ts';
import type { NodeSource } from './tree-update.ts';

interface Slot {
  kind: ChildKind;
  version: number;
  key: Uint8Array | undefined;
}

function fromRef(ref: RootRef | null): Slot {
  return ref === null ? { kind: EMPTY, version: 0, key: undefined } : { kind: ref.kind, version: ref.version, key: ref.key };
}

export function staleNodeIds(source: NodeSource, before: RootRef | null, after: RootRef | null): string[] {
  const removed = new Set<string>();
  const added = new Set<string>();
  const walk = (a: Slot, b: Slot, path: string): void => {
    if (a.kind === INTERNAL && b.kind === INTERNAL && a.version === b.version) return;
    if (a.kind === LEAF && b.kind === LEAF && a.version === b.version && keyHex(a.key!) === keyHex(b.key!)) return;
    const nodeA = a.kind === INTERNAL ? source.node(a.version, path) : undefined;
    const nodeB = b.kind === INTERNAL ? source.node(b.version, path) : undefined;
    if (a.kind === INTERNAL) removed.add(nodeId(INTERNAL, a.version, path));
    if (a.kind === LEAF) removed.add(nodeId(LEAF, a.version, a.key!));
    if (b.kind === INTERNAL) added.add(nodeId(INTERNAL, b.version, path));
    if (b.kind === LEAF) added.add(nodeId(LEAF, b.version, b.key!));
    if (nodeA === undefined && nodeB === undefined) return;
    for (let n = 0; n < 16; n++) {
      const childA: Slot =
        nodeA?.has(n) === true
          ? { kind: nodeA.isLeaf(n) ? LEAF : INTERNAL, version: nodeA.childVersion(n), key: nodeA.isLeaf(n) ? nodeA.leafKey(n) : undefined }
          : { kind: EMPTY, version: 0, key: undefined };
      const childB: Slot =
        nodeB?.has(n) === true
          ? { kind: nodeB.isLeaf(n) ? LEAF : INTERNAL, version: nodeB.childVersion(n), key: nodeB.isLeaf(n) ? nodeB.leafKey(n) : undefined }
          : { kind: EMPTY, version: 0, key: undefined };
      if (childA.kind === EMPTY && childB.kind === EMPTY) continue;
      walk(childA, childB, path + hexNibble(n));
    }
  };
  walk(fromRef(before), fromRef(after), '');
  return [...removed].filter((id) => !added.has(id)).sort();
}
