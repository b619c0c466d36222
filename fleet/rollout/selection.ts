/**
 * Which phase takes which device. The order is fixed by the rollout id, not by the order the controller happens to
 * list devices in, so a restarted controller (or an auditor) picks exactly the same devices, and two rollouts do not
 * always start on the same unlucky boxes.
 */
import { sha256, toHex, utf8 } from '../../node/crypto/index.ts';
import type { FleetDevice, Phase } from './plan.ts';

/** Not part of any phase: a plan whose last phase is a percentage leaves the rest of the fleet alone. */
export const OUTSIDE = -1;

/** The devices in the rollout's order: ascending sha256(rolloutId, NUL, deviceId). */
export function rolloutOrder(rolloutId: string, devices: readonly FleetDevice[]): FleetDevice[] {
  const keyed = devices.map((d) => ({ d, key: toHex(sha256(utf8(`${rolloutId}\u0000${d.id}`))) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.d);
}

/**
 * The phase index of each device of `ordered` (OUTSIDE for none). Earlier phases claim first and a device is never
 * picked twice; percentages are cumulative over the whole fleet (10 then 50 means half the fleet in total, canary
 * included), rounded up, taken in rollout order.
 */
export function assignPhases(phases: readonly Phase[], ordered: readonly FleetDevice[]): number[] {
  const phaseOf = ordered.map(() => OUTSIDE);
  let picked = 0;
  phases.forEach((phase, k) => {
    const take = (i: number) => {
      phaseOf[i] = k;
      picked++;
    };
    if ('group' in phase) {
      ordered.forEach((d, i) => {
        if (phaseOf[i] === OUTSIDE && d.groups.includes(phase.group)) take(i);
      });
      return;
    }
    const target = 'percent' in phase ? Math.ceil((phase.percent * ordered.length) / 100) : ordered.length;
    for (let i = 0; i < ordered.length && picked < target; i++) {
      if (phaseOf[i] === OUTSIDE) take(i);
    }
  });
  return phaseOf;
}
