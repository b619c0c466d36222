/** The registry as fleet/enrol's store: tokens and enrolments on the registry's SQLite file, through a reopen. */
import { describe, expect, it } from 'vitest';
import { createEnrolment, type EnrolError } from '../../../../fleet/enrol/index.ts';
import { RegistryEnrolmentStore } from '../../../../fleet/registry/enrolment-store.ts';
import { sha256, utf8 } from '../../../../node/crypto/index.ts';
import { identity } from '../../../support/fleet-mqtt.ts';
import { registryPerTest } from './temp.ts';

const ctx = registryPerTest();
const T0 = 1_800_000_000_000;

function rig() {
  const store = RegistryEnrolmentStore.open(ctx.t.path);
  let n = 0;
  const enrolment = createEnrolment({ store, clock: { now: () => T0 }, random: (length) => sha256(utf8(`enrol store ${n++}`)).slice(0, length) });
  return { store, enrolment };
}

const request = (who: ReturnType<typeof identity>, provisioningToken: string) => ({ deviceId: who.id, publicKey: who.key.publicKey.bytes, provisioningToken });

describe('registry enrolment store', () => {
  it('enrols a device with a token into the registry, with the token’s groups and tags, counting the use', async () => {
    const { store, enrolment } = rig();
    const token = await enrolment.issueToken({ lifetimeMs: 60_000, maxUses: 2, groups: ['canary'], tags: ['pi5'] });
    const dev = identity('enrol store a');
    await enrolment.enrol(request(dev, token.text));
    expect(ctx.r.publicKey(dev.id)).toEqual(dev.key.publicKey.bytes);
    expect(ctx.r.devices.get(dev.id)).toMatchObject({ groups: ['canary'], tags: ['pi5'], enrolledAt: T0 });
    expect(store.device(dev.id)).toMatchObject({ tokenId: token.id, groups: ['canary'] });
    expect(store.token(token.id)?.uses).toBe(1);
    expect(store.token(token.id)?.secretHash).toHaveLength(32);
    store.close();
  });

  it('keeps tokens and uses across a reopen: a used-up token stays used up', async () => {
    const first = rig();
    const token = await first.enrolment.issueToken({ lifetimeMs: 60_000 });
    await first.enrolment.enrol(request(identity('enrol store b'), token.text));
    first.store.close();
    const again = rig();
    let code: string | undefined;
    try {
      await again.enrolment.enrol(request(identity('enrol store c'), token.text));
    } catch (error) {
      code = (error as EnrolError).code;
    }
    expect(code).toBe('TOKEN_USED_UP');
    expect(ctx.r.publicKey(identity('enrol store c').id)).toBeUndefined();
    again.store.close();
  });

  it('lists tokens oldest first and ends a token in the file: a revocation survives a reopen', async () => {
    const first = rig();
    const a = await first.enrolment.issueToken({ lifetimeMs: 60_000 });
    const b = await first.enrolment.issueToken({ lifetimeMs: 60_000, maxUses: 3, tags: ['pi5'] });
    expect(first.store.tokens().map((t) => t.id)).toEqual([a.id, b.id].sort());
    expect(first.store.endToken(b.id, T0 - 5)).toBe(true);
    expect(first.store.endToken('nobody', T0)).toBe(false);
    first.store.close();
    const again = rig();
    expect(again.store.token(b.id)).toMatchObject({ expiresAt: T0 - 5, maxUses: 3, tags: ['pi5'] });
    expect((await again.enrolment.tokens()).find((t) => t.id === b.id)?.state).toBe('expired');
    again.store.close();
  });

  it('revokes through the registry: the key stops logging in, an unknown id is false', async () => {
    const { store, enrolment } = rig();
    const token = await enrolment.issueToken({ lifetimeMs: 60_000 });
    const dev = identity('enrol store d');
    await enrolment.enrol(request(dev, token.text));
    expect(store.revoke(dev.id, T0 + 1)).toBe(true);
    expect(store.revoke(identity('enrol store nobody').id, T0 + 1)).toBe(false);
    expect(ctx.r.publicKey(dev.id)).toBeUndefined();
    expect(store.device(dev.id)?.revokedAt).toBe(T0 + 1);
    store.close();
  });
});
