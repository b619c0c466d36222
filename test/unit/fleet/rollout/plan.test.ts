import { describe, expect, it } from 'vitest';
import { checkFleet, checkPlan, RolloutError, type RolloutPlan } from '../../../../fleet/rollout/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { plan, RELEASE } from './rig.ts';

describe('rollout plan checks', () => {
  it('accept a sensible plan', () => {
    expect(codeOf(() => checkPlan(plan()), RolloutError)).toBeUndefined();
  });

  it.each<[string, Partial<RolloutPlan> | Record<string, unknown>, RegExp]>([
    ['same releases', { previousRelease: RELEASE }, /plan\.previousRelease must differ/],
    ['no phases', { phases: [] }, /plan\.phases must list/],
    ['repeated names', { phases: [{ name: 'a' }, { name: 'a' }] }, /plan\.phases\[1\]\.name repeats/],
    ['group and percent', { phases: [{ name: 'a', group: 'g', percent: 5 }] }, /plan\.phases\[0\] names both/],
    ['percent 0', { phases: [{ name: 'a', percent: 0 }] }, /plan\.phases\[0\]\.percent must be in/],
    ['falling percents', { phases: [{ name: 'a', percent: 50 }, { name: 'b', percent: 10 }] }, /phases\[1\]\.percent is cumulative/],
    ['threshold 0', { successThreshold: 0 }, /plan\.successThreshold/],
    ['negative budget', { failureBudget: -1 }, /plan\.failureBudget/],
    ['zero concurrency', { concurrency: 0 }, /plan\.concurrency/],
    ['fractional rate', { ratePerMinute: 1.5 }, /plan\.ratePerMinute/],
    ['no timeout', { timeoutMs: Number.NaN }, /plan\.timeoutMs/],
  ])('refuse %s naming the field', (_, override, message) => {
    const check = () => checkPlan({ ...plan(), ...override } as RolloutPlan);
    expect(codeOf(check, RolloutError)).toBe('BAD_PLAN');
    expect(check).toThrow(message);
  });

  it('refuse a fleet with a repeated or malformed device', () => {
    const cases: [() => void, RegExp][] = [
      [() => checkFleet([{ id: 'a', groups: [] }, { id: 'a', groups: [] }]), /devices\[1\]\.id repeats/],
      [() => checkFleet([{ id: 'a', groups: [''] }]), /devices\[0\]\.groups/],
      [() => checkFleet([{ id: '', groups: [] }]), /devices\[0\]\.id/],
    ];
    for (const [check, message] of cases) {
      expect(codeOf(check, RolloutError)).toBe('BAD_INPUT');
      expect(check).toThrow(message);
    }
  });
});
