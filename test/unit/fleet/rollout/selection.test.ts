import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignPhases, OUTSIDE, rolloutOrder } from '../../../../fleet/rollout/index.ts';
import { fleet, plan } from './rig.ts';

const phasesOf = (id: string, devices: ReturnType<typeof fleet>, phases = plan().phases) => {
  const ordered = rolloutOrder(id, devices);
  const k = assignPhases(phases, ordered);
  return new Map(ordered.map((d, i) => [d.id, k[i]!]));
};

describe('rollout device selection', () => {
  it('takes the canary group first, then cumulative percentages, then the rest', () => {
    const devices = fleet(200, 7);
    const phases = [{ name: 'canary', group: 'canary' }, { name: 'ten', percent: 10 }, { name: 'half', percent: 50 }, { name: 'all' }];
    const byPhase = [0, 0, 0, 0];
    for (const [id, k] of phasesOf('r1', devices, phases)) {
      byPhase[k]!++;
      if (k === 0) expect(Number(id.slice(4))).toBeLessThan(7);
    }
    expect(byPhase).toEqual([7, 20 - 7, 100 - 20, 100]);
  });

  it('leaves devices outside when the last phase is a percentage', () => {
    const k = [...phasesOf('r1', fleet(10, 0), [{ name: 'third', percent: 33 }]).values()];
    expect(k.filter((x) => x === 0)).toHaveLength(4);
    expect(k.filter((x) => x === OUTSIDE)).toHaveLength(6);
  });

  it('depends on the rollout id and the devices, never on the order they are listed in', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.string({ minLength: 1 }), fc.nat(), (n, id, seed) => {
        const devices = fleet(n, n >> 2);
        const shuffled = [...devices].sort((a, b) => ((a.id.length * 31 + seed) % 7) - ((b.id.length * 17 + seed) % 5));
        expect(phasesOf(id, shuffled)).toEqual(phasesOf(id, devices));
      }),
    );
    const tenOf = (id: string) => [...phasesOf(id, fleet(200, 0))].filter(([, k]) => k === 1).map(([d]) => d);
    expect(tenOf('r1')).not.toEqual(tenOf('r2'));
  });
});
