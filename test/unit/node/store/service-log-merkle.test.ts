import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../../node/crypto/index.ts';
import {
  merkleLeaf,
  merkleNode,
  merklePath,
  merkleRoot,
  merkleRootFromPath,
  merkleSizedRoot,
} from '../../../../node/store/service-log-merkle.ts';

const sha = (...parts: number[][] | Uint8Array[]): Uint8Array =>
  new Uint8Array(
    createHash('sha256')
      .update(Buffer.concat(parts.map((p) => Buffer.from(p))))
      .digest(),
  );

function hashes(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => sha(Uint8Array.of(i & 0xff, i >> 8)));
}

describe('service-log Merkle tree', () => {
  it('hashes leaves with 0x00 and nodes with 0x01', () => {
    const [a, b] = hashes(2) as [Uint8Array, Uint8Array];
    expect(toHex(merkleLeaf(a))).toBe(toHex(sha(Uint8Array.of(0), a)));
    expect(toHex(merkleNode(a, b))).toBe(toHex(sha(Uint8Array.of(1), a, b)));
  });

  it('binds the leaf count into the root: SHA-256(0x02 ‖ u64 count ‖ top)', () => {
    const top = hashes(1)[0] as Uint8Array;
    expect(toHex(merkleSizedRoot(258, top))).toBe(toHex(sha(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 1, 2), top)));
  });

  it('promotes the odd node of a level unchanged', () => {
    const h = hashes(5);
    const l = h.map(merkleLeaf);
    const at = (i: number): Uint8Array => l[i] as Uint8Array;
    const root = (count: number, top: Uint8Array): string => toHex(merkleSizedRoot(count, top));
    expect(toHex(merkleRoot(h.slice(0, 1)))).toBe(root(1, at(0)));
    expect(toHex(merkleRoot(h.slice(0, 2)))).toBe(root(2, merkleNode(at(0), at(1))));
    expect(toHex(merkleRoot(h.slice(0, 3)))).toBe(root(3, merkleNode(merkleNode(at(0), at(1)), at(2))));
    const n01 = merkleNode(at(0), at(1));
    const n23 = merkleNode(at(2), at(3));
    expect(toHex(merkleRoot(h))).toBe(root(5, merkleNode(merkleNode(n01, n23), at(4))));
  });

  it('gives the same leaf path shape but different roots for different widths', () => {
    const h = hashes(6);
    const five = merklePath(h.slice(0, 5), 2);
    const six = merklePath(h, 2);
    expect(six.path.length).toBe(five.path.length);
    expect(toHex(merkleRootFromPath(h[2] as Uint8Array, 2, 6, five.path) ?? new Uint8Array())).not.toBe(
      toHex(five.root),
    );
    expect(toHex(six.root)).not.toBe(toHex(five.root));
  });

  it('does not give a list and the list with its last element repeated the same root', () => {
    const h = hashes(3);
    expect(toHex(merkleRoot(h))).not.toBe(toHex(merkleRoot([...h, h[2] as Uint8Array])));
  });

  it('refuses an empty tree', () => {
    expect(() => merkleRoot([])).toThrow(RangeError);
  });

  it('gives a path for every leaf of every size up to 40 that leads back to the root, and only there', () => {
    for (let count = 1; count <= 40; count += 1) {
      const h = hashes(count);
      const root = merkleRoot(h);
      for (let index = 0; index < count; index += 1) {
        const { root: pathRoot, path } = merklePath(h, index);
        const leaf = h[index] as Uint8Array;
        expect(toHex(pathRoot)).toBe(toHex(root));
        expect(toHex(merkleRootFromPath(leaf, index, count, path) ?? new Uint8Array())).toBe(toHex(root));
        expect(path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(count)));
        // A path of the wrong length or for another position does not verify.
        expect(merkleRootFromPath(leaf, index, count, [...path, leaf])).toBeUndefined();
        if (path.length > 0) expect(merkleRootFromPath(leaf, index, count, path.slice(1))).toBeUndefined();
        if (count > 1) {
          const other = merkleRootFromPath(leaf, (index + 1) % count, count, path);
          expect(other === undefined || toHex(other) !== toHex(root)).toBe(true);
        }
      }
    }
  });

  it('refuses an index outside the leaves', () => {
    const h = hashes(4);
    expect(() => merklePath(h, 4)).toThrow(RangeError);
    expect(merkleRootFromPath(h[0] as Uint8Array, 4, 4, [])).toBeUndefined();
    expect(merkleRootFromPath(h[0] as Uint8Array, 0, 0, [])).toBeUndefined();
    expect(merkleRootFromPath(h[0] as Uint8Array, -1, 4, [])).toBeUndefined();
  });

  it('walks the levels of a huge batch without 32-bit overflow', () => {
    const leaf = hashes(1)[0] as Uint8Array;
    const count = 2 ** 40 + 3;
    const index = 2 ** 40 + 2; // the last leaf: promoted at the first level, then a left sibling
    const levels = 41;
    const path = Array.from({ length: levels }, () => leaf);
    // Only the length is checked here: a right-edge leaf of 2^40 + 3 has siblings on 2 of its 41 levels.
    expect(merkleRootFromPath(leaf, index, count, path)).toBeUndefined();
    expect(merkleRootFromPath(leaf, index, count, path.slice(0, 2))).toBeDefined();
  });
});
