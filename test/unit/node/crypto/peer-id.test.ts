import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import { encodeBase58 } from '../../../../node/crypto/base58check.ts';
import { fromHex, toHex, utf8 } from '../../../../node/crypto/hash.ts';
import { Ed25519KeyPair } from '../../../../node/crypto/node-key.ts';
import { ed25519KeyFromPeerId, ed25519PublicKeyFromPeerId, peerIdOf } from '../../../../node/crypto/peer-id.ts';
import { seededRandom } from './seeded-random.ts';
import { codeOf as codeOfError } from '../../../support/error-code.ts';

const codeOf = (fn: () => unknown) => codeOfError(fn, CryptoError);

describe('PeerIds of node keys', () => {
  const random = seededRandom('peer id');

  it('start with 12D3KooW and round-trip to the 32-byte key', () => {
    for (let i = 0; i < 20; i += 1) {
      const node = Ed25519KeyPair.generate(random);
      const id = peerIdOf(node);
      expect(id).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/);
      expect(peerIdOf(node.publicKey)).toBe(id);
      expect(peerIdOf(node.publicKey.bytes)).toBe(id);
      expect(toHex(ed25519KeyFromPeerId(id))).toBe(toHex(node.publicKey.bytes));
      const verifier = ed25519PublicKeyFromPeerId(id);
      expect(verifier.verify(utf8('m'), node.sign(utf8('m')))).toBe(true);
    }
  });

  it('match the PeerId libp2p gives the RFC 8032 test key', () => {
    const node = Ed25519KeyPair.fromSeed(
      Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'),
    );
    const key = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
    // The identity multihash (00, length 0x24) of protobuf {Type: Ed25519 (08 01), Data (12 20): key}, in base58btc.
    const expected = encodeBase58(fromHex(`002408011220${key}`));
    expect(peerIdOf(node)).toBe(expected);
    expect(toHex(ed25519KeyFromPeerId(expected))).toBe(key);
  });

  it('refuse other key types and malformed text with typed errors', () => {
    // A well-formed RSA-style (sha256 multihash) PeerId.
    expect(codeOf(() => ed25519KeyFromPeerId('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'))).toBe('UNSUPPORTED');
    expect(codeOf(() => ed25519KeyFromPeerId('12D3KooW'))).toBe('BAD_ENCODING');
    expect(codeOf(() => ed25519KeyFromPeerId(''))).toBe('BAD_ENCODING');
    expect(codeOf(() => ed25519KeyFromPeerId('1'.repeat(500)))).toBe('BAD_ENCODING');
    expect(codeOf(() => peerIdOf(new Uint8Array(33)))).toBe('BAD_KEY');
  });

  it('parse arbitrary text with typed errors only', () => {
    const id = peerIdOf(Ed25519KeyPair.generate(random));
    const mangled = fc
      .tuple(fc.nat(id.length), fc.string({ maxLength: 2 }))
      .map(([at, s]) => id.slice(0, at) + s + id.slice(at + s.length));
    for (const arb of [fc.string({ maxLength: 80 }), mangled]) {
      fc.assert(
        fc.property(arb, (text) => {
          try {
            expect(ed25519KeyFromPeerId(text)).toHaveLength(32);
          } catch (error) {
            expect(error).toBeInstanceOf(CryptoError);
          }
        }),
        { seed: 51, numRuns: 1000 },
      );
    }
  });
});
