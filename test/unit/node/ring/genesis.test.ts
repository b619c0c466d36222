import { describe, expect, it } from 'vitest';
import { DEFAULT_RING_PARAMS, genesisMap, RingError } from '../../../../node/ring/index.ts';

describe('genesis', () => {
  const servers = Array.from({ length: 12 }, (_, i) => ({ id: `g${i}`, addrs: [] }));

  it('divides the key space into equal ranges and deals the servers out in order', () => {
    const map = genesisMap({ unities: 4, servers, serversPerUnity: 3 });
    expect(map.epoch).toBe(0n);
    expect(map.params).toEqual(DEFAULT_RING_PARAMS);
    expect(map.unities.map((u) => u.start[0])).toEqual([0x00, 0x40, 0x80, 0xc0]);
    expect(map.unities.every((u) => u.start.subarray(1).every((b) => b === 0))).toBe(true);
    expect(map.unities[1]!.servers.map((s) => s.id)).toEqual(['g3', 'g4', 'g5']);
    expect(map.unities[0]!.id).toBe(`u-${'00'.repeat(32)}`);
  });

  it('spreads servers evenly when no count per Unity is given, and takes parameters', () => {
    const map = genesisMap({ unities: 5, servers, params: { replicas: 3 }, epoch: 7n });
    expect(map.unities.map((u) => u.servers.length)).toEqual([2, 2, 3, 2, 3]);
    expect(map.params.replicas).toBe(3);
    expect(map.epoch).toBe(7n);
  });

  it('refuses counts that do not fit', () => {
    expect(() => genesisMap({ unities: 4, servers, serversPerUnity: 4 })).toThrowError(/need 16 servers, got 12/);
    expect(() => genesisMap({ unities: 0, servers })).toThrowError(RingError);
    // 13 Unities for 12 servers leaves one empty, which validation refuses.
    expect(() => genesisMap({ unities: 13, servers })).toThrowError(/holds 1…32 servers, got 0/);
  });
});
