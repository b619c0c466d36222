/**
 * One MQTT connection of the device (mqtt.js, MQTT 3.1.1), with its own reconnect turned off: the telemetry
 * client makes a new session, with a fresh login token, for every attempt, and owns the outbox, so mqtt.js never
 * queues or resends anything on its own. Every promise here settles when the connection closes, which mqtt.js's
 * do not always do (a QoS 1 publish the broker refused by closing the connection never settles).
 */
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';

export interface SessionOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  readonly will: { readonly topic: string; readonly payload: string };
  readonly connectTimeoutMs: number;
  readonly keepaliveSeconds: number;
}

export type MessageListener = (topic: string, payload: Uint8Array, packet: IPublishPacket) => void;

export class SessionClosedError extends Error {
  constructor(why: string) {
    super(`MQTT connection closed: ${why}`);
    this.name = 'SessionClosedError';
  }
}

export class Session {
  /** Resolves once the broker accepted the connection; rejects if it closes first (with the broker's reason). */
  readonly ready: Promise<void>;
  /** Resolves when the connection has closed, for whatever reason. */
  readonly closed: Promise<void>;
  readonly #client: MqttClient;
  readonly #closedError: Promise<never>;
  #lastError: Error | undefined;
  #isClosed = false;
  #isConnected = false;

  constructor(options: SessionOptions, onMessage: MessageListener) {
    const mqttOptions: IClientOptions = {
      protocolVersion: 4,
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      // A persistent session: commands the fleet sends while the device is away wait for it at the broker.
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: options.connectTimeoutMs,
      keepalive: options.keepaliveSeconds,
      will: { topic: options.will.topic, payload: Buffer.from(options.will.payload), qos: 1, retain: true },
    };
    const client = connect(options.url, mqttOptions);
    this.#client = client;
    client.on('message', (topic, payload, packet) => onMessage(topic, new Uint8Array(payload), packet));
    // Small packets both ways (commands, their results): Nagle's algorithm against the broker's delayed ACKs would
    // hold each ≈ 40 ms (docs/bench.md "fleet").
    client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
    client.on('error', (error) => {
      this.#lastError = error;
    });
    this.closed = new Promise<void>((resolve) => {
      client.once('close', () => {
        this.#isClosed = true;
        this.#isConnected = false;
        // No reconnects, no stores kept: the outbox is the only queue.
        client.end(true);
        resolve();
      });
    });
    this.#closedError = this.closed.then(() => {
      throw new SessionClosedError(this.#lastError?.message ?? 'connection lost');
    });
    this.#closedError.catch(() => undefined);
    this.ready = Promise.race([
      new Promise<void>((resolve) =>
        client.once('connect', () => {
          this.#isConnected = true;
          resolve();
        }),
      ),
      this.#closedError,
    ]);
    this.ready.catch(() => undefined);
  }

  /** True between the broker's CONNACK and the connection's close. */
  get isConnected(): boolean {
    return this.#isConnected;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Publishes with QoS 1; resolves on the broker's PUBACK, rejects with SessionClosedError if the connection goes. */
  publish(topic: string, payload: Uint8Array | string, retain: boolean): Promise<void> {
    if (this.#isClosed) return Promise.reject(new SessionClosedError('already closed'));
    const body =
      typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const acked = this.#client.publishAsync(topic, body, { qos: 1, retain }).then(() => undefined);
    return Promise.race([acked, this.#closedError]);
  }

  /** Subscribes with QoS 1; resolves to the topics the broker refused. */
  async subscribe(topics: readonly string[]): Promise<string[]> {
    if (this.#isClosed) throw new SessionClosedError('already closed');
    try {
      await Promise.race([this.#client.subscribeAsync([...topics], { qos: 1 }), this.#closedError]);
      return [];
    } catch (error) {
      // mqtt.js rejects a SUBACK with any refusal in it; the SUBACK's codes say which filters were refused.
      const granted = (error as { packet?: { granted?: unknown } }).packet?.granted;
      if (!Array.isArray(granted)) throw error;
      return topics.filter((_, i) => typeof granted[i] !== 'number' || (granted[i] & 0x80) !== 0);
    }
  }

  /** A clean DISCONNECT: the broker discards the will. */
  async end(): Promise<void> {
    if (this.#isClosed) return;
    await Promise.race([this.#client.endAsync(), this.closed]);
  }

  /** Drops the connection without DISCONNECT: the broker publishes the will. */
  destroy(): void {
    this.#client.end(true);
  }
}
