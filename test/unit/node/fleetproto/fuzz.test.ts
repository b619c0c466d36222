/**
 * Everything of the contract that reads untrusted input — topics, device ids, login tokens (as text and as MQTT
 * password bytes), command and desired-state envelopes, device payloads — throws nothing but FleetProtoError for
 * arbitrary input and for mutations (bit flips, truncations, insertions, overwrites) of valid encodings, and never
 * accepts a mutated command.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CommandVerifier,
  decodeCommandResult,
  decodeJsonObject,
  decodeOnline,
  deviceTopics,
  FleetProtoError,
  isDeviceId,
  issueLoginToken,
  MemorySequenceStore,
  parseDeviceTopic,
  signCommand,
  signDesired,
  verifyLoginToken,
} from '../../../../node/fleetproto/index.ts';
import { bytesEqual } from '../../../../node/crypto/index.ts';
import { mutation } from '../../../support/mutation.ts';
import { commandKey, device, deviceId, T0 } from './fixtures.ts';

function onlyTyped(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof FleetProtoError) return error.code;
    throw error;
  }
  return undefined;
}

const token = issueLoginToken(device, { brokerId: 'broker', now: T0 });
const tokenBytes = new TextEncoder().encode(token);
const verifyToken = (t: string | Uint8Array) =>
  verifyLoginToken(t, { deviceId, brokerId: 'broker', enrolledKey: device.publicKey.bytes, now: T0 + 1 });
const command = signCommand(commandKey, { device: deviceId, seq: 9, time: T0, name: 'set', args: { a: [1, 'x'] } });
const desired = signDesired(commandKey, { device: deviceId, seq: 9, time: T0, state: { led: 'on' } });
const verifier = new CommandVerifier({ deviceId, commandKey: commandKey.publicKey, sequences: new MemorySequenceStore() });
const RUNS = { numRuns: 400 };

describe('untrusted input to the fleet contract', () => {
  it('valid samples pass', () => {
    expect(onlyTyped(() => verifyToken(token))).toBeUndefined();
    expect(onlyTyped(() => verifier.open('cmd', command))).toBeUndefined();
    expect(onlyTyped(() => verifier.open('desired', desired))).toBeUndefined();
  });

  it('login tokens: arbitrary text and bytes give typed errors', () => {
    fc.assert(fc.property(fc.string({ maxLength: 600 }), (t) => (onlyTyped(() => verifyToken(t)), true)), RUNS);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => (onlyTyped(() => verifyToken(b)), true)), RUNS);
  });

  it('login tokens: mutations never verify unless they decode to the same bytes', () => {
    fc.assert(
      fc.property(mutation(tokenBytes, { keepWhole: false }), (m) => {
        const code = onlyTyped(() => verifyToken(m));
        // base64url text decodes to the same bytes only when the text is the same; anything else must be refused.
        if (Buffer.from(m).toString('latin1') !== token) expect(code).toBeDefined();
        return true;
      }),
      RUNS,
    );
    const raw = Buffer.from(token, 'base64url');
    fc.assert(
      fc.property(mutation(new Uint8Array(raw), { keepWhole: false }), (m) => {
        const code = onlyTyped(() => verifyToken(Buffer.from(m).toString('base64url')));
        if (!bytesEqual(m, raw)) expect(code).toBeDefined();
        return true;
      }),
      RUNS,
    );
  });

  it('commands and desired state: arbitrary and mutated bytes give typed errors and are never accepted', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => {
      expect(onlyTyped(() => verifier.open('cmd', b))).toBeDefined();
      expect(onlyTyped(() => verifier.open('desired', b))).toBeDefined();
      return true;
    }), RUNS);
    for (const [kind, sample] of [['cmd', command], ['desired', desired]] as const) {
      fc.assert(
        fc.property(mutation(sample, { keepWhole: false }), (m) => {
          const code = onlyTyped(() => verifier.open(kind, m));
          // An overwrite with the same byte leaves the sample as it was.
          if (!bytesEqual(m, sample)) expect(code).toBeDefined();
          return true;
        }),
        RUNS,
      );
    }
  });

  it('topics, device ids and payloads: arbitrary input gives typed errors', () => {
    const topics = Object.values(deviceTopics(deviceId));
    const topicLike = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.constantFrom(...topics).chain((t) => fc.nat(t.length).map((n) => t.slice(0, n))),
      fc.tuple(fc.constantFrom(...topics), fc.string({ maxLength: 8 })).map(([t, x]) => t + x),
    );
    fc.assert(fc.property(topicLike, (t) => {
      const code = onlyTyped(() => parseDeviceTopic(t));
      if (!topics.includes(t)) expect(code).toBe('BAD_TOPIC');
      expect(typeof isDeviceId(t)).toBe('boolean');
      return true;
    }), RUNS);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      onlyTyped(() => decodeCommandResult(b));
      onlyTyped(() => decodeJsonObject(b));
      onlyTyped(() => decodeOnline(b));
      return true;
    }), RUNS);
    fc.assert(fc.property(fc.json({ maxDepth: 3 }), (j) => {
      onlyTyped(() => decodeCommandResult(new TextEncoder().encode(j)));
      return true;
    }), RUNS);
  });
});
