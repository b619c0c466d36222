import { describe, expect, it } from 'vitest';
import {
  decodeLoginToken,
  DEFAULT_TOKEN_LIFETIME_MS,
  encodeToken,
  FleetProtoError,
  issueLoginToken,
  MAX_TOKEN_LIFETIME_MS,
  verifyLoginToken,
  type VerifyLoginTokenOptions,
} from '../../../../node/fleetproto/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { device, deviceId, flipSignatureBit, otherDevice, otherDeviceId, T0 } from './fixtures.ts';

const expected: VerifyLoginTokenOptions = {
  deviceId,
  brokerId: 'broker-a',
  enrolledKey: device.publicKey.bytes,
  now: T0 + 1_000,
};
const verify = (token: string | Uint8Array, overrides: Partial<VerifyLoginTokenOptions> = {}) =>
  codeOf(() => verifyLoginToken(token, { ...expected, ...overrides }), FleetProtoError);

describe('login tokens', () => {
  const token = issueLoginToken(device, { brokerId: 'broker-a', now: T0 });

  it('carry the device, the broker and an expiry, signed by the node key, as base64url text', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThan(400);
    const claims = verifyLoginToken(token, expected);
    const expiresAt = T0 + DEFAULT_TOKEN_LIFETIME_MS;
    expect(claims).toMatchObject({ deviceId, brokerId: 'broker-a', issuedAt: T0, expiresAt });
    expect(claims.publicKey).toEqual(device.publicKey.bytes);
    // An MQTT password arrives as bytes.
    expect(verify(Buffer.from(token))).toBeUndefined();
  });

  it('are refused past their expiry at the injected clock, and only then', () => {
    expect(verify(token, { now: T0 + DEFAULT_TOKEN_LIFETIME_MS - 1 })).toBeUndefined();
    expect(verify(token, { now: T0 + DEFAULT_TOKEN_LIFETIME_MS })).toBe('EXPIRED');
    expect(verify(token, { now: T0 + 10 * DEFAULT_TOKEN_LIFETIME_MS })).toBe('EXPIRED');
  });

  it('are refused by another broker', () => {
    expect(verify(token, { brokerId: 'broker-b' })).toBe('WRONG_BROKER');
  });

  it('are refused unless signed by the key enrolled for the username', () => {
    const forged = issueLoginToken(otherDevice, { brokerId: 'broker-a', now: T0 });
    expect(verify(forged)).toBe('BAD_SIGNATURE');
    // The other device's own token, under its username, against this device's enrolled key.
    expect(verify(forged, { deviceId: otherDeviceId })).toBe('BAD_SIGNATURE');
    expect(verify(token, { enrolledKey: otherDevice.publicKey.bytes })).toBe('BAD_SIGNATURE');
  });

  it('are refused for another username even when the enrolled key signed them', () => {
    const naming = encodeToken(device, { device: otherDeviceId, broker: 'broker-a', time: T0, expires: T0 + 60_000 });
    expect(verify(naming)).toBe('WRONG_DEVICE');
    expect(verify(token, { deviceId: otherDeviceId })).toBe('WRONG_DEVICE');
  });

  it('are refused when issued too far in the future or for too long', () => {
    const future = issueLoginToken(device, { brokerId: 'broker-a', now: T0 + 3_600_000 });
    expect(verify(future)).toBe('NOT_YET_VALID');
    expect(verify(future, { clockSkewMs: 3_600_000 })).toBeUndefined();
    const long = issueLoginToken(device, { brokerId: 'broker-a', now: T0, lifetimeMs: MAX_TOKEN_LIFETIME_MS + 1 });
    expect(verify(long)).toBe('BAD_LIFETIME');
    expect(verify(long, { maxLifetimeMs: MAX_TOKEN_LIFETIME_MS + 1 })).toBeUndefined();
    expect(codeOf(() => issueLoginToken(device, { brokerId: 'b', now: T0, lifetimeMs: 0 }), FleetProtoError)).toBe(
      'BAD_LIFETIME',
    );
  });

  it('refuse a flipped signature, a non-canonical spelling and non-text passwords', () => {
    const flipped = flipSignatureBit(Buffer.from(token, 'base64url'));
    expect(verify(Buffer.from(flipped).toString('base64url'))).toBe('BAD_SIGNATURE');
    expect(verify(`${token}=`)).toBe('MALFORMED');
    expect(verify(token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).not.toBeUndefined();
    expect(verify('')).toBe('MALFORMED');
    expect(verify(new Uint8Array([0xff, 0xfe]))).toBe('MALFORMED');
    expect(verify('A'.repeat(5000))).toBe('TOO_LARGE');
    expect(codeOf(() => decodeLoginToken('not a token!'), FleetProtoError)).toBe('MALFORMED');
  });
});
