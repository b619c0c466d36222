import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSnapshot, Rollout, RolloutError } from '../../../../fleet/rollout/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { fleet, plan } from './rig.ts';

function runningSnapshot(): Record<string, unknown> {
  const engine = Rollout.start({ id: 'r-snap', plan: plan(), devices: fleet(20, 3), locked: () => false, now: 5 });
  engine.tick(10);
  return JSON.parse(JSON.stringify(engine.snapshot())) as Record<string, unknown>;
}

describe('rollout snapshots', () => {
  it('round-trip through JSON', () => {
    const snap = runningSnapshot();
    expect(parseSnapshot(snap)).toEqual(snap);
  });

  it.each<[string, (s: Record<string, unknown>) => void]>([
    ['another format', (s) => (s.format = 2)],
    ['a bad plan', (s) => ((s.plan as Record<string, unknown>).concurrency = 0)],
    ['an unknown state', (s) => (s.state = 'exploded')],
    ['a phase out of range', (s) => (s.phase = 9)],
    ['a device without assignment time', (s) => ((s.devices as Record<string, unknown>[]).find((d) => d.status === 'in-flight')!.assignedAt = null)],
    ['a repeated device', (s) => (s.devices as unknown[]).push((s.devices as unknown[])[0])],
    ['an abort while running', (s) => (s.abort = { code: 'manual', phase: 'canary', reason: 'x', at: 1 })],
  ])('refuse %s with BAD_SNAPSHOT', (_, tamper) => {
    const snap = runningSnapshot();
    tamper(snap);
    expect(codeOf(() => parseSnapshot(snap), RolloutError)).toBe('BAD_SNAPSHOT');
  });

  it('refuse anything else with BAD_SNAPSHOT, never another error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(codeOf(() => Rollout.restore(value, () => false), RolloutError)).toBe('BAD_SNAPSHOT');
      }),
    );
  });
});
