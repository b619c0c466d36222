import { describe, expect, it } from 'vitest';
import { encodeCbor } from '../../../../node/wire/index.ts';
import {
  CommandVerifier,
  FleetProtoError,
  issueLoginToken,
  MemorySequenceStore,
  signCommand,
  signDesired,
  type SequenceStore,
} from '../../../../node/fleetproto/index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { commandKey, device, deviceId, flipSignatureBit, keyOf, otherDeviceId, T0 } from './fixtures.ts';

const cmd = (seq: number, overrides: { device?: string; key?: typeof commandKey } = {}) =>
  signCommand(overrides.key ?? commandKey, {
    device: overrides.device ?? deviceId,
    seq,
    time: T0 + seq,
    name: 'reboot',
    args: { delay: seq },
  });
const desired = (seq: number) => signDesired(commandKey, { device: deviceId, seq, time: T0, state: { led: 'on' } });

async function refusal(p: Promise<unknown>): Promise<{ code: string; seq: number | undefined } | undefined> {
  try {
    await p;
  } catch (error) {
    if (error instanceof FleetProtoError) return { code: error.code, seq: error.seq };
    throw error;
  }
  return undefined;
}

describe('signed commands', () => {
  it('verify for their device and are handed on once, in increasing sequence', async () => {
    const sequences = new MemorySequenceStore();
    const verifier = new CommandVerifier({ deviceId, commandKey: commandKey.publicKey.bytes, sequences });
    const expected = { kind: 'cmd', seq: 1, time: T0 + 1, name: 'reboot', args: { delay: 1 } };
    expect(await verifier.accept('cmd', cmd(1))).toEqual(expected);
    expect(await verifier.accept('cmd', cmd(5))).toMatchObject({ seq: 5 });
    expect(await refusal(verifier.accept('cmd', cmd(5)))).toEqual({ code: 'REPLAY', seq: 5 });
    expect(await refusal(verifier.accept('cmd', cmd(3)))).toEqual({ code: 'STALE', seq: 3 });
    expect(await refusal(verifier.accept('cmd', cmd(0)))).toEqual({ code: 'STALE', seq: 0 });
    expect(await verifier.accept('cmd', cmd(6))).toMatchObject({ seq: 6 });
  });

  it('count commands and desired state separately', async () => {
    const sequences = new MemorySequenceStore();
    const verifier = new CommandVerifier({ deviceId, commandKey: commandKey.publicKey, sequences });
    await verifier.accept('cmd', cmd(10));
    const expected = { kind: 'desired', seq: 1, time: T0, state: { led: 'on' } };
    expect(await verifier.accept('desired', desired(1))).toEqual(expected);
    expect(await refusal(verifier.accept('desired', desired(1)))).toEqual({ code: 'REPLAY', seq: 1 });
  });

  it('remember the last sequence across verifiers through the injected store', async () => {
    const store = new MemorySequenceStore();
    await new CommandVerifier({ deviceId, commandKey: commandKey.publicKey, sequences: store }).accept('cmd', cmd(7));
    const restarted = new CommandVerifier({ deviceId, commandKey: commandKey.publicKey, sequences: store });
    expect(await refusal(restarted.accept('cmd', cmd(7)))).toMatchObject({ code: 'REPLAY' });
    expect(await refusal(restarted.accept('cmd', cmd(2)))).toMatchObject({ code: 'STALE' });
  });

  it('refuse other keys, other devices, the wrong topic, unsigned and malformed input, leaving the sequence', async () => {
    const store = new MemorySequenceStore();
    const verifier = new CommandVerifier({ deviceId, commandKey: commandKey.publicKey, sequences: store });
    const open = (kind: 'cmd' | 'desired', bytes: Uint8Array) => codeOf(() => verifier.open(kind, bytes), FleetProtoError);
    expect(open('cmd', cmd(1, { key: keyOf('not the fleet') }))).toBe('BAD_SIGNATURE');
    expect(open('cmd', flipSignatureBit(cmd(1)))).toBe('BAD_SIGNATURE');
    expect(open('cmd', cmd(1, { device: otherDeviceId }))).toBe('WRONG_DEVICE');
    expect(open('desired', cmd(1))).toBe('WRONG_TYPE');
    expect(open('cmd', desired(1))).toBe('WRONG_TYPE');
    expect(open('cmd', Buffer.from(issueLoginToken(device, { brokerId: 'b', now: T0 }), 'base64url'))).toBe('WRONG_TYPE');
    expect(open('cmd', new TextEncoder().encode('{"name":"reboot","seq":99}'))).toBe('UNSIGNED');
    expect(open('cmd', encodeCbor({ type: 'fleet.cmd', v: 1, seq: 99, body: { name: 'reboot' } }))).toBe('UNSIGNED');
    expect(open('cmd', new Uint8Array([0xff, 0x00]))).toBe('MALFORMED');
    expect(open('cmd', new Uint8Array(0))).toBe('MALFORMED');
    expect(open('cmd', new Uint8Array(70_000))).toBe('TOO_LARGE');
    expect(store.last('cmd')).toBeUndefined();
  });

  it('accept nothing when the store fails', async () => {
    const failing: SequenceStore = { last: () => 0, save: () => Promise.reject(new Error('disk full')) };
    const verifier = new CommandVerifier({ deviceId, commandKey: commandKey.publicKey, sequences: failing });
    expect(await refusal(verifier.accept('cmd', cmd(1)))).toEqual({ code: 'STORE_FAILED', seq: 1 });
  });

  it('let only one of two copies arriving together through, even with an asynchronous store', async () => {
    const memory = new MemorySequenceStore();
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const asyncStore: SequenceStore = {
      last: async (stream) => (await tick(), memory.last(stream)),
      save: async (stream, seq) => (await tick(), memory.save(stream, seq)),
    };
    const verifier = new CommandVerifier({ deviceId, commandKey: commandKey.publicKey, sequences: asyncStore });
    const outcomes = await Promise.all([refusal(verifier.accept('cmd', cmd(4))), refusal(verifier.accept('cmd', cmd(4)))]);
    expect(outcomes.filter((o) => o === undefined)).toHaveLength(1);
    expect(outcomes.filter((o) => o?.code === 'REPLAY')).toHaveLength(1);
  });

  it('are not made for an invalid device id', () => {
    expect(codeOf(() => cmd(1, { device: 'ame/+' }), FleetProtoError)).toBe('BAD_DEVICE_ID');
  });
});
