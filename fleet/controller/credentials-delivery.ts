/**
 * Devices' own passwords on an external Mosquitto (SPEC §9): a device enrols on the controller's embedded broker
 * (the enrolment broker) with its provisioning token; once it is online there, the controller creates its
 * dynamic-security client (fleet/dynsec: its own random password and role) and sends it, in a `mqtt-credentials`
 * command signed by the fleet's command key, the URL, username and password to use from then on. The device
 * stores them and moves to Mosquitto (device/telemetry/credentials.ts); its `cmd/result` confirms the delivery.
 *
 * A device that comes online on the enrolment broker again (it missed the command, or Mosquitto kept refusing the
 * password it had, so it fell back to its token login) gets a new password and a new command: nothing is kept of a
 * password once sent. Commands
 * carry the controller's clock (ms) as their sequence number, raised past the last one sent, so the numbers grow
 * across restarts without a stored counter.
 */
import type { MqttClient } from 'mqtt';
import type { Ed25519KeyPair } from '../../node/crypto/index.ts';
import {
  decodeCommandResult,
  decodeOnline,
  deviceTopics,
  parseDeviceTopic,
  signCommand,
  TOPIC_ROOT,
} from '../../node/fleetproto/index.ts';
import { DynsecError, type DynsecLogins } from '../dynsec/index.ts';

/** The command's name, as the device's telemetry client knows it. */
export const MQTT_CREDENTIALS_COMMAND = 'mqtt-credentials';

export interface CredentialsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface CredentialsDeliveryOptions {
  /** The controller's connection to the enrolment broker (may subscribe to devices' topics and publish `cmd`). */
  readonly client: MqttClient;
  readonly logins: Pick<DynsecLogins, 'provision' | 'rotatePassword'>;
  readonly commandKey: Ed25519KeyPair;
  /** The Mosquitto URL devices are told to use (as they reach it). */
  readonly deviceUrl: string;
  /** Whether a device may get a login: enrolled and not revoked. */
  readonly enrolled: (deviceId: string) => boolean;
  readonly now: () => number;
  /** Sequence numbers shared with the controller's other signed commands (default: its own, from `now`). */
  readonly sequence?: () => number;
  readonly logger?: CredentialsLogger;
}

export interface CredentialsDelivery {
  start(): Promise<void>;
  /** Creates (or renews) the device's login and sends it the signed command; resolves once published. */
  deliver(deviceId: string): Promise<void>;
  /** Devices whose `cmd/result` confirmed their credentials since the start. */
  confirmed(): readonly string[];
  stop(): Promise<void>;
}

export function createCredentialsDelivery(o: CredentialsDeliveryOptions): CredentialsDelivery {
  const pending = new Map<string, number>();
  const confirmed = new Set<string>();
  const queues = new Map<string, Promise<void>>();
  let lastSeq = 0;
  const filters = [`${TOPIC_ROOT}/+/online`, `${TOPIC_ROOT}/+/cmd/result`];

  async function send(deviceId: string): Promise<void> {
    let password: string;
    try {
      password = (await o.logins.provision([deviceId])).get(deviceId)!;
    } catch (error) {
      // Already a client (an earlier delivery it never confirmed, or a controller restart): a new password.
      if (!(error instanceof DynsecError && error.code === 'REFUSED' && /already exists/i.test(error.message))) throw error;
      password = await o.logins.rotatePassword(deviceId);
    }
    const seq = o.sequence !== undefined ? o.sequence() : (lastSeq = Math.max(o.now(), lastSeq + 1));
    const args = { url: o.deviceUrl, username: deviceId, password };
    const payload = signCommand(o.commandKey, { device: deviceId, seq, time: o.now(), name: MQTT_CREDENTIALS_COMMAND, args });
    pending.set(deviceId, seq);
    await o.client.publishAsync(deviceTopics(deviceId).cmd, Buffer.from(payload), { qos: 1 });
    o.logger?.info({ device: deviceId, seq }, 'mqtt credentials sent');
  }

  function deliver(deviceId: string): Promise<void> {
    const run = (queues.get(deviceId) ?? Promise.resolve()).then(() => send(deviceId));
    const settled = run.catch(() => undefined);
    queues.set(deviceId, settled);
    void settled.then(() => {
      if (queues.get(deviceId) === settled) queues.delete(deviceId);
    });
    return run;
  }

  /** Never throws: whatever a device publishes, the delivery goes on. */
  function onMessage(topic: string, payload: Buffer): void {
    let parsed: ReturnType<typeof parseDeviceTopic>;
    try {
      parsed = parseDeviceTopic(topic);
    } catch {
      return;
    }
    const id = parsed.deviceId;
    try {
      if (parsed.kind === 'online') {
        // Any device online here needs credentials: one that has working ones stays on Mosquitto.
        if (decodeOnline(payload) && o.enrolled(id)) {
          deliver(id).catch((error: unknown) => o.logger?.warn({ device: id, code: (error as { code?: string }).code, err: (error as Error).message }, 'mqtt credentials not delivered'));
        }
        return;
      }
      const result = decodeCommandResult(payload);
      if (result.kind !== 'cmd' || result.seq === null || pending.get(id) !== result.seq) return;
      pending.delete(id);
      if (result.ok) {
        confirmed.add(id);
        o.logger?.info({ device: id }, 'mqtt credentials confirmed by the device');
      } else {
        o.logger?.warn({ device: id, code: result.code }, 'the device refused its mqtt credentials');
      }
    } catch {
      // a malformed report: not ours to judge here (the device watch counts it)
    }
  }

  return {
    async start() {
      o.client.on('message', onMessage);
      await o.client.subscribeAsync(filters, { qos: 1 });
    },
    deliver,
    confirmed: () => [...confirmed],
    async stop() {
      o.client.off('message', onMessage);
      await Promise.all(queues.values());
    },
  };
}
