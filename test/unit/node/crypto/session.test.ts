import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CryptoError } from '../../../../node/crypto/errors.ts';
import { toHex, utf8 } from '../../../../node/crypto/hash.ts';
import { Ed25519KeyPair } from '../../../../node/crypto/node-key.ts';
import {
  authorizeSession,
  createSession,
  decodeSessionAuthorization,
  encodeSessionAuthorization,
  sessionAuthorizationMessage,
  verifySessionAuthorization,
  type SessionAuthorization,
} from '../../../../node/crypto/session.ts';
import { Wallet } from '../../../../node/crypto/wallet.ts';
import { seededRandom } from './seeded-random.ts';
import { codeOf as codeOfError } from '../../../support/error-code.ts';

const NOW = Date.UTC(2026, 10, 24, 10, 0, 0);
const HOUR = 3_600_000;
const random = seededRandom('session');
const accounts = {
  falcon: Wallet.generate('falcon', random).account,
  ecdsa: Wallet.generate('ecdsa', random).account,
};
const stranger = Wallet.generate('ecdsa', random).account;

const codeOf = (fn: () => unknown) => codeOfError(fn, CryptoError);

describe.each(['falcon', 'ecdsa'] as const)('%s-authorised sessions', (scheme) => {
  const account = accounts[scheme];
  const { keyPair, authorization } = createSession(account, NOW + HOUR, random);

  it('verify until the expiry and return the session key, which then signs receipts', () => {
    const sessionKey = verifySessionAuthorization(authorization, NOW);
    expect(toHex(sessionKey.bytes)).toBe(toHex(keyPair.publicKey.bytes));
    expect(verifySessionAuthorization(authorization, NOW + HOUR - 1)).toBeDefined();
    const receipt = utf8('served 1 request');
    expect(sessionKey.verify(receipt, keyPair.sign(receipt))).toBe(true);
  });

  it('expire at the expiry instant', () => {
    expect(codeOf(() => verifySessionAuthorization(authorization, NOW + HOUR))).toBe('EXPIRED');
    expect(() => verifySessionAuthorization(authorization, NOW + 2 * HOUR)).toThrowError(/expired at 2026-11-24T11/);
  });

  it('refuse a changed session key, expiry or signature with BAD_SIGNATURE', () => {
    const changed: SessionAuthorization[] = [
      { ...authorization, sessionPublicKey: Ed25519KeyPair.generate(random).publicKey.bytes },
      { ...authorization, expiresAt: authorization.expiresAt + 1 },
      { ...authorization, signature: authorization.signature.subarray(0, authorization.signature.length - 1) },
      { ...authorization, signature: Uint8Array.from(authorization.signature, (b, i) => (i === 5 ? b ^ 1 : b)) },
      // The signature of another session of the same account does not transfer.
      { ...authorization, signature: authorizeSession(account, keyPair.publicKey, NOW + 2 * HOUR).signature },
    ];
    for (const auth of changed) expect(codeOf(() => verifySessionAuthorization(auth, NOW))).toBe('BAD_SIGNATURE');
  });

  it('refuse an account key that is not the named account with BAD_ADDRESS', () => {
    const forged = authorizeSession(stranger, keyPair.publicKey, NOW + HOUR);
    expect(codeOf(() => verifySessionAuthorization({ ...forged, account: account.address }, NOW))).toBe(
      'BAD_ADDRESS',
    );
    expect(
      codeOf(() => verifySessionAuthorization({ ...authorization, accountPublicKey: stranger.publicKey }, NOW)),
    ).toBe('BAD_ADDRESS');
    const otherScheme = scheme === 'falcon' ? 'ecdsa' : 'falcon';
    expect(codeOf(() => verifySessionAuthorization({ ...authorization, scheme: otherScheme }, NOW))).toBe(
      'BAD_ADDRESS',
    );
  });

  it('round-trip the transport encoding exactly', () => {
    const bytes = encodeSessionAuthorization(authorization);
    const decoded = decodeSessionAuthorization(bytes);
    expect(decoded).toEqual(authorization);
    expect(verifySessionAuthorization(decoded, NOW)).toBeDefined();
    expect(codeOf(() => decodeSessionAuthorization(bytes.subarray(0, bytes.length - 1)))).toBe('BAD_ENCODING');
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(codeOf(() => decodeSessionAuthorization(longer))).toBe('BAD_ENCODING');
  });
});

describe('session authorisation layout', () => {
  it('is domain-separated and fixed', () => {
    const account = accounts.ecdsa;
    const session = new Uint8Array(32).fill(7);
    const message = sessionAuthorizationMessage({
      sessionPublicKey: session,
      account: account.address,
      scheme: 'ecdsa',
      accountPublicKey: account.publicKey,
      expiresAt: 0x0102030405,
    });
    const hex = toHex(message);
    expect(hex.startsWith(`${toHex(utf8('AME-SESSION-v1'))}00` + '0117')).toBe(true);
    expect(hex.endsWith(`${'07'.repeat(32)}0000000102030405`)).toBe(true);
    expect(message).toHaveLength(15 + 2 + 20 + 2 + 33 + 32 + 8);
  });

  it('refuses bad expiries and session keys when signing', () => {
    expect(codeOf(() => authorizeSession(accounts.ecdsa, new Uint8Array(31), NOW))).toBe('BAD_KEY');
    expect(codeOf(() => authorizeSession(accounts.ecdsa, new Uint8Array(32), -1))).toBe('BAD_ENCODING');
    expect(codeOf(() => authorizeSession(accounts.ecdsa, new Uint8Array(32), 1.5))).toBe('BAD_ENCODING');
  });

  it('decodes arbitrary bytes with typed errors only', () => {
    const valid = encodeSessionAuthorization(createSession(accounts.ecdsa, NOW + HOUR, random).authorization);
    const check = (bytes: Uint8Array): void => {
      try {
        const auth = decodeSessionAuthorization(bytes);
        verifySessionAuthorization(auth, NOW);
      } catch (error) {
        expect(error).toBeInstanceOf(CryptoError);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { seed: 21, numRuns: 1000 });
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const mutated = Uint8Array.from(valid);
        mutated[at]! ^= xor;
        expect(() => verifySessionAuthorization(decodeSessionAuthorization(mutated), NOW)).toThrow(CryptoError);
      }),
      { seed: 22, numRuns: 500 },
    );
  });
});
