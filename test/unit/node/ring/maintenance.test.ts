import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyTransition,
  applyTransitions,
  borrow,
  planMaintenance,
  RingError,
  validateMap,
  type Liveness,
  type RingMap,
} from '../../../../node/ring/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { spacedMap } from '../../../support/ring-arbitraries.ts';

const small = { serverLimit: 8, minServers: 3, replicas: 3, heartbeatMs: 10_000, downAfterMs: 60_000 };
const ring = (sizes: number[]): RingMap => validateMap({ ...spacedMap(sizes), params: small });
const downSet = (...ids: string[]): Liveness => ({ isDown: (id) => ids.includes(id) });

describe('planMaintenance', () => {
  it('splits a Unity at the server limit', () => {
    const map = ring([8, 4, 4]);
    expect(planMaintenance(map)).toEqual([{ kind: 'split', unity: map.unities[0]!.id }]);
  });

  it('merges a Unity under minServers live servers with its smaller neighbour once due', () => {
    const map = ring([4, 4, 4, 5]);
    const liveness = downSet('p1.0', 'p1.1');
    expect(planMaintenance(map, liveness)).toEqual([{ kind: 'merge', unity: map.unities[1]!.id }]);
    // Not due yet: it borrows instead, up to the replica count of live holders.
    const plan = planMaintenance(map, liveness, { mergeDue: () => false });
    expect(plan).toEqual([{ kind: 'borrow', unity: map.unities[1]!.id, count: 1 }]);
    const next = applyTransitions(map, plan, liveness);
    expect(next.unities[1]!.guests.every((g) => !liveness.isDown(g.id))).toBe(true);
  });

  it('does not merge past the server limit; it borrows then', () => {
    const map = ring([7, 2, 7]);
    expect(planMaintenance(map)).toEqual([{ kind: 'borrow', unity: map.unities[1]!.id, count: 1 }]);
  });

  it('releases guests once the Unity has enough live servers, and replaces down guests', () => {
    const lent = borrow(ring([4, 2, 4]), 1, 1);
    const grown = validateMap({
      ...lent,
      unities: lent.unities.map((u, i) => (i === 1 ? { ...u, servers: [...u.servers, { id: 'new', addrs: [] }] } : u)),
    });
    expect(planMaintenance(grown)).toEqual([{ kind: 'release', unity: grown.unities[1]!.id }]);
    const full = borrow(ring([4, 1, 4]), 1, 2);
    const guests = full.unities[1]!.guests.map((g) => g.id);
    const plan = planMaintenance(full, downSet(guests[0]!), { mergeDue: () => false });
    expect(plan).toEqual([
      { kind: 'release', unity: full.unities[1]!.id, guests: [guests[0]] },
      { kind: 'borrow', unity: full.unities[1]!.id, count: 1 },
    ]);
    const next = applyTransitions(full, plan, downSet(guests[0]!));
    expect(next.unities[1]!.guests.map((g) => g.id)).not.toContain(guests[0]);
    expect(next.unities[1]!.guests.map((g) => g.id)).toContain(guests[1]);
    expect(next.unities[1]!.guests).toHaveLength(2);
  });

  it('plans nothing for a healthy ring, and applying nothing keeps the map', () => {
    const map = ring([4, 5, 6]);
    expect(planMaintenance(map)).toEqual([]);
    expect(applyTransitions(map, [])).toBe(map);
  });

  it('always plans transitions that apply, as one new epoch', () => {
    const cases = fc.record({
      sizes: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 8 }),
      down: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
      due: fc.boolean(),
    });
    fc.assert(
      fc.property(cases, ({ sizes, down, due }) => {
        const map = ring(sizes);
        const ids = map.unities.flatMap((u) => u.servers.map((s) => s.id));
        const liveness: Liveness = { isDown: (id) => down[ids.indexOf(id) % 64] === true };
        const plan = planMaintenance(map, liveness, { mergeDue: () => due });
        const next = applyTransitions(map, plan, liveness);
        if (plan.length > 0) expect(next.epoch).toBe(map.epoch + 1n);
        expect(validateMap(next)).toBe(next);
        for (const unity of next.unities) expect(unity.servers.length).toBeLessThanOrEqual(small.serverLimit);
        for (const unity of next.unities) for (const g of unity.guests) expect(liveness.isDown(g.id)).toBe(false);
      }),
      { seed: 70, numRuns: 500 },
    );
  });

  it('applies join and leave transitions by id and refuses unknown Unities', () => {
    const map = ring([3, 3]);
    const joined = applyTransition(map, { kind: 'join', server: { id: 'n', addrs: [] }, unity: map.unities[1]!.id });
    expect(joined.unities[1]!.servers.map((s) => s.id)).toContain('n');
    expect(applyTransition(joined, { kind: 'leave', server: 'n' }).unities[1]!.servers).toHaveLength(3);
    expect(codeOf(() => applyTransition(map, { kind: 'split', unity: 'u-none' }), RingError)).toBe('UNKNOWN_UNITY');
  });
});
