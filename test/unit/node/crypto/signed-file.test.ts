import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toFalconForm } from '../../../../node/crypto/address.ts';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import { sha256, toHex, utf8 } from '../../../../node/crypto/hash.ts';
import {
  createFileBundle,
  decodeFileBundle,
  encodeFileBundle,
  fileSigningMessage,
  signFile,
  verifyFileBundle,
} from '../../../../node/crypto/signed-file.ts';
import { Wallet } from '../../../../node/crypto/wallet.ts';
import { seededRandom } from './seeded-random.ts';
import { codeOf as codeOfError } from '../../../support/error-code.ts';

const random = seededRandom('signed file');
const accounts = {
  falcon: Wallet.generate('falcon', random).account,
  ecdsa: Wallet.generate('ecdsa', random).account,
};
const file = utf8('release notes\nversion 1.2.3\n');

const codeOf = (fn: () => unknown) => codeOfError(fn, CryptoError);

describe.each(['falcon', 'ecdsa'] as const)('%s file signatures', (scheme) => {
  const account = accounts[scheme];
  const line = signFile(account, file);

  it('are one line of JSON with scheme, publicKey and signature in hex', () => {
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line) as Record<string, string>;
    expect(Object.keys(parsed)).toEqual(['scheme', 'publicKey', 'signature']);
    expect(parsed.scheme).toBe(scheme);
    expect(parsed.publicKey).toBe(toHex(account.publicKey));
    expect(parsed.signature).toMatch(/^[0-9a-f]+$/);
  });

  it('verify against the signer address (either spelling), as text or object', () => {
    expect(verifyFileBundle(line, account.address, file)).toEqual({ scheme, address: account.address });
    expect(verifyFileBundle(`${line}\n`, account.address, file).address).toBe(account.address);
    expect(verifyFileBundle(decodeFileBundle(line), account.address, file).scheme).toBe(scheme);
    if (scheme === 'falcon') expect(verifyFileBundle(line, toFalconForm(account.address), file).scheme).toBe(scheme);
  });

  it('say why verification failed', () => {
    const other = scheme === 'falcon' ? accounts.ecdsa : accounts.falcon;
    expect(codeOf(() => verifyFileBundle(line, other.address, file))).toBe('BAD_ADDRESS');
    expect(() => verifyFileBundle(line, other.address, file)).toThrowError(`signed by ${account.address}`);
    expect(codeOf(() => verifyFileBundle(line, account.address, utf8('release notes\nversion 1.2.4\n')))).toBe(
      'BAD_SIGNATURE',
    );
    const bundle = decodeFileBundle(line);
    const digit = bundle.signature[20] === '0' ? '1' : '0';
    const flipped = { ...bundle, signature: bundle.signature.slice(0, 20) + digit + bundle.signature.slice(21) };
    expect(codeOf(() => verifyFileBundle(flipped, account.address, file))).toBe('BAD_SIGNATURE');
    const shortKey = { ...bundle, publicKey: bundle.publicKey.slice(2) };
    expect(codeOf(() => verifyFileBundle(shortKey, account.address, file))).toBe('BAD_KEY');
    expect(codeOf(() => verifyFileBundle(line, `${account.address.slice(0, -1)}x`, file))).toBe('BAD_CHECKSUM');
    expect(() => verifyFileBundle(line, 'nonsense0', file)).toThrowError(/expected address/);
  });

  it('sign the domain-separated SHA-256 of the file', () => {
    const message = fileSigningMessage(file);
    expect(toHex(message)).toBe(`${toHex(utf8('AME-MSG-v1'))}00${toHex(sha256(file))}`);
    const bundle = createFileBundle(account, file);
    expect(encodeFileBundle(bundle)).toMatch(/^\{"scheme":/);
  });
});

describe('malformed bundles', () => {
  const line = signFile(accounts.ecdsa, file);
  const address = accounts.ecdsa.address;

  it('are BAD_ENCODING, or UNSUPPORTED for an unknown scheme', () => {
    const bad = [
      '',
      'not json',
      '[]',
      'null',
      '{"scheme":"ecdsa"}',
      line.replace('"signature"', '"sig"'),
      line.replace('}', ',"extra":1}'),
      line.replace(/"publicKey":"0/, '"publicKey":"x'),
      line.replace(/"signature":"[0-9a-f]/, '"signature":"'),
      'x'.repeat(20_000),
    ];
    for (const text of bad) expect(codeOf(() => verifyFileBundle(text, address, file))).toBe('BAD_ENCODING');
    expect(codeOf(() => verifyFileBundle(line.replace('"ecdsa"', '"rsa"'), address, file))).toBe('UNSUPPORTED');
  });

  it('never throw anything but CryptoError', () => {
    const check = (text: string): void => {
      try {
        verifyFileBundle(text, address, file);
      } catch (error) {
        expect(error).toBeInstanceOf(CryptoError);
      }
    };
    fc.assert(fc.property(fc.json(), check), { seed: 31, numRuns: 500 });
    const fields = fc.record({
      scheme: fc.constantFrom('ecdsa', 'falcon', 'x'),
      publicKey: fc.uint8Array({ maxLength: 40 }).map(toHex),
      signature: fc.uint8Array({ maxLength: 80 }).map(toHex),
    });
    fc.assert(fc.property(fields, (b) => check(JSON.stringify(b))), { seed: 32, numRuns: 500 });
  });
});
