import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RING_PARAMS,
  keyFromBigInt,
  RingError,
  unityIdFor,
  unityIndexById,
  unityOfServer,
  unityStartOf,
  validateMap,
  type RingMap,
  type Unity,
} from '../../../../node/ring/index.ts';
import { checkUnityIndex } from '../../../../node/ring/map.ts';
import { buildMap } from '../../../support/ring-arbitraries.ts';

const base = buildMap([0n, 1000n, 1n << 200n], [2, 2, 2]);

/** The BAD_MAP message of a map built from `base` by `change`. */
function refusal(change: (unities: Unity[]) => void, params = base.params): string {
  const unities = base.unities.map((u) => ({ ...u }));
  change(unities);
  const map: RingMap = { ...base, params, unities };
  try {
    validateMap(map);
  } catch (error) {
    expect(error).toBeInstanceOf(RingError);
    expect((error as RingError).code).toBe('BAD_MAP');
    return (error as RingError).message;
  }
  throw new Error('expected BAD_MAP');
}

describe('ring map validation', () => {
  it('accepts a well-formed map', () => {
    expect(validateMap(base)).toBe(base);
  });

  it('needs the first start at 0 and strictly increasing starts', () => {
    expect(refusal((u) => (u[0] = { ...u[0]!, start: keyFromBigInt(1n) }))).toMatch(/^unities\[0\]\.start: the first/);
    expect(refusal((u) => (u[2] = { ...u[2]!, start: keyFromBigInt(1000n) }))).toMatch(/^unities\[2\]\.start: starts/);
    expect(refusal((u) => (u[2] = { ...u[2]!, start: keyFromBigInt(999n) }))).toMatch(/strictly increase/);
    expect(refusal((u) => (u[1] = { ...u[1]!, start: new Uint8Array(31) }))).toMatch(/^unities\[1\]\.start: must be/);
  });

  it('puts no server in two Unities and keeps sizes within the limits', () => {
    expect(refusal((u) => (u[1] = { ...u[1]!, servers: [u[0]!.servers[0]!] }))).toMatch(
      /^unities\[1\]\.servers\[0\]: p0\.0 is already a server of Unity 0/,
    );
    expect(refusal((u) => (u[1] = { ...u[1]!, servers: [] }))).toMatch(/holds 1…32 servers, got 0/);
    const many = Array.from({ length: 33 }, (_, i) => ({ id: `x${i}`, addrs: [] }));
    expect(refusal((u) => (u[1] = { ...u[1]!, servers: many }))).toMatch(/holds 1…32 servers, got 33/);
    expect(refusal((u) => (u[0] = { ...u[0]!, servers: [{ id: '', addrs: [] }] }))).toMatch(/servers\[0\]\.id/);
    expect(refusal((u) => (u[0] = { ...u[0]!, servers: [{ id: 'a', addrs: [''] }] }))).toMatch(/addrs\[0\]/);
  });

  it('checks guests: servers of another Unity, not twice, at most the replica count', () => {
    const guest = (id: string) => ({ id, addrs: [] });
    expect(refusal((u) => (u[0] = { ...u[0]!, guests: [guest('nobody')] }))).toMatch(/not a server of any Unity/);
    expect(refusal((u) => (u[0] = { ...u[0]!, guests: [guest('p0.1')] }))).toMatch(/server of this Unity/);
    expect(refusal((u) => (u[0] = { ...u[0]!, guests: [guest('p1.0'), guest('p1.0')] }))).toMatch(/borrowed twice/);
    const six = ['p1.0', 'p1.1', 'p2.0', 'p2.1', 'p1.0', 'p2.0'].map(guest);
    expect(refusal((u) => (u[0] = { ...u[0]!, guests: six }))).toMatch(/at most 5 guests/);
    const ok: Unity[] = base.unities.map((u, i) => (i === 0 ? { ...u, guests: [guest('p1.0')] } : u));
    expect(validateMap({ ...base, unities: ok }).unities[0]!.guests).toHaveLength(1);
  });

  it('keeps workers unique and apart from servers', () => {
    expect(refusal((u) => (u[0] = { ...u[0]!, workers: ['w', 'w'] }))).toMatch(/w is attached twice/);
    expect(refusal((u) => (u[2] = { ...u[2]!, workers: ['p0.0'] }))).toMatch(/both a server and a worker/);
  });

  it('needs unique Unity ids and sane parameters', () => {
    expect(refusal((u) => (u[1] = { ...u[1]!, id: u[0]!.id }))).toMatch(/id of an earlier Unity/);
    expect(refusal(() => {}, { ...DEFAULT_RING_PARAMS, serverLimit: 1 })).toMatch(/^params\.serverLimit/);
    expect(refusal(() => {}, { ...DEFAULT_RING_PARAMS, minServers: 33 })).toMatch(/^params\.minServers/);
    expect(refusal(() => {}, { ...DEFAULT_RING_PARAMS, replicas: 0 })).toMatch(/^params\.replicas/);
    expect(refusal(() => {}, { ...DEFAULT_RING_PARAMS, downAfterMs: 9_999 })).toMatch(/^params\.downAfterMs/);
    expect(() => validateMap({ ...base, epoch: -1n })).toThrowError(/^epoch/);
    expect(() => validateMap({ ...base, unities: [] })).toThrowError(/^unities: must hold/);
  });

  it('finds Unities by server, id and index', () => {
    expect(unityOfServer(base, 'p2.1')).toBe(2);
    expect(unityOfServer(base, 'zz')).toBe(-1);
    expect(unityIndexById(base, base.unities[1]!.id)).toBe(1);
    expect(() => unityIndexById(base, 'u-none')).toThrowError(RingError);
    expect(() => checkUnityIndex(base, 3)).toThrowError(/outside 0…2/);
    expect(() => checkUnityIndex(base, 0.5)).toThrowError(RingError);
  });
});

describe('Unity ids', () => {
  it('give back the start they were made from; other text is no Unity id', () => {
    for (const unity of base.unities) expect(unityStartOf(unity.id)).toEqual(unity.start);
    expect(unityStartOf(unityIdFor(keyFromBigInt(1n << 255n)))).toEqual(keyFromBigInt(1n << 255n));
    for (const bad of ['', 'u-', `u-${'0'.repeat(63)}`, `u-${'G'.repeat(64)}`, `x-${'0'.repeat(64)}`, `u-${'0'.repeat(64)} `]) {
      expect(unityStartOf(bad)).toBeUndefined();
    }
  });
});
