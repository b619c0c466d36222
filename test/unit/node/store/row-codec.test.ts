/** Rows (row-codec.ts): grouping, ids, a deterministic encoding that round-trips, and strict decoding. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRow,
  encodeRow,
  findLeaf,
  GROUPS_PER_VERSION,
  groupOfKey,
  groupOfPath,
  rowGroup,
  rowId,
  rowName,
  rowVersion,
  UPPER_GROUP,
} from '../../../../node/store/row-codec.ts';
import { errorCode, hex } from './store-fixtures.ts';

const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('row ids and groups', () => {
  it('puts upper nodes in group 0 and the rest by their first three nibbles', () => {
    expect(groupOfPath('')).toBe(UPPER_GROUP);
    expect(groupOfPath('ab')).toBe(UPPER_GROUP);
    expect(groupOfPath('abc')).toBe(1 + 0xabc);
    expect(groupOfPath('abcd9')).toBe(1 + 0xabc);
    expect(groupOfKey(Buffer.from('abcdef'.padEnd(64, '0'), 'hex'))).toBe(1 + 0xabc);
    const id = rowId(12, 1 + 0xabc);
    expect([rowVersion(id), rowGroup(id), rowName(id)]).toEqual([12, 1 + 0xabc, '(12, prefix abc)']);
    expect(rowId(13, 0)).toBe(rowId(12, GROUPS_PER_VERSION - 1) + 1); // a later version's rows sort after
  });
});

describe('row encoding', () => {
  it('round-trips sorted leaves and nodes, and finds each leaf', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ key: keyArb, value: fc.uint8Array({ maxLength: 300 }) }), { selector: (l) => hex(l.key), maxLength: 8 }),
        fc.uniqueArray(fc.record({ path: fc.stringMatching(/^[0-9a-f]{0,20}$/), data: fc.uint8Array({ minLength: 1, maxLength: 200 }) }), { selector: (n) => n.path, maxLength: 8 }),
        keyArb,
        (leaves, nodes, absent) => {
          leaves.sort((a, b) => Buffer.compare(a.key, b.key));
          nodes.sort((a, b) => (a.path < b.path ? -1 : 1));
          const row = encodeRow(leaves, nodes);
          const decoded = decodeRow(row.leaves, row.nodes);
          expect(decoded.leaves.map((l) => [hex(l.key), hex(l.value)])).toEqual(leaves.map((l) => [hex(l.key), hex(l.value)]));
          expect(decoded.nodes.map((n) => [n.path, hex(n.data)])).toEqual(nodes.map((n) => [n.path, hex(n.data)]));
          for (const leaf of leaves) expect(hex(findLeaf(row.leaves, leaf.key)!)).toBe(hex(leaf.value));
          if (!leaves.some((l) => hex(l.key) === hex(absent))) expect(findLeaf(row.leaves, absent)).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses truncated, reordered or padded rows with CORRUPT', () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    const row = encodeRow([{ key: a, value: Uint8Array.of(5) }, { key: b, value: Uint8Array.of(6) }], [{ path: 'abc', data: Uint8Array.of(7) }]);
    for (let cut = 0; cut < row.leaves.length; cut++) {
      expect(errorCode(() => decodeRow(row.leaves.subarray(0, cut), row.nodes))).toBe('CORRUPT');
    }
    for (let cut = 0; cut < row.nodes.length; cut++) {
      expect(errorCode(() => decodeRow(row.leaves, row.nodes.subarray(0, cut)))).toBe('CORRUPT');
    }
    expect(errorCode(() => decodeRow(Buffer.concat([row.leaves, Buffer.of(0)]), row.nodes))).toBe('CORRUPT');
    expect(errorCode(() => decodeRow(row.leaves, Buffer.concat([row.nodes, Buffer.of(0)])))).toBe('CORRUPT');
    const swapped = encodeRow([{ key: b, value: Uint8Array.of(6) }, { key: a, value: Uint8Array.of(5) }], []);
    expect(errorCode(() => decodeRow(swapped.leaves, swapped.nodes))).toBe('CORRUPT');
    const odd = encodeRow([], [{ path: 'a', data: Uint8Array.of(1) }]);
    odd.nodes[2] = odd.nodes[2]! | 1; // the pad nibble of an odd-length path
    expect(errorCode(() => decodeRow(odd.leaves, odd.nodes))).toBe('CORRUPT');
  });
});
