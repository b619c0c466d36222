/**
 * The controller's own MQTT connection (mqtt.js, MQTT 3.1.1): on the embedded broker it logs in as a controller
 * identity (username = its PeerId, password = a login token it signs for the broker; a fresh token before every
 * reconnect, since tokens expire), on an external broker with what its URL and options say. It publishes desired
 * states (retained, QoS 1) and hands every message it receives to the subscribers.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { peerIdOf, type Ed25519KeyPair } from '../../node/crypto/index.ts';
import { deviceTopics, issueLoginToken } from '../../node/fleetproto/index.ts';
import type { DesiredPublisher } from './director-service.ts';
import { ControllerError } from './errors.ts';

export interface ControllerLinkOptions {
  readonly url: string;
  /** Log in as this controller identity with a login token for `brokerId` (the embedded broker). */
  readonly identity?: { readonly key: Ed25519KeyPair; readonly brokerId: string };
  /** Username and password for an external broker (ignored with `identity`). */
  readonly username?: string;
  readonly password?: string;
  readonly now: () => number;
  /** Distinguishes several connections of one identity (the broker's client id is `<PeerId>/<suffix>`). */
  readonly clientSuffix?: string;
}

export interface ControllerLink extends DesiredPublisher {
  readonly client: MqttClient;
  close(): Promise<void>;
}

export async function connectControllerLink(o: ControllerLinkOptions): Promise<ControllerLink> {
  const options: IClientOptions = { protocolVersion: 4, reconnectPeriod: 1_000, connectTimeout: 10_000, clean: true };
  if (o.identity !== undefined) {
    const { key, brokerId } = o.identity;
    const id = peerIdOf(key);
    Object.assign(options, { clientId: `${id}/${o.clientSuffix ?? 'controller'}`, username: id, password: issueLoginToken(key, { brokerId, now: o.now() }) });
  } else {
    if (o.username !== undefined) options.username = o.username;
    if (o.password !== undefined) options.password = o.password;
  }
  const client = connect(o.url, options);
  if (o.identity !== undefined) {
    const { key, brokerId } = o.identity;
    client.on('close', () => {
      client.options.password = issueLoginToken(key, { brokerId, now: o.now() });
    });
  }
  // Desired-state publishes are small packets: no Nagle delay waiting for the broker's ACKs (docs/bench.md "fleet").
  client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
  client.on('error', () => undefined); // refusals surface through the first connect below, later ones through close
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('closed before CONNACK')));
    });
  } catch (cause) {
    await client.endAsync(true);
    throw new ControllerError('CONNECT_FAILED', `the controller cannot log in to ${o.url}: ${(cause as Error).message}`, { cause });
  }
  return {
    client,
    async publishDesired(deviceId, payload) {
      try {
        await client.publishAsync(deviceTopics(deviceId).desired, Buffer.from(payload), { qos: 1, retain: true });
      } catch (cause) {
        throw new ControllerError('PUBLISH_FAILED', `desired state of ${deviceId} not published: ${(cause as Error).message}`, { cause });
      }
    },
    async close() {
      await client.endAsync();
    },
  };
}
