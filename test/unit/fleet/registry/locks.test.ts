import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryError, type Registry } from '../../../../fleet/registry/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { device, tempRegistry, type TempRegistry } from './temp.ts';

let t: TempRegistry;
let r: Registry;
const a = device('lock a');
beforeEach(() => {
  t = tempRegistry();
  r = t.registry;
  r.enrol(a, 0);
});
afterEach(() => t.cleanup());

describe('registry update locks', () => {
  it('count until they expire, saying who holds them and why', () => {
    r.locks.lock(a.id, 'app:recorder', 'recording until 18:00', 5_000, 1_000);
    expect(r.locks.activeLock(a.id, 4_999)).toEqual({ device: a.id, holder: 'app:recorder', reason: 'recording until 18:00', takenAt: 1_000, expiresAt: 5_000 });
    expect(r.locks.isLocked(a.id, 4_999)).toBe(true);
    expect(r.locks.activeLock(a.id, 5_000)).toBeUndefined();
    expect(r.locks.isLocked(a.id, 5_000)).toBe(false);
    expect(r.locks.active(4_000).map((l) => l.device)).toEqual([a.id]);
    expect(r.locks.active(6_000)).toEqual([]);
  });

  it('keep another holder out while active, not after expiry; let the holder renew and release', () => {
    r.locks.lock(a.id, 'alice', 'maintenance', 5_000, 1_000);
    expect(codeOf(() => r.locks.lock(a.id, 'bob', 'other', 9_000, 2_000), RegistryError)).toBe('CONFLICT');
    expect(codeOf(() => r.locks.unlock(a.id, 'bob', 2_000), RegistryError)).toBe('CONFLICT');
    r.locks.lock(a.id, 'alice', 'longer maintenance', 8_000, 2_000);
    expect(r.locks.activeLock(a.id, 7_000)?.reason).toBe('longer maintenance');
    expect(r.locks.unlock(a.id, 'alice', 3_000)).toBe(true);
    expect(r.locks.unlock(a.id, 'alice', 3_000)).toBe(false);
    r.locks.lock(a.id, 'alice', 'again', 4_000, 3_000);
    expect(r.locks.lock(a.id, 'bob', 'took over an expired lock', 9_000, 4_000).holder).toBe('bob');
  });

  it('refuse a lock on an unknown device or already expired', () => {
    expect(codeOf(() => r.locks.lock(device('nobody').id, 'x', 'y', 10, 1), RegistryError)).toBe('NOT_FOUND');
    expect(codeOf(() => r.locks.lock(a.id, 'x', 'y', 1, 1), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => r.locks.lock(a.id, '', 'y', 10, 1), RegistryError)).toBe('BAD_INPUT');
  });
});
