import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ADDRESS_LENGTH,
  ADDRESS_LETTER,
  addressFromHash160,
  addressFromPublicKey,
  addressMatchesKey,
  parseAddress,
  toFalconForm,
} from '../../../../node/crypto/address.ts';
import { BASE58_ALPHABET, encodeBase58Check } from '../../../../node/crypto/base58check.ts';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import { bytesEqual, concatBytes, hash160, toHex } from '../../../../node/crypto/hash.ts';
import { ADDRESS_VERSION, SCHEMES, type Scheme } from '../../../../node/crypto/scheme.ts';
import { randomInt, seededRandom, type Random } from './seeded-random.ts';
import { codeOf as codeOfError } from '../../../support/error-code.ts';

const COUNT = 10_000;

/** A random byte string with the shape of a public key of `scheme` (hash160 does not care if it is a real point). */
function randomPublicKey(scheme: Scheme, random: Random): Uint8Array {
  if (scheme === 'ecdsa') {
    const key = random(33);
    key[0] = 0x02 | (key[0]! & 1);
    return key;
  }
  const key = random(897);
  key[0] = 0x09;
  return key;
}

const codeOf = (fn: () => unknown) => codeOfError(fn, CryptoError);

describe.each(SCHEMES)('%s addresses', (scheme) => {
  const letter = ADDRESS_LETTER[scheme];

  it(`10,000 random keys: every address starts with ${letter}, decodes, and one changed character is refused`, () => {
    const random = seededRandom(`address ${scheme}`);
    const codes = new Map<string, number>();
    for (let i = 0; i < COUNT; i += 1) {
      const publicKey = randomPublicKey(scheme, random);
      const address = addressFromPublicKey(scheme, publicKey);
      expect(address[0]).toBe(letter);
      expect(address).toHaveLength(ADDRESS_LENGTH);

      const parsed = parseAddress(address);
      expect(parsed.scheme).toBe(scheme);
      expect(parsed.text).toBe(address);
      expect(bytesEqual(parsed.hash160, hash160(publicKey))).toBe(true);
      expect(addressMatchesKey(address, scheme, publicKey)).toBe(true);

      const position = randomInt(random, address.length);
      const others = BASE58_ALPHABET.replace(address[position]!, '');
      const replacement = others[randomInt(random, others.length)]!;
      const mutated = address.slice(0, position) + replacement + address.slice(position + 1);
      expect(mutated).not.toBe(address);
      const code = codeOf(() => parseAddress(mutated));
      expect(['BAD_CHECKSUM', 'BAD_ENCODING', 'BAD_ADDRESS']).toContain(code);
      codes.set(code!, (codes.get(code!) ?? 0) + 1);
    }
    // A one-character change alters the number but not its length, so the checksum is what catches it.
    expect(codes.get('BAD_CHECKSUM')).toBe(COUNT);
  });

  it(`the leading ${letter} holds for every possible payload (exact bounds) and for the extreme key hashes`, () => {
    const version = BigInt(ADDRESS_VERSION[scheme]);
    const digit = BigInt(BASE58_ALPHABET.indexOf(letter));
    const place = 58n ** 33n;
    // The 25 encoded bytes are version·256^24 + rest, for every rest in [0, 256^24).
    const lowest = version * 256n ** 24n;
    const highest = (version + 1n) * 256n ** 24n - 1n;
    expect(lowest >= digit * place).toBe(true);
    expect(highest < (digit + 1n) * place).toBe(true);

    for (const fill of [0x00, 0xff]) {
      const address = addressFromHash160(scheme, new Uint8Array(20).fill(fill));
      expect(address[0]).toBe(letter);
      expect(address).toHaveLength(ADDRESS_LENGTH);
      expect(toHex(parseAddress(address).hash160)).toBe(toHex(new Uint8Array(20).fill(fill)));
    }
  });

  it('refuses public keys of the wrong shape with BAD_KEY', () => {
    expect(codeOf(() => addressFromPublicKey(scheme, new Uint8Array(32)))).toBe('BAD_KEY');
    const wrongHeader = randomPublicKey(scheme, seededRandom('header'));
    wrongHeader[0] = 0x04;
    expect(codeOf(() => addressFromPublicKey(scheme, wrongHeader))).toBe('BAD_KEY');
    expect(addressMatchesKey(addressFromHash160(scheme, new Uint8Array(20)), scheme, wrongHeader)).toBe(false);
  });
});

describe('parsing', () => {
  const random = seededRandom('parsing');
  const falconKey = randomPublicKey('falcon', random);
  const falcon = addressFromPublicKey('falcon', falconKey);
  const ecdsaKey = randomPublicKey('ecdsa', random);
  const ecdsa = addressFromPublicKey('ecdsa', ecdsaKey);

  it('accepts and prints the falcon: form', () => {
    const form = toFalconForm(falcon);
    expect(form).toBe(`falcon:${falcon.slice(1)}`);
    expect(parseAddress(form)).toEqual(parseAddress(falcon));
    expect(parseAddress(form).text).toBe(falcon);
    expect(toFalconForm(parseAddress(falcon))).toBe(form);
    expect(parseAddress(`  ${falcon}\n`).text).toBe(falcon);
  });

  it('explains falcon: misuse', () => {
    expect(codeOf(() => toFalconForm(ecdsa))).toBe('BAD_ADDRESS');
    expect(() => parseAddress(`falcon:${falcon}`)).toThrowError(/without its leading F/);
    expect(codeOf(() => parseAddress('falcon:'))).toBe('BAD_ADDRESS');
    // An ECDSA address whose body happens to fit behind an F still fails its checksum.
    expect(['BAD_CHECKSUM', 'BAD_ADDRESS']).toContain(codeOf(() => parseAddress(`falcon:${ecdsa.slice(1)}`)));
  });

  it('refuses other Base58Check payloads with BAD_ADDRESS', () => {
    expect(() => parseAddress('1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH')).toThrowError(/version byte 0x00/);
    expect(codeOf(() => parseAddress('1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH'))).toBe('BAD_ADDRESS');
    const short = encodeBase58Check(concatBytes(new Uint8Array([0x23]), new Uint8Array(19)));
    expect(codeOf(() => parseAddress(short))).toBe('BAD_ADDRESS');
    expect(codeOf(() => parseAddress(''))).toBe('BAD_ADDRESS');
    expect(codeOf(() => parseAddress('A'.repeat(500)))).toBe('BAD_ADDRESS');
    expect(codeOf(() => parseAddress(`${falcon.slice(0, 5)}0${falcon.slice(6)}`))).toBe('BAD_ENCODING');
  });

  it('matches keys only to their own address and scheme', () => {
    expect(addressMatchesKey(falcon, 'falcon', falconKey)).toBe(true);
    expect(addressMatchesKey(toFalconForm(falcon), 'falcon', falconKey)).toBe(true);
    expect(addressMatchesKey(falcon, 'ecdsa', ecdsaKey)).toBe(false);
    expect(addressMatchesKey(ecdsa, 'ecdsa', ecdsaKey)).toBe(true);
    expect(addressMatchesKey(ecdsa, 'ecdsa', randomPublicKey('ecdsa', random))).toBe(false);
    expect(addressMatchesKey('not an address', 'ecdsa', ecdsaKey)).toBe(false);
  });

  it('throws nothing but CryptoError on arbitrary text and on mangled addresses', () => {
    const check = (text: string): void => {
      try {
        const parsed = parseAddress(text);
        expect(parsed.text[0]).toBe(ADDRESS_LETTER[parsed.scheme]);
      } catch (error) {
        expect(error).toBeInstanceOf(CryptoError);
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 200 }), check), { seed: 1, numRuns: 2000 });
    const base58Char = fc.constantFrom(...BASE58_ALPHABET);
    fc.assert(
      fc.property(fc.array(base58Char, { minLength: 30, maxLength: 40 }), (chars) => check(chars.join(''))),
      { seed: 2, numRuns: 2000 },
    );
    const mangled = fc
      .tuple(fc.constantFrom(falcon, ecdsa, toFalconForm(falcon)), fc.nat(60), fc.string({ maxLength: 3 }))
      .map(([a, at, insert]) => a.slice(0, at) + insert + a.slice(at + insert.length));
    fc.assert(fc.property(mangled, check), { seed: 3, numRuns: 2000 });
  });
});
