/** The node cache (node-cache.ts), the generational cache (lru.ts) and arena compaction (arena.ts). */
import { describe, expect, it } from 'vitest';
import { NodeArena } from '../../../../node/store/arena.ts';
import { GenerationalCache } from '../../../../node/store/lru.ts';
import { ChildSlots } from '../../../../node/store/child-slots.ts';
import { INTERNAL, type InternalNode } from '../../../../node/store/node-codec.ts';
import { NodeCache } from '../../../../node/store/node-cache.ts';
import { hex } from './store-fixtures.ts';

function node(arena: NodeArena, version: number, fill: number): InternalNode {
  const slots = new ChildSlots();
  slots.reset(undefined);
  slots.set(0, INTERNAL, fill, new Uint8Array(32).fill(fill), undefined);
  slots.set(5, INTERNAL, fill + 1, new Uint8Array(32).fill(fill + 1), undefined);
  return slots.encode(arena, version);
}

describe('NodeCache', () => {
  it('finds the newest node by path, older ones by version, and stays within its capacity', () => {
    const arena = new NodeArena();
    const cache = new NodeCache(40);
    const a1 = node(arena, 1, 1);
    const a2 = node(arena, 2, 2);
    cache.putNew('ab', a1);
    cache.putNew('ab', a2);
    expect(cache.get(2, 'ab')).toBe(a2);
    expect(cache.get(1, 'ab')).toBeUndefined(); // replaced, not kept
    cache.putLoaded('ab', a1); // an older version read back goes to the by-version cache
    expect(cache.get(1, 'ab')).toBe(a1);
    expect(cache.get(2, 'ab')).toBe(a2);
    const deep = 'f'.repeat(20);
    cache.putNew(deep, a1);
    expect(cache.get(1, deep)).toBe(a1);
    for (let i = 0; i < 200; i++) cache.putNew(i.toString(16).padStart(4, '0'), node(arena, 3, i % 200));
    expect(cache.size).toBeLessThanOrEqual(40 + 16);
    expect(cache.get(2, 'ab')).toBe(a2); // upper paths are dropped last
    expect(cache.getOnPath(2, 2, 0xab)).toBe(a2);
  });
});

describe('GenerationalCache', () => {
  it('keeps recently used entries and at most its capacity', () => {
    const cache = new GenerationalCache<number>(10);
    for (let i = 0; i < 100; i++) {
      cache.set(`k${i}`, i);
      expect(cache.get('k0') ?? 0).toBe(0); // touched every round: never dropped
    }
    expect(cache.size).toBeLessThanOrEqual(10);
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.peek('k99')).toBe(99);
  });
});

describe('NodeArena', () => {
  it('moves a node to a new arena without changing its bytes', () => {
    const arena = new NodeArena();
    const n = node(arena, 4, 9);
    const before = hex(n.data);
    const fresh = new NodeArena();
    n.moveTo(fresh);
    expect(n.buf).toBe(fresh.current);
    expect(hex(n.data)).toBe(before);
    expect(n.childVersion(5)).toBe(10);
  });
});
