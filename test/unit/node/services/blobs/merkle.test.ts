import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { merkleNode, merklePath, merkleTop, segmentLeaf, topFromPath } from '../../../../../node/services/blobs/index.ts';
import { bytes32, flipped } from './fixtures.ts';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => segmentLeaf(bytes32(`leaf ${i}`)));
const hex = (b: Uint8Array | undefined) => (b === undefined ? 'none' : Buffer.from(b).toString('hex'));

describe('blob Merkle tree', () => {
  it('hashes leaves and nodes under their own tags (recomputed here with node:crypto)', () => {
    const segment = bytes32('segment');
    const expectedLeaf = createHash('sha256').update('AME-BLOB-LEAF-v1\0').update(segment).digest();
    expect(hex(segmentLeaf(segment))).toBe(expectedLeaf.toString('hex'));
    const [a, b] = [bytes32('a'), bytes32('b')];
    const expectedNode = createHash('sha256').update('AME-BLOB-NODE-v1\0').update(a).update(b).digest();
    expect(hex(merkleNode(a, b))).toBe(expectedNode.toString('hex'));
    // A leaf over the bytes of two hashes is not the node over them: no segment passes for an inner node.
    expect(hex(segmentLeaf(Uint8Array.from([...a, ...b])))).not.toBe(hex(merkleNode(a, b)));
  });

  it('promotes the odd last node instead of pairing it with itself', () => {
    const [l0, l1, l2] = leaves(3) as [Uint8Array, Uint8Array, Uint8Array];
    expect(hex(merkleTop([l0, l1, l2]))).toBe(hex(merkleNode(merkleNode(l0, l1), l2)));
    expect(hex(merkleTop([l0]))).toBe(hex(l0));
  });

  it('proves every leaf of trees of 1…70 and 129 leaves', () => {
    for (const n of [...Array.from({ length: 70 }, (_, i) => i + 1), 129]) {
      const nodes = leaves(n);
      const top = hex(merkleTop(nodes));
      for (let i = 0; i < n; i++) {
        expect(hex(topFromPath(nodes[i]!, i, n, merklePath(nodes, i)))).toBe(top);
      }
    }
  });

  it('has the subtree over each aligned run of 2^k leaves as a node: the top over run roots is the top', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 5 }), (n, k) => {
        const nodes = leaves(n);
        const run = 2 ** k;
        const roots: Uint8Array[] = [];
        for (let i = 0; i < n; i += run) roots.push(merkleTop(nodes.slice(i, i + run)));
        expect(hex(merkleTop(roots))).toBe(hex(merkleTop(nodes)));
        // …and a path inside a run followed by the run's path among the runs is the leaf's path in the tree.
        const i = n - 1;
        const r = Math.floor(i / run);
        const joined = [...merklePath(nodes.slice(r * run, r * run + run), i - r * run), ...merklePath(roots, r)];
        expect(joined.map(hex)).toEqual(merklePath(nodes, i).map(hex));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses forged, short, long and misplaced paths', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 100 }), fc.nat(), fc.nat(), fc.nat(255), (n, at, pick, byte) => {
        const nodes = leaves(n);
        const i = at % n;
        const top = hex(merkleTop(nodes));
        const path = merklePath(nodes, i);
        const s = pick % path.length;
        const forged = path.map((p, j) => (j === s ? flipped(p, byte % 32) : p));
        expect(hex(topFromPath(nodes[i]!, i, n, forged))).not.toBe(top);
        expect(topFromPath(nodes[i]!, i, n, path.slice(1))).toBeUndefined();
        expect(topFromPath(nodes[i]!, i, n, [...path, bytes32('extra')])).toBeUndefined();
        expect(hex(topFromPath(nodes[(i + 1) % n]!, i, n, path))).not.toBe(top);
        expect(topFromPath(nodes[i]!, n, n, path)).toBeUndefined();
        expect(topFromPath(nodes[i]!, i, n, [...path.slice(0, -1), new Uint8Array(31)])).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
