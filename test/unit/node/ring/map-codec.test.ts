import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../../node/crypto/index.ts';
import { decodeRingMap, encodeRingMap, mapRoot, RingError, type RingMap } from '../../../../node/ring/index.ts';
import { encodeCbor, decodeCbor, type CborMap } from '../../../../node/wire/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { arbMap, buildMap } from '../../../support/ring-arbitraries.ts';

const map = buildMap([0n, 1n << 255n], [2, 3]);

function reencode(change: (value: CborMap) => void): Uint8Array {
  const value = decodeCbor(encodeRingMap(map)) as CborMap;
  change(value);
  return encodeCbor(value);
}

describe('ring map encoding', () => {
  it('round-trips every valid map, and its root is SHA-256 of the encoding', () => {
    fc.assert(
      fc.property(arbMap({ maxUnities: 12, maxServers: 4 }), (m) => {
        const bytes = encodeRingMap(m);
        const back = decodeRingMap(bytes);
        expect(back).toEqual(m);
        expect(encodeRingMap(back)).toEqual(bytes);
        expect(mapRoot(m)).toEqual(sha256(bytes));
      }),
      { seed: 10, numRuns: 200 },
    );
  });

  it('encodes only the fields of the model, whatever else the objects carry', () => {
    const extra = {
      ...map,
      unities: map.unities.map((u) => ({ ...u, note: 'x', servers: u.servers.map((s) => ({ ...s, rtt: 5 })) })),
    } as RingMap;
    expect(encodeRingMap(extra)).toEqual(encodeRingMap(map));
  });

  it('changes the root when the epoch, a server or a parameter changes', () => {
    const root = mapRoot(map);
    expect(mapRoot({ ...map, epoch: map.epoch + 1n })).not.toEqual(root);
    expect(mapRoot({ ...map, params: { ...map.params, replicas: 4 } })).not.toEqual(root);
    const moved = map.unities.map((u, i) => (i === 1 ? { ...u, servers: u.servers.slice(1) } : u));
    expect(mapRoot({ ...map, unities: moved })).not.toEqual(root);
  });

  it('refuses bytes that are not a canonical map (MALFORMED) or an invalid one (BAD_MAP)', () => {
    const bytes = encodeRingMap(map);
    expect(codeOf(() => decodeRingMap(bytes.subarray(0, bytes.length - 1)), RingError)).toBe('MALFORMED');
    expect(codeOf(() => decodeRingMap(new Uint8Array([0xa0])), RingError)).toBe('MALFORMED');
    expect(codeOf(() => decodeRingMap(reencode((v) => (v.extra = 1))), RingError)).toBe('MALFORMED');
    expect(codeOf(() => decodeRingMap(reencode((v) => (v.epoch = -1))), RingError)).toBe('MALFORMED');
    const swapped = reencode((v) => {
      const unities = v.unities as CborMap[];
      [unities[0], unities[1]] = [unities[1]!, unities[0]!];
    });
    expect(codeOf(() => decodeRingMap(swapped), RingError)).toBe('BAD_MAP');
    expect(codeOf(() => decodeRingMap(bytes, { maxSize: bytes.length - 1 }), RingError)).toBe('MALFORMED');
    try {
      decodeRingMap(reencode((v) => (v.extra = 1)));
    } catch (error) {
      expect((error as RingError).cause).toBeDefined();
      expect((error as Error).message).toMatch(/^map: /);
    }
  });
});
