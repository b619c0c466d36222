/**
 * Many simulated devices in one process, each its own mqtt.js connection with its own credentials, for the
 * fleet's scale tests: connects run a bounded number at a time (a broker that sees a thousand SYNs at once drops
 * some), each with a generous timeout and a few retries; every device publishes its retained `state` and `online`;
 * a controller-side counter tells when every state arrived. Everything is closed by `close()`, whatever failed.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { deviceTopics, ONLINE_PAYLOAD, OFFLINE_PAYLOAD, parseDeviceTopic } from '../../node/fleetproto/index.ts';

export interface DeviceCredentials {
  readonly username: string;
  readonly password: string;
}

export interface SimDevice {
  readonly id: string;
  readonly client: MqttClient;
}

export interface FleetDevicesOptions {
  readonly url: string;
  readonly ids: readonly string[];
  /** The login of each device (its own token, or its own dynsec password). */
  readonly credentials: (id: string, index: number) => DeviceCredentials;
  /** Connects in flight at once (default 50). */
  readonly concurrency?: number;
  readonly connectTimeoutMs?: number;
  /** Attempts per device before the whole start fails (default 3). */
  readonly attempts?: number;
}

/** Runs `task` on every item with at most `limit` running at once; rejects with the first failure. */
export async function inPool<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function connectOnce(url: string, options: IClientOptions): Promise<MqttClient> {
  const client = connect(url, options);
  client.on('error', () => undefined); // a late error (a reset socket) must not throw; 'close' tells the tests
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      client.end(true);
      reject(error);
    };
    client.once('connect', () => resolve(client));
    client.once('error', fail);
    client.once('close', () => fail(new Error('closed before CONNACK')));
  });
}

export class SimFleet {
  readonly devices: SimDevice[] = [];

  private constructor() {}

  /** Connects every device (will: retained `online=false`); on any failure closes those connected and rejects. */
  static async connect(options: FleetDevicesOptions): Promise<SimFleet> {
    const fleet = new SimFleet();
    const attempts = options.attempts ?? 3;
    try {
      await inPool(options.ids, options.concurrency ?? 50, async (id, index) => {
        let lastError: unknown;
        for (let attempt = 0; attempt < attempts; attempt++) {
          try {
            const client = await connectOnce(options.url, {
              protocolVersion: 4,
              clientId: id,
              ...options.credentials(id, index),
              clean: true,
              reconnectPeriod: 0,
              connectTimeout: options.connectTimeoutMs ?? 30_000,
              keepalive: 120,
              will: { topic: deviceTopics(id).online, payload: Buffer.from(OFFLINE_PAYLOAD), qos: 1, retain: true },
            });
            fleet.devices.push({ id, client });
            return;
          } catch (error) {
            lastError = error;
            // A refused login is an answer, not congestion: retrying would not change it.
            if (/refused/i.test((error as Error).message)) break;
          }
        }
        throw new Error(`device ${index} (${id}) could not connect: ${(lastError as Error).message}`);
      });
    } catch (error) {
      await fleet.close();
      throw error;
    }
    return fleet;
  }

  /** Every device publishes its retained `online=true` and `state`, QoS 1, waiting for each PUBACK. */
  async report(state: (id: string) => object, concurrency = 100): Promise<void> {
    await inPool(this.devices, concurrency, async ({ id, client }) => {
      const topics = deviceTopics(id);
      await client.publishAsync(topics.online, ONLINE_PAYLOAD, { qos: 1, retain: true });
      await client.publishAsync(topics.state, JSON.stringify(state(id)), { qos: 1, retain: true });
    });
  }

  /** Ends every connection (forcefully: no goodbye needed) and waits until each is closed. */
  async close(): Promise<void> {
    const devices = this.devices.splice(0);
    await inPool(devices, 200, ({ client }) => client.endAsync(true));
  }
}

/**
 * The controller's view: subscribes to every device's `state` and `online` and counts distinct devices by what
 * they reported. Only topics naming a real device id count, and each device once however often it reports.
 */
export class ReportCounter {
  readonly states = new Map<string, string>();
  readonly online = new Map<string, string>();
  readonly client: MqttClient;
  #waiters: (() => void)[] = [];

  constructor(client: MqttClient) {
    this.client = client;
    client.on('message', (topic, payload) => {
      let parsed;
      try {
        parsed = parseDeviceTopic(topic);
      } catch {
        return;
      }
      if (parsed.kind === 'state') this.states.set(parsed.deviceId, payload.toString('utf8'));
      if (parsed.kind === 'online') this.online.set(parsed.deviceId, payload.toString('utf8'));
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  async subscribe(): Promise<void> {
    const grants = await this.client.subscribeAsync(['ame/v1/devices/+/state', 'ame/v1/devices/+/online'], { qos: 1 });
    if (grants.some((g) => g.qos === 128)) throw new Error('the controller may not subscribe to the device reports');
  }

  /** Waits until `ready()` holds, or throws after `timeoutMs` saying how far it got. */
  async until(ready: (counter: ReportCounter) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready(this)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`controller saw ${this.states.size} states and ${this.online.size} online flags in ${timeoutMs} ms`);
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
}

/** A logger (the debug/info/warn part of pino) that keeps every line, to check what was logged and what never was. */
export class CapturedLog {
  readonly lines: string[] = [];
  readonly debug = (obj: object, msg = '') => this.lines.push(`${msg} ${JSON.stringify(obj)}`);
  readonly info = this.debug;
  readonly warn = this.debug;

  /** Lines that contain `text`. */
  containing(text: string): string[] {
    return this.lines.filter((line) => line.includes(text));
  }
}
