/**
 * Helpers for the MQTT tests of the fleet contract: deterministic identities, an enrolment registry, a watcher
 * (a controller or anonymous client that records what it receives and waits for a matching message with a
 * timeout), and raw device connections for probing the broker's login check and ACLs.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { Ed25519KeyPair, peerIdOf, sha256, utf8 } from '../../node/crypto/index.ts';
import { issueLoginToken } from '../../node/fleetproto/index.ts';
import type { KeyRegistry } from '../../fleet/broker/index.ts';

export const keyOf = (label: string): Ed25519KeyPair => Ed25519KeyPair.fromSeed(sha256(utf8(`fleet mqtt ${label}`)));

export interface Identity {
  readonly key: Ed25519KeyPair;
  readonly id: string;
}

export const identity = (label: string): Identity => {
  const key = keyOf(label);
  return { key, id: peerIdOf(key) };
};

/** An enrolment registry backed by a map the test can change (enrol, revoke). */
export class Enrolment implements KeyRegistry {
  readonly keys = new Map<string, Uint8Array>();

  constructor(...identities: Identity[]) {
    for (const i of identities) this.enrol(i);
  }

  enrol(i: Identity): void {
    this.keys.set(i.id, i.key.publicKey.bytes);
  }

  revoke(id: string): void {
    this.keys.delete(id);
  }

  publicKey(id: string): Uint8Array | undefined {
    return this.keys.get(id);
  }
}

export interface Received {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  readonly text: string;
}

/** A subscribing client that keeps everything it receives. */
export class Watcher {
  readonly received: Received[] = [];
  readonly client: MqttClient;
  #waiters: (() => void)[] = [];

  private constructor(client: MqttClient) {
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      this.received.push({ topic, payload, retain: packet.retain, text: payload.toString('utf8') });
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Connects (as `as`, with a login token for `brokerId`, or anonymously) and subscribes to `filters`. */
  static async open(
    url: string,
    filters: string[],
    login?: { readonly as: Identity; readonly brokerId: string; readonly clientSuffix?: string },
  ): Promise<Watcher> {
    const options: IClientOptions = { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5_000 };
    if (login !== undefined) {
      Object.assign(options, {
        clientId: `${login.as.id}/${login.clientSuffix ?? 'watch'}`,
        username: login.as.id,
        password: issueLoginToken(login.as.key, { brokerId: login.brokerId, now: Date.now() }),
      });
    }
    const client = connect(url, options);
    const watcher = new Watcher(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('watcher connection closed before CONNACK')));
    });
    const grants = await client.subscribeAsync(filters, { qos: 1 });
    const refused = grants.filter((g) => g.qos === 128);
    if (refused.length > 0) throw new Error(`watcher subscription refused: ${refused.map((g) => g.topic).join(', ')}`);
    return watcher;
  }

  /** The first received message (from index `from` on) on `topic` that satisfies `match`, waiting up to `timeoutMs`. */
  async next(topic: string, match: (m: Received) => boolean = () => true, timeoutMs = 10_000, from = 0): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(from).find((m) => m.topic === topic && match(m));
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.received.map((m) => `${m.topic.split('/').slice(-2).join('/')}=${m.text.slice(0, 80)}`);
        throw new Error(`no message on ${topic} within ${timeoutMs} ms; received: ${seen.join(' | ') || 'nothing'}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Messages received on `topic`, in arrival order. */
  on(topic: string): Received[] {
    return this.received.filter((m) => m.topic === topic);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** The outcome of a raw connection attempt: the CONNACK error, if refused. */
export async function tryConnect(url: string, options: IClientOptions): Promise<{ client?: MqttClient; error?: Error }> {
  const client = connect(url, { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5_000, ...options });
  return new Promise((resolve) => {
    client.once('connect', () => resolve({ client }));
    client.once('error', (error) => {
      client.end(true);
      resolve({ error });
    });
    client.once('close', () => resolve({ error: new Error('closed before CONNACK') }));
  });
}

/** Resolves when `client`'s connection closes (or rejects after `timeoutMs`). */
export function closed(client: MqttClient, timeoutMs = 10_000): Promise<void> {
  if (client.disconnected || !client.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The SUBACK code the broker grants one filter (128 = refused); mqtt.js 5 rejects refusals, this reads them. */
export async function grantOf(client: MqttClient, filter: string): Promise<number> {
  try {
    const [grant] = await client.subscribeAsync(filter, { qos: 1 });
    return grant!.qos;
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
    if (granted === undefined) throw error;
    return granted[0]!;
  }
}
