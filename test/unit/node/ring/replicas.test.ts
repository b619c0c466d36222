import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  keyFromBigInt,
  KEY_SPACE,
  rankServers,
  readQuorum,
  replicaSet,
  replicasOfKey,
  RingError,
  writeQuorum,
  type ServerEntry,
  type Unity,
} from '../../../../node/ring/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { buildMap } from '../../../support/ring-arbitraries.ts';

const server = (id: string): ServerEntry => ({ id, addrs: [] });
const unityOf = (servers: string[], guests: string[] = []): Unity => ({
  id: 'u-test',
  start: new Uint8Array(32),
  servers: servers.map(server),
  guests: guests.map(server),
  workers: [],
});
const key = fc.bigInt({ min: 0n, max: KEY_SPACE - 1n }).map(keyFromBigInt);
const ids = (servers: readonly ServerEntry[]) => servers.map((s) => s.id);

describe('replica sets', () => {
  it('picks min(replicas, servers) distinct servers of the Unity, the same for the same key', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 7 }), (k, n, r) => {
        const unity = unityOf(Array.from({ length: n }, (_, i) => `s${i}`));
        const set = replicaSet(unity, k, r);
        expect(set).toHaveLength(Math.min(r, n));
        expect(new Set(ids(set)).size).toBe(set.length);
        expect(ids(replicaSet(unityOf([...ids(unity.servers)].reverse()), k, r))).toEqual(ids(set));
      }),
      { seed: 50, numRuns: 500 },
    );
  });

  it('moves at most one replica when a server joins, and none when a server outside the set leaves', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 1, max: 20 }), (k, n) => {
        const names = Array.from({ length: n }, (_, i) => `s${i}`);
        const before = ids(replicaSet(unityOf(names), k, 5));
        const after = ids(replicaSet(unityOf([...names, 'joiner']), k, 5));
        const moved = after.filter((id) => !before.includes(id));
        expect(moved.length).toBeLessThanOrEqual(1);
        if (moved.length === 1) expect(moved[0]).toBe('joiner');
        const outsider = names.find((id) => !before.includes(id));
        if (outsider !== undefined) {
          expect(ids(replicaSet(unityOf(names.filter((id) => id !== outsider)), k, 5))).toEqual(before);
        }
      }),
      { seed: 51, numRuns: 500 },
    );
  });

  it('spreads keys evenly: each of 10 servers holds about half of the keys at 5 replicas', () => {
    const unity = unityOf(Array.from({ length: 10 }, (_, i) => `s${i}`));
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      for (const s of replicaSet(unity, keyFromBigInt(BigInt(i) * 7919n), 5)) {
        counts.set(s.id, (counts.get(s.id) ?? 0) + 1);
      }
    }
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it('fills a short set with guests after all of the Unity’s own servers', () => {
    fc.assert(
      fc.property(key, (k) => {
        const set = ids(replicaSet(unityOf(['a', 'b'], ['g1', 'g2', 'g3', 'g4']), k, 5));
        expect(set).toHaveLength(5);
        expect(new Set(set.slice(0, 2))).toEqual(new Set(['a', 'b']));
        expect(set.slice(2).every((id) => id.startsWith('g'))).toBe(true);
        expect(set.slice(2)).toEqual(ids(rankServers(unityOf(['g1', 'g2', 'g3', 'g4']).servers, k)).slice(0, 3));
      }),
      { seed: 52, numRuns: 200 },
    );
    expect(ids(replicaSet(unityOf(['a', 'b', 'c', 'd', 'e', 'f'], ['g1']), keyFromBigInt(1n), 5))).not.toContain('g1');
  });

  it('finds the owning Unity of a key in a map', () => {
    const map = buildMap([0n, 1n << 255n], [6, 2]);
    const { unity, servers } = replicasOfKey(map, keyFromBigInt((1n << 255n) + 5n));
    expect(unity).toBe(1);
    expect(ids(servers).sort()).toEqual(['p1.0', 'p1.1']);
  });

  it('needs a majority to write and to read', () => {
    expect([1, 2, 3, 4, 5, 6].map(writeQuorum)).toEqual([1, 2, 2, 3, 3, 4]);
    expect(readQuorum(5)).toBe(3);
    expect(codeOf(() => writeQuorum(0), RingError)).toBe('BAD_MAP');
    expect(codeOf(() => replicaSet(unityOf(['a']), keyFromBigInt(0n), 0), RingError)).toBe('BAD_MAP');
    expect(codeOf(() => rankServers([], new Uint8Array(2)), RingError)).toBe('BAD_KEY');
  });
});
