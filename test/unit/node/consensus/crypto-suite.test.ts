import { describe, expect, it } from 'vitest';
import { fastSuite, realSuite } from '../../../../node/consensus/crypto-suite.ts';
import { vrfProofToHash, vrfProve, vrfVerify } from '../../../../node/crypto/vrf.ts';

const msg = new TextEncoder().encode('vote');

for (const suite of [fastSuite(), realSuite({ prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash })]) {
  describe(`${suite.name} crypto suite`, () => {
    const a = suite.keysFromSeed(new Uint8Array(32).fill(1));
    const b = suite.keysFromSeed(new Uint8Array(32).fill(2));

    it('verifies its own signatures and rejects forgeries', () => {
      const sig = a.sign(msg);
      expect(suite.verify(a.publicKey, msg, sig)).toBe(true);
      expect(suite.verify(b.publicKey, msg, sig)).toBe(false);
      expect(suite.verify(a.publicKey, new TextEncoder().encode('vote!'), sig)).toBe(false);
      const bad = Uint8Array.from(sig);
      bad[0]! ^= 1;
      expect(suite.verify(a.publicKey, msg, bad)).toBe(false);
      expect(suite.verify(a.publicKey, msg, new Uint8Array(3))).toBe(false);
    });

    it('proves and verifies VRF outputs; a proof under another key or input fails', () => {
      const { proof, output } = a.vrfProve(msg);
      expect(suite.vrfVerify(a.publicKey, proof, msg)).toEqual(output);
      expect(suite.vrfVerify(b.publicKey, proof, msg)).toBeUndefined();
      expect(suite.vrfVerify(a.publicKey, proof, new Uint8Array(1))).toBeUndefined();
      expect(suite.vrfVerify(a.publicKey, new Uint8Array(5), msg)).toBeUndefined();
    });
  });
}
