import { describe, expect, it } from 'vitest';
import { Committee, potentialCommittee, vrfFraction } from '../../../../node/consensus/acp/committee.ts';
import { DEFAULT_ACP_PARAMS, quorumOf } from '../../../../node/consensus/acp/params.ts';
import { fastSuite } from '../../../../node/consensus/crypto-suite.ts';

const suite = fastSuite();
const ring = (n: number, rep = (i: number) => 1 + (i % 1)) =>
  Array.from({ length: n }, (_, i) => ({ publicKey: suite.keysFromSeed(new Uint8Array(32).fill(i + 1)).publicKey, reputation: rep(i) }));

describe('ACP committees', () => {
  it('quorum is ⌊2E/3⌋ + 1 of the ring up to 16 members, of E = 16 above', () => {
    expect(quorumOf(DEFAULT_ACP_PARAMS, 4)).toBe(3);
    expect(quorumOf(DEFAULT_ACP_PARAMS, 7)).toBe(5);
    expect(quorumOf(DEFAULT_ACP_PARAMS, 16)).toBe(11);
    expect(quorumOf(DEFAULT_ACP_PARAMS, 64)).toBe(11);
  });

  it('is the whole ring up to 16 managers', () => {
    const c = new Committee(ring(10), new Uint8Array(32), 1, DEFAULT_ACP_PARAMS, suite);
    expect(c.full).toBe(true);
    expect(c.potential.size).toBe(10);
    expect(c.isFinalMember(9, undefined)).toBe(true);
    expect(c.isFinalMember(10, undefined)).toBe(false);
  });

  it('samples the 32 lowest weights above 16 and selects by VRF with p = E/m', () => {
    const members = ring(64);
    const c = new Committee(members, new Uint8Array(32).fill(7), 3, DEFAULT_ACP_PARAMS, suite);
    expect(c.potential.size).toBe(32);
    expect(c.selectProbability).toBe(0.5);
    const keys = Array.from({ length: 64 }, (_, i) => suite.keysFromSeed(new Uint8Array(32).fill(i + 1)));
    let selected = 0;
    for (const i of c.potential) {
      const { proof, output } = keys[i]!.vrfProve(c.alpha);
      expect(c.vrfOutput(i, proof)).toEqual(output);
      if (c.isFinalMember(i, proof)) selected += 1;
      // A proof of another member does not make a non-member eligible.
      expect(c.vrfOutput(i, keys[(i + 1) % 64]!.vrfProve(c.alpha).proof)).toBeUndefined();
    }
    expect(selected).toBeGreaterThan(4);
    expect(selected).toBeLessThan(28);
    const outside = [...Array(64).keys()].find((i) => !c.potential.has(i))!;
    expect(c.isFinalMember(outside, keys[outside]!.vrfProve(c.alpha).proof)).toBe(false);
  });

  it('divides weights by reputation: a high reputation makes membership likelier', () => {
    const members = ring(64, (i) => (i < 8 ? 1000 : 1));
    const pc = potentialCommittee(members, new Uint8Array(32), 1, 32, suite);
    for (let i = 0; i < 8; i++) expect(pc).toContain(i);
  });

  it('reads VRF outputs as fractions of [0, 1)', () => {
    expect(vrfFraction(new Uint8Array(32))).toBe(0);
    expect(vrfFraction(new Uint8Array(32).fill(0xff))).toBeLessThan(1);
    expect(vrfFraction(Uint8Array.of(0x80, 0, 0, 0, 0, 0))).toBe(0.5);
  });
});
