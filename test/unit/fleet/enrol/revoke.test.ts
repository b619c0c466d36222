/**
 * Revocation: the store marks the device revoked before any broker drops it, every login backend is asked even
 * when one fails (REVOKE_INCOMPLETE names it), an unknown device is UNKNOWN_DEVICE, and the embedded broker's
 * backend disconnects the client.
 */
import { describe, expect, it } from 'vitest';
import { createRevoker, embeddedBrokerLogins, EnrolError, type LoginBackend } from '../../../../fleet/enrol/index.ts';
import { identity } from '../../../support/fleet-mqtt.ts';

const dev = identity('unit revoke').id;
const clock = { now: () => 7 };

describe('revoking a device', () => {
  it('revokes in the store first, then asks every backend, and reports the ones that failed', async () => {
    const calls: string[] = [];
    const store = { revoke: (id: string, at: number) => (calls.push(`store ${id === dev} ${at}`), true) };
    const ok = (name: string): LoginBackend => ({ name, revoke: () => void calls.push(name) });
    const failing: LoginBackend = { name: 'mosquitto', revoke: () => Promise.reject(new Error('down')) };
    await createRevoker({ store, logins: [ok('a'), ok('b')], clock }).revoke(dev);
    expect(calls).toEqual(['store true 7', 'a', 'b']);
    calls.length = 0;
    const error = await createRevoker({ store, logins: [failing, ok('c')], clock }).revoke(dev).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnrolError);
    expect(error).toMatchObject({ code: 'REVOKE_INCOMPLETE', message: expect.stringContaining('mosquitto') });
    expect(calls).toEqual(['store true 7', 'c']);
  });

  it('refuses an unknown device and reports a failing store, asking no backend', async () => {
    const asked: string[] = [];
    const backend: LoginBackend = { name: 'x', revoke: (id) => void asked.push(id) };
    await expect(createRevoker({ store: { revoke: () => false }, logins: [backend], clock }).revoke(dev)).rejects.toMatchObject({ code: 'UNKNOWN_DEVICE' });
    const broken = { revoke: () => Promise.reject(new Error('io')) };
    await expect(createRevoker({ store: broken, logins: [backend], clock }).revoke(dev)).rejects.toMatchObject({ code: 'STORE_FAILED' });
    expect(asked).toEqual([]);
  });

  it('drops the client from the embedded broker', async () => {
    const dropped: string[] = [];
    const backend = embeddedBrokerLogins({ disconnect: (id) => (dropped.push(id), false) });
    await backend.revoke(dev);
    expect(dropped).toEqual([dev]);
  });
});
