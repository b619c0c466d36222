import { describe, expect, it } from 'vitest';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { falcon512 } from '@noble/post-quantum/falcon.js';
import { addressFromPublicKey, addressMatchesKey, parseAddress } from '../../../../node/crypto/address.ts';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import { bytesEqual, fromHex, hash160, toHex, utf8 } from '../../../../node/crypto/hash.ts';
import { verifySignature } from '../../../../node/crypto/keys.ts';
import {
  FALCON_DERIVATION_INFO,
  phraseToEntropy,
  SECP256K1_DERIVATION_INFO,
  Wallet,
} from '../../../../node/crypto/wallet.ts';
import { seededRandom } from './seeded-random.ts';
import { codeOf as codeOfError } from '../../../support/error-code.ts';

const PER_SCHEME = 100;

const codeOf = (fn: () => unknown) => codeOfError(fn, CryptoError);

describe.each(['falcon', 'ecdsa'] as const)('%s wallets', (scheme) => {
  it(
    `${PER_SCHEME} real key pairs: the address round-trips and the phrase restores it`,
    () => {
      const random = seededRandom(`wallet ${scheme}`);
      const seen = new Set<string>();
      for (let i = 0; i < PER_SCHEME; i += 1) {
        const wallet = Wallet.generate(scheme, random);
        const { address, publicKey } = wallet.account;
        expect(address[0]).toBe(scheme === 'falcon' ? 'F' : 'A');
        expect(addressFromPublicKey(scheme, publicKey)).toBe(address);
        const parsed = parseAddress(address);
        expect(parsed.scheme).toBe(scheme);
        expect(bytesEqual(parsed.hash160, hash160(publicKey))).toBe(true);
        expect(addressMatchesKey(address, scheme, publicKey)).toBe(true);

        const phrase = wallet.phrase();
        expect(phrase.split(' ')).toHaveLength(24);
        const restored = Wallet.fromPhrase(phrase, scheme);
        expect(restored.account.address).toBe(address);
        expect(toHex(restored.account.publicKey)).toBe(toHex(publicKey));
        seen.add(address);
      }
      expect(seen.size).toBe(PER_SCHEME);
    },
    120_000,
  );

  it('a restored wallet signs what the original verifies', () => {
    const wallet = Wallet.generate(scheme, seededRandom(`sign ${scheme}`));
    const restored = Wallet.fromPhrase(wallet.phrase(), scheme);
    const message = utf8('same key');
    expect(verifySignature(scheme, wallet.account.publicKey, message, restored.account.sign(message))).toBe(true);
  });
});

describe('derivation (pinned so that a change cannot slip in unnoticed)', () => {
  const entropy = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');

  it('derives the secp256k1 key as HKDF output reduced FIPS 186-5 style, checked with independent code', () => {
    const wide = hkdf(nobleSha256, entropy, new Uint8Array(0), utf8(SECP256K1_DERIVATION_INFO), 48);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const secret = (BigInt(`0x${toHex(wide)}`) % (n - 1n)) + 1n;
    const expected = secp256k1.getPublicKey(fromHex(secret.toString(16).padStart(64, '0')), true);
    expect(toHex(Wallet.fromEntropy(entropy, 'ecdsa').account.publicKey)).toBe(toHex(expected));
  });

  it('derives the Falcon seed as 48 bytes of HKDF output, checked with independent code', () => {
    const seed = hkdf(nobleSha256, entropy, new Uint8Array(0), utf8(FALCON_DERIVATION_INFO), 48);
    const expected = falcon512.keygen(seed).publicKey;
    expect(toHex(Wallet.fromEntropy(entropy, 'falcon').account.publicKey)).toBe(toHex(expected));
  });

  it('gives these addresses for this entropy', () => {
    expect(Wallet.fromEntropy(entropy, 'ecdsa').account.address).toBe('AUSXAyBcyY9Zm6uJkbVNoif6rCt1CsArpv');
    expect(Wallet.fromEntropy(entropy, 'falcon').account.address).toBe('FNuiEoxskBggdN1Hci31DheMnRkQ2dA57v');
  });

  it('different schemes of one entropy are unrelated keys', () => {
    const a = Wallet.fromEntropy(entropy, 'ecdsa').account.address;
    const f = Wallet.fromEntropy(entropy, 'falcon').account.address;
    expect(parseAddress(a).hash160).not.toEqual(parseAddress(f).hash160);
  });
});

describe('backup phrases', () => {
  it('match the BIP-39 reference vectors (trezor/python-mnemonic vectors.json, 256-bit entropy)', () => {
    const vectors: [string, string][] = [
      ['00'.repeat(32), `${'abandon '.repeat(23)}art`],
      [
        '80'.repeat(32),
        'letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic ' +
          'avoid letter advice cage absurd amount doctor acoustic bless',
      ],
      ['ff'.repeat(32), `${'zoo '.repeat(23)}vote`],
    ];
    for (const [hex, phrase] of vectors) {
      expect(Wallet.fromEntropy(fromHex(hex), 'ecdsa').phrase()).toBe(phrase);
      expect(toHex(phraseToEntropy(phrase))).toBe(hex);
    }
  });

  it('tolerate case and extra whitespace', () => {
    const phrase = `${'abandon '.repeat(23)}art`;
    const messy = `  ${phrase.toUpperCase().split(' ').join('  \t')}\n`;
    expect(toHex(phraseToEntropy(messy))).toBe('00'.repeat(32));
  });

  it('name the problem: word count, unknown word, checksum', () => {
    expect(codeOf(() => Wallet.fromPhrase(`${'abandon '.repeat(11)}about`, 'falcon'))).toBe('BAD_PHRASE');
    expect(() => phraseToEntropy(`${'abandon '.repeat(11)}about`)).toThrowError(/24 words, got 12/);
    expect(() => phraseToEntropy('')).toThrowError(/got 0/);
    expect(() => phraseToEntropy(`${'abandon '.repeat(5)}bitcoin ${'abandon '.repeat(17)}art`)).toThrowError(
      /word 6 \("bitcoin"\) is not in the BIP-39 English word list/,
    );
    expect(() => phraseToEntropy(`${'abandon '.repeat(23)}abandon`)).toThrowError(/checksum/);
    expect(codeOf(() => phraseToEntropy(`${'abandon '.repeat(23)}abandon`))).toBe('BAD_PHRASE');
  });

  it('refuse entropy of the wrong length and unknown schemes', () => {
    expect(codeOf(() => Wallet.fromEntropy(new Uint8Array(16), 'ecdsa'))).toBe('BAD_KEY');
    expect(codeOf(() => Wallet.fromEntropy(new Uint8Array(32), 'rsa' as 'ecdsa'))).toBe('UNSUPPORTED');
  });
});
