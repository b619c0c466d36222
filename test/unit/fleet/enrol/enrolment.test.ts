/**
 * Enrolment with provisioning tokens, on a memory store and an injected clock and randomness: tokens are issued
 * with checked options and stored hashed; a device enrols once per use of a token, with the token's groups and
 * tags; every refusal has its code; enrolments racing for the last use of a token get it once; a failing store is
 * STORE_FAILED; no log line holds a token's text or secret.
 */
import { describe, expect, it } from 'vitest';
import {
  createEnrolment,
  EnrolError,
  formatProvisioningToken,
  MemoryEnrolmentStore,
  type EnrolmentStore,
} from '../../../../fleet/enrol/index.ts';
import { sha256, utf8 } from '../../../../node/crypto/index.ts';
import { CapturedLog } from '../../../support/fleet-devices.ts';
import { identity } from '../../../support/fleet-mqtt.ts';

const T0 = 1_800_000_000_000;

/** Deterministic bytes: a counter hashed, so every token differs and every run is the same. */
function seeded() {
  let n = 0;
  return (length: number) => sha256(utf8(`random ${n++}`)).slice(0, length);
}

function rig(store: EnrolmentStore = new MemoryEnrolmentStore()) {
  const clock = { t: T0, now: () => clock.t };
  const log = new CapturedLog();
  const enrolment = createEnrolment({ store, clock, random: seeded(), logger: log });
  return { store, clock, log, enrolment };
}

const request = (who: ReturnType<typeof identity>, provisioningToken: string) => ({
  deviceId: who.id,
  publicKey: who.key.publicKey.bytes,
  provisioningToken,
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EnrolError) return error.code;
    throw error;
  }
  return undefined;
}

describe('issuing provisioning tokens', () => {
  it('stores only the hash of the secret, with expiry, uses, groups and tags', async () => {
    const { store, enrolment } = rig();
    const token = await enrolment.issueToken({ lifetimeMs: 3_600_000, maxUses: 5, groups: ['lab', 'lab'], tags: ['pi4'] });
    const stored = (store as MemoryEnrolmentStore).token(token.id)!;
    const secret = Buffer.from(token.text.split('.')[2]!, 'base64url');
    expect(stored).toMatchObject({ expiresAt: T0 + 3_600_000, maxUses: 5, uses: 0, groups: ['lab'], tags: ['pi4'] });
    expect(stored.secretHash).toEqual(sha256(secret));
    expect(JSON.stringify(stored)).not.toContain(token.text.split('.')[2]!);
    const other = await enrolment.issueToken({ lifetimeMs: 1 });
    expect(other.id).not.toBe(token.id);
    expect(other.maxUses).toBe(1);
  });

  it('refuses lifetimes, use counts and labels it cannot honour', async () => {
    const { enrolment } = rig();
    for (const options of [
      { lifetimeMs: 0 },
      { lifetimeMs: 1.5 },
      { lifetimeMs: 400 * 24 * 3_600_000 },
      { lifetimeMs: 1, maxUses: 0 },
      { lifetimeMs: 1, maxUses: 2_000_000 },
      { lifetimeMs: 1, groups: ['has space'] },
      { lifetimeMs: 1, tags: ['x'.repeat(65)] },
      { lifetimeMs: 1, tags: Array.from({ length: 33 }, (_, i) => `t${i}`) },
    ]) {
      expect(await codeOf(enrolment.issueToken(options)), JSON.stringify(options).slice(0, 80)).toBe('BAD_OPTIONS');
    }
  });
});

describe('listing and revoking provisioning tokens', () => {
  it('lists tokens with their state and no secret; a revoked token enrols nobody, the devices it enrolled stay', async () => {
    const { clock, enrolment } = rig();
    const one = await enrolment.issueToken({ lifetimeMs: 60_000, maxUses: 1 });
    const two = await enrolment.issueToken({ lifetimeMs: 60_000, maxUses: 5, groups: ['canary'] });
    const short = await enrolment.issueToken({ lifetimeMs: 10 });
    await enrolment.enrol(request(identity('unit list a'), one.text));
    const early = identity('unit list b');
    await enrolment.enrol(request(early, two.text));
    clock.t += 10;
    const listed = await enrolment.tokens();
    expect(listed.map((t) => [t.id, t.state, t.uses])).toEqual([[one.id, 'used-up', 1], [two.id, 'active', 1], [short.id, 'expired', 0]]);
    expect(JSON.stringify(listed)).not.toContain(two.text.split('.')[2]);
    expect(listed[1]!.groups).toEqual(['canary']);

    const revoked = await enrolment.revokeToken(two.id);
    expect(revoked).toMatchObject({ id: two.id, state: 'expired', expiresAt: clock.t });
    expect(await codeOf(enrolment.enrol(request(identity('unit list c'), two.text)))).toBe('TOKEN_EXPIRED');
    expect((await enrolment.enrol(request(early, two.text))).id).toBe(early.id);
    clock.t += 1_000;
    expect((await enrolment.revokeToken(two.id)).expiresAt).toBe(revoked.expiresAt);
    expect(await codeOf(enrolment.revokeToken('AAAAAAAAAAAAAAAAAAAAAA'))).toBe('UNKNOWN_TOKEN');
  });
});

describe('enrolling a device', () => {
  it('records the key with the token’s groups and tags, once per use; an enrolled device uses nothing more', async () => {
    const { store, enrolment } = rig();
    const token = await enrolment.issueToken({ lifetimeMs: 60_000, maxUses: 2, groups: ['lab'], tags: ['pi4'] });
    const dev = identity('unit enrol a');
    const record = await enrolment.enrol(request(dev, token.text));
    expect(record).toMatchObject({ id: dev.id, enrolledAt: T0, tokenId: token.id, groups: ['lab'], tags: ['pi4'] });
    expect(await enrolment.publicKey(dev.id)).toEqual(dev.key.publicKey.bytes);
    expect(await enrolment.enrol(request(dev, token.text))).toEqual(record);
    expect((store as MemoryEnrolmentStore).token(token.id)?.uses).toBe(1);
    expect(await enrolment.publicKey(identity('unit never').id)).toBeUndefined();
  });

  it('refuses each kind of bad request with its code and records nothing', async () => {
    const { store, clock, enrolment } = rig();
    const token = await enrolment.issueToken({ lifetimeMs: 60_000, maxUses: 1 });
    const dev = identity('unit refused');
    const other = identity('unit refused other');
    const idBytes = Buffer.from(token.id, 'base64url');
    expect(await codeOf(enrolment.enrol(request(dev, 'garbage')))).toBe('BAD_TOKEN');
    expect(await codeOf(enrolment.enrol(request(dev, formatProvisioningToken(idBytes, new Uint8Array(32)))))).toBe('UNKNOWN_TOKEN');
    expect(await codeOf(enrolment.enrol(request(dev, formatProvisioningToken(new Uint8Array(16), new Uint8Array(32)))))).toBe('UNKNOWN_TOKEN');
    expect(await codeOf(enrolment.enrol({ ...request(dev, token.text), publicKey: other.key.publicKey.bytes }))).toBe('BAD_KEY');
    expect(await codeOf(enrolment.enrol({ ...request(dev, token.text), publicKey: new Uint8Array(5) }))).toBe('BAD_KEY');
    clock.t = T0 + 60_000;
    expect(await codeOf(enrolment.enrol(request(dev, token.text)))).toBe('TOKEN_EXPIRED');
    clock.t = T0;
    expect((store as MemoryEnrolmentStore).devices()).toEqual([]);
    await enrolment.enrol(request(dev, token.text));
    expect(await codeOf(enrolment.enrol(request(other, token.text)))).toBe('TOKEN_USED_UP');
    await store.revoke(dev.id, T0);
    expect(await codeOf(enrolment.enrol(request(dev, token.text)))).toBe('REVOKED');
    expect(await enrolment.publicKey(dev.id)).toBeUndefined();
  });

  it('gives the last uses of a token to exactly as many racing devices as it allows', async () => {
    const { store, enrolment } = rig();
    const token = await enrolment.issueToken({ lifetimeMs: 60_000, maxUses: 3 });
    const racers = Array.from({ length: 10 }, (_, i) => identity(`unit racer ${i}`));
    const outcomes = await Promise.all(racers.map((r) => codeOf(enrolment.enrol(request(r, token.text)))));
    expect(outcomes.filter((o) => o === undefined)).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'TOKEN_USED_UP')).toHaveLength(7);
    expect((store as MemoryEnrolmentStore).token(token.id)?.uses).toBe(3);
  });

  it('turns a failing store into STORE_FAILED, and a slow store into the same answers', async () => {
    const memory = new MemoryEnrolmentStore();
    const slow: EnrolmentStore = {
      publicKey: async (id) => memory.publicKey(id),
      device: async (id) => memory.device(id),
      addToken: async (t) => memory.addToken(t),
      token: async (id) => memory.token(id),
      enrol: async (d) => memory.enrol(d),
      revoke: async (id, at) => memory.revoke(id, at),
      tokens: async () => memory.tokens(),
      endToken: async (id, at) => memory.endToken(id, at),
    };
    const { enrolment } = rig(slow);
    const token = await enrolment.issueToken({ lifetimeMs: 60_000 });
    const dev = identity('unit slow');
    expect((await enrolment.enrol(request(dev, token.text))).id).toBe(dev.id);

    const broken = rig({ ...slow, token: () => Promise.reject(new Error('disk on fire')), publicKey: () => { throw new Error('x'); } });
    expect(await codeOf(broken.enrolment.enrol(request(dev, token.text)))).toBe('STORE_FAILED');
    expect(await codeOf(broken.enrolment.publicKey(dev.id))).toBe('STORE_FAILED');
    const full = rig({ ...slow, addToken: () => { throw new Error('full'); } });
    expect(await codeOf(full.enrolment.issueToken({ lifetimeMs: 1 }))).toBe('STORE_FAILED');
  });

  it('logs token ids and codes, never a token’s text or secret', async () => {
    const { log, enrolment } = rig();
    const token = await enrolment.issueToken({ lifetimeMs: 60_000 });
    await enrolment.enrol(request(identity('unit log a'), token.text));
    await codeOf(enrolment.enrol(request(identity('unit log b'), token.text)));
    expect(log.containing(token.id).length).toBeGreaterThanOrEqual(2);
    expect(log.containing('TOKEN_USED_UP')).toHaveLength(1);
    expect(log.containing(token.text.split('.')[2]!)).toEqual([]);
  });
});
