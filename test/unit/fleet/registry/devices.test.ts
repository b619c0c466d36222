import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../../../fleet/registry/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { device, registryPerTest } from './temp.ts';

const s = registryPerTest();

describe('registry devices', () => {
  it('give the broker the enrolled key until the device is revoked, for good', () => {
    const a = device('a', ['canary']);
    expect(s.r.publicKey(a.id)).toBeUndefined();
    s.r.enrol(a, 1_000);
    expect(s.r.publicKey(a.id)).toEqual(a.publicKey);
    expect(s.r.isRevoked(a.id)).toBe(false);
    s.r.revoke(a.id, 2_000);
    expect(s.r.publicKey(a.id)).toBeUndefined();
    expect(s.r.isRevoked(a.id)).toBe(true);
    s.r.revoke(a.id, 3_000);
    expect(s.r.devices.get(a.id)?.revokedAt).toBe(2_000);
    expect(codeOf(() => s.r.enrol(a, 4_000), RegistryError)).toBe('CONFLICT');
    expect(s.r.publicKey(a.id)).toBeUndefined();
    expect(s.r.devices.get(a.id)).toMatchObject({ enrolledAt: 1_000, revokedAt: 2_000, online: false, groups: ['canary'] });
  });

  it('refuse a key that is not the one the id names, a malformed id and a second enrolment', () => {
    const a = device('a');
    const b = device('b');
    expect(codeOf(() => s.r.enrol({ ...a, publicKey: b.publicKey }, 1), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => s.r.enrol({ ...a, id: 'not-a-peer-id' }, 1), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => s.r.enrol({ ...a, groups: ['bad\nname'] }, 1), RegistryError)).toBe('BAD_INPUT');
    expect(s.r.publicKey(a.id)).toBeUndefined();
    s.r.enrol(a, 1);
    expect(codeOf(() => s.r.enrol(a, 2), RegistryError)).toBe('CONFLICT');
    expect(codeOf(() => s.r.revoke(b.id, 2), RegistryError)).toBe('NOT_FOUND');
    expect(s.r.isRevoked(b.id)).toBe(false);
  });

  it('keep what a device reports, leaving absent fields alone', () => {
    const a = device('a');
    s.r.enrol(a, 1);
    s.r.devices.report(a.id, { online: true, version: '1.2.0', role: 'temporary', earnings: { abc: '12.5' }, health: { ok: true } }, 50);
    s.r.devices.report(a.id, { health: { ok: false, why: 'disk' } }, 60);
    expect(s.r.devices.get(a.id)).toMatchObject({
      online: true,
      lastSeen: 60,
      version: '1.2.0',
      role: 'temporary',
      earnings: { abc: '12.5' },
      health: { ok: false, why: 'disk' },
    });
    expect(codeOf(() => s.r.devices.report(a.id, { health: 'x'.repeat(20_000) }, 70), RegistryError)).toBe('BAD_INPUT');
    expect(codeOf(() => s.r.devices.report(device('nobody').id, { online: true }, 70), RegistryError)).toBe('NOT_FOUND');
    expect(s.r.devices.get(a.id)?.lastSeen).toBe(60);
  });

  it('replace groups and tags, and count active devices per group', () => {
    const a = device('a', ['canary', 'east']);
    const b = device('b', ['east'], ['pi4']);
    s.r.enrol(a, 1);
    s.r.enrol(b, 1);
    s.r.devices.setTags(a.id, ['pi5', 'lab', 'pi5']);
    s.r.devices.setGroups(b.id, ['west']);
    expect(s.r.devices.get(a.id)).toMatchObject({ groups: ['canary', 'east'], tags: ['lab', 'pi5'] });
    expect(s.r.devices.groups()).toEqual([
      { name: 'canary', devices: 1 },
      { name: 'east', devices: 1 },
      { name: 'west', devices: 1 },
    ]);
    s.r.revoke(a.id, 2);
    expect(s.r.devices.groups()).toEqual([{ name: 'west', devices: 1 }]);
    expect(codeOf(() => s.r.devices.setGroups(device('c').id, ['x']), RegistryError)).toBe('NOT_FOUND');
  });
});
