/**
 * Commands from an admin to one device (SPEC §9): a `fleet.cmd` envelope signed by the fleet's command key,
 * published on the device's `cmd` topic (QoS 1, not retained: a command is for now, not for whenever the device
 * comes back), and the device's answer on its `cmd/result`, matched by sequence number. Sequence numbers come from
 * one sequencer shared with every other signed command of this controller, so no two ever repeat for a device.
 */
import type { MqttClient } from 'mqtt';
import type { Ed25519KeyPair } from '../../node/crypto/index.ts';
import type { CborValue } from '../../node/wire/index.ts';
import { decodeCommandResult, deviceTopics, parseDeviceTopic, signCommand, TOPIC_ROOT, type CommandResult } from '../../node/fleetproto/index.ts';
import { ControllerError } from './errors.ts';

/** The commands an operator may send: what the device's fleet link runs (device/fleet-link.ts). */
export const ADMIN_COMMANDS = ['identify', 'status', 'reload-config'] as const;
export type AdminCommand = (typeof ADMIN_COMMANDS)[number];

/** How long a command waits for its answer unless told otherwise, and at most. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
export const MAX_COMMAND_TIMEOUT_MS = 120_000;

/** Sequence numbers for signed commands: the clock in ms, always above the last one given. */
export function createCommandSequence(now: () => number): () => number {
  let last = 0;
  return () => (last = Math.max(now(), last + 1));
}

export interface CommandSenderOptions {
  readonly client: Pick<MqttClient, 'publishAsync' | 'subscribeAsync' | 'unsubscribeAsync' | 'on' | 'off'>;
  readonly commandKey: Ed25519KeyPair;
  readonly sequence: () => number;
  readonly now: () => number;
}

export interface CommandSender {
  /** Signs and sends `name` to the device; resolves with its answer, NO_ANSWER after `timeoutMs`. */
  send(deviceId: string, name: AdminCommand, args: CborValue, timeoutMs?: number): Promise<CommandResult>;
  stop(): Promise<void>;
}

const RESULTS = `${TOPIC_ROOT}/+/cmd/result`;

export async function createCommandSender(o: CommandSenderOptions): Promise<CommandSender> {
  const waiting = new Map<string, (result: CommandResult) => void>();
  // Never throws: a device's answer that does not parse is not an answer.
  const onMessage = (topic: string, payload: Buffer) => {
    let deviceId: string;
    try {
      const parsed = parseDeviceTopic(topic);
      if (parsed.kind !== 'cmd/result') return;
      deviceId = parsed.deviceId;
      const result = decodeCommandResult(new Uint8Array(payload));
      if (result.kind !== 'cmd' || result.seq === null) return;
      waiting.get(`${deviceId} ${result.seq}`)?.(result);
    } catch {
      return;
    }
  };
  o.client.on('message', onMessage);
  await o.client.subscribeAsync(RESULTS, { qos: 1 });
  return {
    async send(deviceId, name, args, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS) {
      const seq = o.sequence();
      const key = `${deviceId} ${seq}`;
      const answered = new Promise<CommandResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(key);
          reject(new ControllerError('NO_ANSWER', `${deviceId} did not answer ${name} within ${timeoutMs / 1000} s (offline, or not connected to this broker)`));
        }, timeoutMs);
        waiting.set(key, (result) => {
          clearTimeout(timer);
          waiting.delete(key);
          resolve(result);
        });
      });
      const payload = signCommand(o.commandKey, { device: deviceId, seq, time: o.now(), name, args });
      try {
        await o.client.publishAsync(deviceTopics(deviceId).cmd, Buffer.from(payload), { qos: 1 });
      } catch (cause) {
        waiting.get(key)?.({ kind: 'cmd', seq, ok: false, code: 'PUBLISH_FAILED' });
        throw new ControllerError('PUBLISH_FAILED', `the broker did not take ${name} for ${deviceId}: ${(cause as Error).message}`, { cause });
      }
      return answered;
    },
    async stop() {
      o.client.off('message', onMessage);
      await o.client.unsubscribeAsync(RESULTS).catch(() => undefined);
    },
  };
}
