import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  borrow,
  borrowCandidates,
  join,
  KEY_SPACE,
  keyFromBigInt,
  keyToBigInt,
  leave,
  merge,
  mergePartner,
  rangeSize,
  release,
  RingError,
  split,
  unityOfKey,
  validateMap,
  type Key,
  type RingMap,
} from '../../../../node/ring/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { buildMap } from '../../../support/ring-arbitraries.ts';

const small = { serverLimit: 8, minServers: 3, replicas: 3, heartbeatMs: 10_000, downAfterMs: 60_000 };
const withParams = (map: RingMap, params = small): RingMap => validateMap({ ...map, params });
const server = (id: string) => ({ id, addrs: [`/dns/${id}/tcp/1`] });
const serverIds = (map: RingMap) => map.unities.flatMap((u) => u.servers.map((s) => s.id)).sort();
const ownerId = (map: RingMap, key: Key) => map.unities[unityOfKey(map, key)]!.id;

describe('join and leave', () => {
  const map = withParams(buildMap([0n, 100n, 200n], [3, 1, 2]));

  it('adds a server to the Unity with the fewest servers, or the one named', () => {
    const next = join(map, server('new'));
    expect(next.epoch).toBe(map.epoch + 1n);
    expect(next.unities[1]!.servers.map((s) => s.id)).toEqual(['p1.0', 'new']);
    expect(join(map, server('new'), 2).unities[2]!.servers.map((s) => s.id)).toContain('new');
    expect(map.unities[1]!.servers).toHaveLength(1); // the input is untouched
  });

  it('promotes a temporary worker: it leaves the worker list as it joins', () => {
    const withWorker = validateMap({
      ...map,
      unities: map.unities.map((u, i) => (i === 2 ? { ...u, workers: ['dev', 'other'] } : u)),
    });
    const next = join(withWorker, server('dev'), 2);
    expect(next.unities[2]!.workers).toEqual(['other']);
  });

  it('refuses a server already in the map and a full Unity', () => {
    expect(codeOf(() => join(map, server('p0.0')), RingError)).toBe('DUPLICATE_SERVER');
    let full = map;
    for (let i = 0; i < 5; i++) full = join(full, server(`f${i}`), 0);
    expect(codeOf(() => join(full, server('one-more'), 0), RingError)).toBe('UNITY_FULL');
    expect(codeOf(() => join(map, server('x'), 3), RingError)).toBe('UNKNOWN_UNITY');
  });

  it('removes a server from its Unity and from every guest list', () => {
    const lent = borrow(map, 1, 2);
    const guest = lent.unities[1]!.guests[0]!.id;
    const next = leave(lent, guest);
    expect(serverIds(next)).not.toContain(guest);
    expect(next.unities[1]!.guests.map((g) => g.id)).not.toContain(guest);
    expect(codeOf(() => leave(map, 'p1.0'), RingError)).toBe('LAST_SERVER');
    expect(codeOf(() => leave(map, 'ghost'), RingError)).toBe('UNKNOWN_SERVER');
  });
});

describe('split', () => {
  const full = Array.from({ length: 8 }, (_, i) => `z${7 - i}`);

  it('halves the range and the servers (sorted by id) of a Unity at the limit', () => {
    const base = withParams(buildMap([0n, 1000n], [1, 1]));
    const unities = base.unities.map((u, i) =>
      i === 1 ? { ...u, servers: full.map(server), workers: ['w3', 'w1', 'w2'] } : u,
    );
    const map = validateMap({ ...base, unities });
    const next = split(map, 1);
    expect(next.unities).toHaveLength(3);
    const [lower, upper] = [next.unities[1]!, next.unities[2]!];
    expect(lower.id).toBe(map.unities[1]!.id);
    expect(lower.servers.map((s) => s.id)).toEqual(['z0', 'z1', 'z2', 'z3']);
    expect(upper.servers.map((s) => s.id)).toEqual(['z4', 'z5', 'z6', 'z7']);
    expect(lower.workers).toEqual(['w1', 'w2']);
    expect(upper.workers).toEqual(['w3']);
    // The last Unity's range wraps to 2^256: [1000, 2^256) halves at 1000 + (2^256 − 1000)/2.
    expect(keyToBigInt(upper.start)).toBe(1000n + (KEY_SPACE - 1000n) / 2n);
    expect(rangeSize(lower.start, upper.start) + rangeSize(upper.start, next.unities[0]!.start)).toBe(
      KEY_SPACE - 1000n,
    );
  });

  it('refuses a Unity below the limit and a range of one key', () => {
    const map = withParams(buildMap([0n, 1n], [8, 1]));
    expect(codeOf(() => split(map, 1), RingError)).toBe('CANNOT_SPLIT');
    expect(codeOf(() => split(map, 0), RingError)).toBe('CANNOT_SPLIT');
  });
});

describe('merge, borrow and release', () => {
  const map = withParams(buildMap([0n, 100n, 200n, 300n], [4, 1, 2, 5]));

  it('merges with the adjacent Unity that has fewer servers, never across the wrap', () => {
    expect(mergePartner(map, 1)).toBe(2);
    expect(mergePartner(map, 2)).toBe(1);
    expect(mergePartner(map, 0)).toBe(1);
    expect(mergePartner(map, 3)).toBe(2);
    const next = merge(map, 1);
    expect(next.unities).toHaveLength(3);
    expect(next.unities[1]!.id).toBe(map.unities[1]!.id);
    expect(next.unities[1]!.servers.map((s) => s.id)).toEqual(['p1.0', 'p2.0', 'p2.1']);
    expect(next.unities[2]!.start).toEqual(map.unities[3]!.start);
  });

  it('refuses to merge a lone Unity or past the server limit', () => {
    expect(codeOf(() => merge(withParams(buildMap([0n], [2])), 0), RingError)).toBe('CANNOT_MERGE');
    expect(codeOf(() => merge(withParams(buildMap([0n, 9n], [5, 4])), 0), RingError)).toBe('CANNOT_MERGE');
  });

  it('borrows from the nearest neighbours in turn, skipping down servers, and releases them', () => {
    expect(borrowCandidates(map, 1).map((s) => s.id)).toEqual(['p2.0', 'p0.0', 'p2.1', 'p0.1', 'p0.2', 'p0.3']
      .concat(['p3.0', 'p3.1', 'p3.2', 'p3.3', 'p3.4']));
    const down = { isDown: (id: string) => id === 'p2.0' };
    const lent = borrow(map, 1, 2, down);
    expect(lent.unities[1]!.guests.map((g) => g.id)).toEqual(['p2.1', 'p0.0']);
    expect(borrow(lent, 1, 1).unities[1]!.guests.map((g) => g.id)).toEqual(['p2.1', 'p0.0', 'p2.0']);
    expect(codeOf(() => borrow(lent, 1, 2), RingError)).toBe('CANNOT_BORROW'); // past the replica count
    expect(codeOf(() => borrow(map, 1, 0), RingError)).toBe('CANNOT_BORROW');
    expect(codeOf(() => borrow(withParams(buildMap([0n], [1])), 0, 1), RingError)).toBe('CANNOT_BORROW');
    expect(release(lent, 1).unities[1]!.guests).toEqual([]);
    expect(release(lent, 1, ['p2.1']).unities[1]!.guests.map((g) => g.id)).toEqual(['p0.0']);
  });

  it('keeps guests of a merged Unity only while its pool is below the replica count', () => {
    const lent = borrow(map, 1, 2);
    expect(merge(lent, 1).unities[1]!.guests).toEqual([]);
    const tiny = withParams(buildMap([0n, 100n, 200n], [1, 1, 4]), { ...small, replicas: 5 });
    const merged = merge(borrow(tiny, 0, 3), 0);
    expect(merged.unities[0]!.servers).toHaveLength(2);
    // p1.0 was a guest of Unity 0 and is now its own server; the other two guests stay.
    expect(merged.unities[0]!.guests.map((g) => g.id)).toEqual(['p2.0', 'p2.1']);
  });
});

type Op =
  | { kind: 'join'; at: number | undefined }
  | { kind: 'leave' | 'split' | 'merge' | 'release'; at: number }
  | { kind: 'borrow'; at: number; count: number };

// Splits only succeed at the server limit and merges only under it, so they are drawn more often.
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('join' as const), at: fc.option(fc.nat(), { nil: undefined }) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('split' as const, 'merge' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('leave' as const, 'release' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('borrow' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 3 }) }),
  },
);

describe('transition invariants', () => {
  it('cover the key space, move keys only in split or merged ranges, and lose no server', () => {
    const start = fc
      .tuple(
        fc.integer({ min: 1, max: 6 }),
        // Half the Unities start at the server limit, so splits happen.
        fc.array(fc.oneof(fc.constant(8), fc.integer({ min: 1, max: 7 })), { minLength: 6, maxLength: 6 }),
      )
      .map(([n, sizes]) => withParams(buildMap(Array.from({ length: n }, (_, i) => BigInt(i) << 250n), sizes)));
    const probes = fc.array(fc.bigInt({ min: 0n, max: KEY_SPACE - 1n }), { minLength: 20, maxLength: 20 });
    const applied = new Map<string, number>();
    fc.assert(
      fc.property(start, fc.array(op, { maxLength: 40 }), probes, (initial, ops, points) => {
        let map = initial;
        let joined = 0;
        for (const o of ops) {
          const n = map.unities.length;
          const u = o.kind === 'join' ? o.at : o.at % n;
          const allServers = serverIds(map);
          let next: RingMap;
          let newId = '';
          try {
            if (o.kind === 'join') {
              newId = `j${joined}`;
              next = join(map, server(newId), u === undefined ? undefined : u % n);
              joined += 1;
            } else if (o.kind === 'leave') next = leave(map, allServers[o.at % allServers.length]!);
            else if (o.kind === 'split') next = split(map, u!);
            else if (o.kind === 'merge') next = merge(map, u!);
            else if (o.kind === 'borrow') next = borrow(map, u!, o.count);
            else next = release(map, u!);
          } catch (error) {
            expect(error).toBeInstanceOf(RingError);
            continue;
          }
          expect(validateMap(next)).toBe(next);
          expect(next.epoch).toBe(map.epoch + 1n);
          // Servers: the same set, plus the joiner, minus the leaver.
          const expected =
            o.kind === 'join'
              ? [...allServers, newId].sort()
              : o.kind === 'leave'
                ? allServers.filter((id) => id !== allServers[o.at % allServers.length])
                : allServers;
          expect(serverIds(next)).toEqual(expected);
          // Keys: an owner changes only inside the split Unity's or the merged pair's range.
          const keys = [...points, ...map.unities.map((x) => keyToBigInt(x.start))].map(keyFromBigInt);
          const partner = o.kind === 'merge' ? mergePartner(map, u!) : -1;
          for (const key of keys) {
            const before = unityOfKey(map, key);
            const after = ownerId(next, key);
            if (o.kind === 'split' && before === u) {
              expect([map.unities[u]!.id, next.unities[u + 1]!.id]).toContain(after);
            } else if (o.kind === 'merge' && (before === u || before === partner)) {
              expect(after).toBe(map.unities[Math.min(u!, partner)]!.id);
            } else {
              expect(after).toBe(map.unities[before]!.id);
            }
          }
          applied.set(o.kind, (applied.get(o.kind) ?? 0) + 1);
          map = next;
        }
      }),
      { seed: 60, numRuns: 300 },
    );
    // Every kind of transition really ran, many times, so the checks above were exercised.
    for (const kind of ['join', 'leave', 'split', 'merge', 'borrow', 'release']) {
      expect(applied.get(kind) ?? 0).toBeGreaterThan(50);
    }
  });
});
