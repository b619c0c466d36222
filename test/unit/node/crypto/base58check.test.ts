import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeBase58,
  decodeBase58Check,
  encodeBase58,
  encodeBase58Check,
} from '../../../../node/crypto/base58check.ts';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import { concatBytes, fromHex, hash160, toHex } from '../../../../node/crypto/hash.ts';
import { codeOf as codeOfError } from '../../../support/error-code.ts';

/**
 * Every pair of Bitcoin Core's src/test/data/base58_encode_decode.json (bitcoin/bitcoin, the file as of 2025),
 * [hex bytes, Base58 text].
 */
const BITCOIN_CORE_BASE58: readonly (readonly [string, string])[] = [
  ['', ''],
  ['61', '2g'],
  ['626262', 'a3gV'],
  ['636363', 'aPEr'],
  ['73696d706c792061206c6f6e6720737472696e67', '2cFupjhnEsSn59qHXstmK2ffpLv2'],
  ['00eb15231dfceb60925886b67d065299925915aeb172c06647', '1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L'],
  ['516b6fcd0f', 'ABnLTmg'],
  ['bf4f89001e670274dd', '3SEo3LWLoPntC'],
  ['572e4794', '3EFU7m'],
  ['ecac89cad93923c02321', 'EJDM8drfXA6uyA'],
  ['10c8511e', 'Rt5zm'],
  ['00000000000000000000', '1111111111'],
  ['00'.repeat(40), '1'.repeat(40)],
  [`${'00'.repeat(39)}01`, `${'1'.repeat(39)}2`],
  [
    `${'00'.repeat(86)}ec39d04c37e71e5d591881f6`,
    `${'1'.repeat(86)}5TYzLYH1udmLdzCLM`,
  ],
  [
    '000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5',
    '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz',
  ],
  [
    Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join(''),
    '1cWB5HCBdLjAuqGGReWE3R3CguuwSjw6RHn39s2yuDRTS5NsBgNiFpWgAnEx6VQi8csexkgYw3mdYrMHr8x9i7aEwP8kZ7vccXWqKDvGv3u1GxFK' +
      'PuAkn8JCPPGDMf3vMMnbzm6Nh9zh1gcNsMvH3ZNLmP5fSG6DGbbi2tuwMWPthr4boWwCxf7ewSgNQeacyozhKDDQQ1qL5fQFUW52QKUZDZ5fw3KX' +
      'NQJMcNTcaB723LchjeKun7MuGW5qyCBZYzA1KjofN1gYBV3NqyhQJ3Ns746GNuf9N2pQPmHz4xpnSrrfCvy6TVVz5d4PdrjeshsWQwpZsZGzvbd' +
      'AdN8MKV5QsBDY',
  ],
  ['271F359E', 'zzzzy'],
  ['271F359F', 'zzzzz'],
  ['271F35A0', '211111'],
  ['271F35A1', '211112'],
];

/**
 * P2PKH addresses (version 0x00) and their key hashes: two from Bitcoin Core's src/test/data/key_io_valid.json
 * (the hash160 inside scriptPubKey 76a914<hash160>88ac), and the address of the Bitcoin wiki's and Rosetta Code's
 * validation examples.
 */
const P2PKH: readonly (readonly [string, string])[] = [
  ['1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo', 'a31c06bd463e3923bc1aadbde48b16976c080717'],
  ['1FjL87pn8ky6Vbavd1ZHeChRXtoxwRGCRd', 'a19331b7b2627e663e25a7b001e4c0dcc5e21bc7'],
  ['1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i', '65a16059864a2fdbc7c99a4723a8395bc6f188eb'],
];

const codeOf = (fn: () => unknown) => codeOfError(fn, CryptoError);

describe('Base58', () => {
  it.each(BITCOIN_CORE_BASE58)('Bitcoin Core vector %s ↔ %s', (hex, text) => {
    expect(encodeBase58(fromHex(hex))).toBe(text);
    expect(toHex(decodeBase58(text))).toBe(hex.toLowerCase());
  });

  it('names the bad character and its position, including look-alikes', () => {
    expect(() => decodeBase58('12O4')).toThrowError(/character 3: 'O' \(capital o\)/);
    expect(() => decodeBase58('0')).toThrowError(/zero/);
    expect(() => decodeBase58('abl')).toThrowError(/lower-case L/);
    expect(() => decodeBase58('ab I')).toThrowError(/character 3: " " is not a Base58 character/);
    expect(codeOf(() => decodeBase58('+'))).toBe('BAD_ENCODING');
  });

  it('round-trips arbitrary bytes, leading zeros included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(toHex(decodeBase58(encodeBase58(bytes)))).toBe(toHex(bytes));
      }),
      { seed: 58, numRuns: 500 },
    );
  });

  it('decoding arbitrary text throws only CryptoError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          decodeBase58(text);
        } catch (error) {
          expect(error).toBeInstanceOf(CryptoError);
        }
      }),
      { seed: 59, numRuns: 1000 },
    );
  });
});

describe('Base58Check', () => {
  it('gives the Bitcoin address of private key 1', () => {
    const pubkey = fromHex('0279BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798');
    const address = encodeBase58Check(concatBytes(new Uint8Array([0x00]), hash160(pubkey)));
    expect(address).toBe('1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH');
  });

  it.each(P2PKH)('P2PKH %s ↔ %s', (address, keyHash) => {
    expect(toHex(decodeBase58Check(address))).toBe(`00${keyHash}`);
    expect(encodeBase58Check(fromHex(`00${keyHash}`))).toBe(address);
  });

  it('refuses a changed character with BAD_CHECKSUM', () => {
    expect(codeOf(() => decodeBase58Check('1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62j'))).toBe('BAD_CHECKSUM');
    expect(codeOf(() => decodeBase58Check('1ANNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i'))).toBe('BAD_CHECKSUM');
    expect(codeOf(() => decodeBase58Check('1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62'))).toBe('BAD_CHECKSUM');
  });

  it('refuses empty, too short and non-Base58 input with BAD_ENCODING', () => {
    expect(codeOf(() => decodeBase58Check(''))).toBe('BAD_ENCODING');
    expect(codeOf(() => decodeBase58Check('2g'))).toBe('BAD_ENCODING');
    expect(codeOf(() => decodeBase58Check('1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW6Oi'))).toBe('BAD_ENCODING');
  });

  it('round-trips arbitrary payloads, including the empty one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (payload) => {
        expect(toHex(decodeBase58Check(encodeBase58Check(payload)))).toBe(toHex(payload));
      }),
      { seed: 60, numRuns: 500 },
    );
  });
});
