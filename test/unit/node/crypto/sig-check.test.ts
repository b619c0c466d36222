import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Ed25519KeyPair,
  falconAccountKey,
  sha256,
  SignatureCache,
  type SigScheme,
  utf8,
  verifyAny,
  type VerifySig,
} from '../../../../node/crypto/index.ts';

const node = Ed25519KeyPair.fromSeed(sha256(utf8('sig-check node')));
const falcon = falconAccountKey(new Uint8Array(48).fill(7));
const message = utf8('a transaction signing payload');
const edSig = node.sign(message);
const falconSig = falcon.sign(message);

/** A VerifySig that counts how often it really verifies. */
function counting(): { verify: VerifySig; calls: () => number } {
  let calls = 0;
  return {
    verify: (scheme, key, msg, sig) => {
      calls += 1;
      return verifyAny(scheme, key, msg, sig);
    },
    calls: () => calls,
  };
}

describe('verifyAny', () => {
  it('checks Ed25519 and account schemes, false for anything malformed', () => {
    expect(verifyAny('ed25519', node.publicKey.bytes, message, edSig)).toBe(true);
    expect(verifyAny('falcon', falcon.publicKey, message, falconSig)).toBe(true);
    expect(verifyAny('ed25519', new Uint8Array(31), message, edSig)).toBe(false);
    expect(verifyAny('ed25519', node.publicKey.bytes, utf8('other'), edSig)).toBe(false);
    expect(verifyAny('falcon', falcon.publicKey, message, edSig)).toBe(false);
    expect(verifyAny('ecdsa', falcon.publicKey, message, falconSig)).toBe(false);
  });
});

describe('SignatureCache', () => {
  it('verifies a valid signature once and answers later checks from memory', () => {
    const inner = counting();
    const cache = new SignatureCache({ verify: inner.verify });
    for (let i = 0; i < 3; i += 1) {
      expect(cache.verify('ed25519', node.publicKey.bytes, message, edSig)).toBe(true);
      expect(cache.verify('falcon', falcon.publicKey, message, falconSig)).toBe(true);
    }
    expect(inner.calls()).toBe(2);
    expect(cache.stats()).toEqual({ hits: 4, misses: 2, size: 2 });
  });

  it('never remembers an invalid signature: it is checked, and refused, every time', () => {
    const inner = counting();
    const cache = new SignatureCache({ verify: inner.verify });
    const forged = Uint8Array.from(edSig);
    forged[5]! ^= 1;
    for (let i = 0; i < 3; i += 1) expect(cache.verify('ed25519', node.publicKey.bytes, message, forged)).toBe(false);
    expect(inner.calls()).toBe(3);
    expect(cache.stats().size).toBe(0);
  });

  it('keeps at most `capacity` signatures, dropping the least recently used', () => {
    const inner = counting();
    const cache = new SignatureCache({ capacity: 2, verify: inner.verify });
    const signed = [0, 1, 2].map((i) => ({ msg: utf8(`m${i}`), sig: node.sign(utf8(`m${i}`)) }));
    const check = (i: number): boolean => cache.verify('ed25519', node.publicKey.bytes, signed[i]!.msg, signed[i]!.sig);
    check(0);
    check(1);
    check(0); // 0 is now the most recent
    check(2); // evicts 1
    expect(cache.stats().size).toBe(2);
    const before = inner.calls();
    check(0);
    check(2);
    expect(inner.calls()).toBe(before);
    check(1);
    expect(inner.calls()).toBe(before + 1);
  });

  it('once a signature is cached, any change to scheme, key, message or signature is checked afresh and refused', () => {
    const cache = new SignatureCache();
    expect(cache.verify('ed25519', node.publicKey.bytes, message, edSig)).toBe(true);
    expect(cache.verify('falcon', falcon.publicKey, message, falconSig)).toBe(true);
    const cases: { scheme: SigScheme; key: Uint8Array; sig: Uint8Array }[] = [
      { scheme: 'ed25519', key: node.publicKey.bytes, sig: edSig },
      { scheme: 'falcon', key: falcon.publicKey, sig: falconSig },
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.constantFrom('key', 'message', 'sig', 'split', 'scheme'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (which, part, at, flip) => {
          const { scheme, key, sig } = cases[which]!;
          const mutate = (bytes: Uint8Array): Uint8Array => {
            const out = Uint8Array.from(bytes);
            out[at % out.length]! ^= flip;
            return out;
          };
          let args: [SigScheme, Uint8Array, Uint8Array, Uint8Array];
          if (part === 'key') args = [scheme, mutate(key), message, sig];
          else if (part === 'message') args = [scheme, key, mutate(message), sig];
          else if (part === 'sig') args = [scheme, key, message, mutate(sig)];
          else if (part === 'scheme') args = [scheme === 'falcon' ? 'ecdsa' : 'falcon', key, message, sig];
          else {
            // The same bytes split differently between message and signature.
            const cut = 1 + (at % (sig.length - 1));
            args = [scheme, key, Uint8Array.from([...message, ...sig.slice(0, cut)]), sig.slice(cut)];
          }
          expect(cache.verify(...args)).toBe(verifyAny(...args));
          expect(cache.verify(...args)).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });
});
