/**
 * The device's side of the fleet's MQTT contract (SPEC §9): a client that logs in with a fresh signed token on
 * every connection, keeps `online` (retained `true`, last will `false`), publishes state, telemetry, events and
 * command results through a durable outbox, and answers every command and desired state it receives: accepted
 * ones go to the injected handlers, refused ones (unsigned, forged, stale, replayed, for another device) only get
 * a `cmd/result` saying why.
 *
 * Lifecycle: start once, stop once. While the broker is away the client retries with exponential back-off and
 * keeps queueing; what was queued goes out in order when it is back, even after a restart of the process.
 */
import { dirname, join } from 'node:path';
import type { Ed25519KeyPair, Ed25519PublicKey } from '../../node/crypto/index.ts';
import { peerIdOf } from '../../node/crypto/index.ts';
import {
  CommandVerifier,
  DEFAULT_TOKEN_LIFETIME_MS,
  deviceTopics,
  encodeJson,
  issueLoginToken,
  OFFLINE_PAYLOAD,
  ONLINE_PAYLOAD,
  type DeviceTopics,
  type JsonObject,
  type JsonValue,
  type VerifiedCommand,
  type VerifiedDesired,
} from '../../node/fleetproto/index.ts';
import { CREDENTIALS_FILE, FixedLogin, MQTT_CREDENTIALS_COMMAND, type MqttCredentials } from './credentials.ts';
import { TelemetryError } from './errors.ts';
import { IncomingCommands } from './incoming.ts';
import type { TelemetryLogger } from './logger.ts';
import { Session } from './session.ts';
import { TelemetryStore, type OutboxKind } from './store.ts';

export type ConnectionStatus = 'connected' | 'disconnected';

export interface TelemetryClientOptions {
  /** The broker, `mqtt://host:port` (or `mqtts://` for TLS). */
  readonly url: string;
  /** The id login tokens name; the fleet tells the device with its broker URL. */
  readonly brokerId: string;
  /** The node key: its PeerId is the device id, and it signs the login tokens. */
  readonly nodeKey: Ed25519KeyPair;
  /** The fleet's command key; commands and desired state signed by any other key are refused. */
  readonly commandKey: Uint8Array | Ed25519PublicKey;
  /** The SQLite file of the outbox and the accepted sequence numbers. */
  readonly storePath: string;
  /**
   * Runs an accepted command; what it returns is the result's `detail`, what it throws a FAILED result.
   * `mqtt-credentials` never reaches it: the client itself stores and uses those (credentials.ts).
   */
  readonly onCommand: (command: VerifiedCommand) => JsonValue | void | Promise<JsonValue | void>;
  /** Applies accepted desired state. */
  readonly onDesired: (desired: VerifiedDesired) => void | Promise<void>;
  /** Periodic telemetry: `sample` is called every `intervalMs` and published on `telemetry`. */
  readonly telemetry?: { readonly intervalMs: number; readonly sample: () => JsonObject | Promise<JsonObject> };
  /** Told whenever the connection comes up or goes down. */
  readonly onStatus?: (status: ConnectionStatus) => void;
  readonly clock?: { now(): number };
  readonly logger?: TelemetryLogger;
  readonly tokenLifetimeMs?: number;
  /**
   * The fleet's provisioning token (`mqtt.provisioningToken`): sent after the login token (`<token>.<provisioning
   * token>`) so that an embedded broker enrols this device at its first login (docs/fleetproto.md "Enrolment");
   * once enrolled, the broker ignores it.
   */
  readonly provisioningToken?: string;
  /**
   * A fixed login instead of the signed login token: username, password and, if given, another broker URL (a
   * device's own password on an external Mosquitto). Credentials received later in a signed `mqtt-credentials`
   * command (stored at `credentialsPath`) take precedence, also after a restart.
   */
  readonly credentials?: MqttCredentials;
  /** Where received credentials are kept (mode 0600); default `mqtt-credentials.json` beside `storePath`. */
  readonly credentialsPath?: string;
  /** Back-off between connection attempts: from `minDelayMs` (default 500), doubling up to `maxDelayMs` (30 s). */
  readonly reconnect?: { readonly minDelayMs?: number; readonly maxDelayMs?: number };
  readonly connectTimeoutMs?: number;
  readonly keepaliveSeconds?: number;
  /** Most messages the outbox holds; past it the oldest telemetry is dropped first (default 100,000). */
  readonly maxBuffered?: number;
}

export interface TelemetryClient {
  readonly deviceId: string;
  readonly topics: DeviceTopics;
  /** True while a broker session is up (logged in, subscribed, online published). */
  readonly connected: boolean;
  start(): Promise<void>;
  /** Publishes `online=false`, disconnects cleanly and closes the store. What is still queued stays queued. */
  stop(): Promise<void>;
  /** Queues the retained state report; durable when it returns. Returns the message's msgId. */
  publishState(state: JsonObject): number;
  publishTelemetry(metrics: JsonObject): number;
  publishEvent(type: string, data?: JsonObject): number;
  /** Messages queued and not yet acknowledged by a broker. */
  buffered(): number;
}

export function createTelemetryClient(options: TelemetryClientOptions): TelemetryClient {
  return new MqttTelemetryClient(options);
}

/** Messages published at once before waiting for their acknowledgements. */
const WINDOW = 32;
const DEFAULT_MAX_BUFFERED = 100_000;

class MqttTelemetryClient implements TelemetryClient {
  readonly deviceId: string;
  readonly topics: DeviceTopics;
  readonly #o: TelemetryClientOptions;
  readonly #clock: { now(): number };
  readonly #maxBuffered: number;
  readonly #login: FixedLogin;
  /** The answer to new credentials is queued: once it is out, the session ends and the next uses them. */
  #switchPending = false;
  /** The last state report, sent again on the broker the credentials name: retained state stays where it was sent. */
  #lastState: JsonObject | undefined;
  #resendState = false;
  #store: TelemetryStore | undefined;
  #incoming: IncomingCommands | undefined;
  #connected = false;
  #state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  #running: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  #telemetryTimer: NodeJS.Timeout | undefined;
  /** Resolves the waiters of the moment: the pump, when something was queued. */
  #notifyQueued: () => void = () => undefined;
  /** Resolves once stop is called: every wait of the run loop races it. */
  readonly #stopRequested: Promise<void>;
  #requestStop: () => void = () => undefined;

  constructor(options: TelemetryClientOptions) {
    if (!/^mqtts?:\/\//.test(options.url)) {
      throw new TelemetryError('BAD_OPTIONS', 'broker URL must be mqtt:// or mqtts://');
    }
    const interval = options.telemetry?.intervalMs;
    if (interval !== undefined && !(Number.isSafeInteger(interval) && interval >= 10)) {
      throw new TelemetryError('BAD_OPTIONS', `telemetry interval must be at least 10 ms, got ${interval}`);
    }
    this.#maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    if (!Number.isSafeInteger(this.#maxBuffered) || this.#maxBuffered < 1) {
      throw new TelemetryError('BAD_OPTIONS', `maxBuffered must be a positive integer`);
    }
    const credentialsPath = options.credentialsPath ?? join(dirname(options.storePath), CREDENTIALS_FILE);
    this.#login = new FixedLogin(credentialsPath, options.url, options.credentials, options.logger);
    this.#o = options;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.deviceId = peerIdOf(options.nodeKey);
    this.topics = deviceTopics(this.deviceId);
    this.#stopRequested = new Promise((resolve) => (this.#requestStop = resolve));
  }

  get connected(): boolean {
    return this.#connected;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') {
      throw new TelemetryError('CLOSED', `a telemetry client is started once (state: ${this.#state})`);
    }
    this.#login.load();
    const store = new TelemetryStore(this.#o.storePath);
    this.#store = store;
    const verifier = new CommandVerifier({ deviceId: this.deviceId, commandKey: this.#o.commandKey, sequences: store });
    this.#incoming = new IncomingCommands({
      topics: this.topics,
      verifier,
      onCommand: (command) => (command.name === MQTT_CREDENTIALS_COMMAND ? this.#login.accept(command) : this.#o.onCommand(command)),
      onDesired: this.#o.onDesired,
      answer: (result) => {
        this.#enqueue('cmd/result', this.topics.cmdResult, false, result as unknown as JsonObject);
        if (this.#login.answered(result)) {
          this.#switchPending = true;
          this.#notifyQueued();
        }
      },
      logger: this.#o.logger,
    });
    this.#state = 'started';
    this.#o.logger?.info({ device: this.deviceId, queued: store.size }, 'telemetry client starting');
    this.#running = this.#run();
    this.#scheduleTelemetry();
  }

  stop(): Promise<void> {
    if (this.#state === 'new') this.#state = 'stopped';
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#state !== 'started') return;
    this.#state = 'stopping';
    clearTimeout(this.#telemetryTimer);
    this.#requestStop();
    await this.#running;
    await this.#incoming?.drained();
    this.#state = 'stopped';
    this.#store?.close();
    this.#o.logger?.info({ device: this.deviceId }, 'telemetry client stopped');
  }

  publishState(state: JsonObject): number {
    this.#lastState = state;
    return this.#enqueue('state', this.topics.state, true, state);
  }

  publishTelemetry(metrics: JsonObject): number {
    return this.#enqueue('telemetry', this.topics.telemetry, false, { metrics });
  }

  publishEvent(type: string, data: JsonObject = {}): number {
    return this.#enqueue('events', this.topics.events, false, { type, data });
  }

  buffered(): number {
    return this.#store?.size ?? 0;
  }

  #enqueue(kind: OutboxKind, topic: string, retain: boolean, body: JsonObject): number {
    const store = this.#store;
    if (store === undefined || this.#state === 'stopped') {
      throw new TelemetryError('CLOSED', 'the telemetry client is not running');
    }
    const time = this.#clock.now();
    const build = (msgId: number) => encodeJson({ ...body, msgId, time });
    const { id, dropped } = store.enqueue(kind, topic, retain, build, this.#maxBuffered);
    if (dropped > 0) {
      this.#o.logger?.warn({ dropped, limit: this.#maxBuffered }, 'telemetry outbox full: dropped the oldest messages');
    }
    this.#notifyQueued();
    return id;
  }

  /** Resolved by the next queued message; made in the same turn as the check before it, so no wake-up is lost. */
  #nextQueued(): Promise<void> {
    return new Promise((resolve) => (this.#notifyQueued = resolve));
  }

  /** Connect, serve the session until it closes, back off, again; until stop. */
  async #run(): Promise<void> {
    let failures = 0;
    while (this.#state === 'started') {
      const session = this.#openSession();
      const served = await this.#serve(session);
      this.#setConnected(false);
      if (this.#state !== 'started') {
        await this.#goOffline(session);
        return;
      }
      session.destroy();
      await session.closed;
      failures = served ? 0 : failures + 1;
      await this.#sleep(this.#backoff(failures));
    }
  }

  /** Serves one session until it closes or stop is called; true if it got as far as publishing `online`. */
  async #serve(session: Session): Promise<boolean> {
    let served = false;
    try {
      await Promise.race([session.ready, this.#stopRequested]);
      if (this.#state !== 'started') return served;
      const refused = await session.subscribe([this.topics.cmd, this.topics.desired]);
      if (refused.length > 0) this.#o.logger?.warn({ refused }, 'broker refused our subscriptions');
      await session.publish(this.topics.online, ONLINE_PAYLOAD, true);
      served = true;
      this.#login.served();
      this.#setConnected(true);
      if (this.#resendState && this.#lastState !== undefined) this.publishState(this.#lastState);
      this.#resendState = false;
      await this.#pump(session);
    } catch (error) {
      if (this.#state === 'started') {
        this.#o.logger?.warn({ err: (error as Error).message, url: this.#login.current()?.url ?? this.#o.url }, 'broker connection failed');
        this.#login.failed(error as Error);
      }
    }
    return served;
  }

  #openSession(): Session {
    const now = this.#clock.now();
    const fixed = this.#login.current();
    return new Session(
      {
        url: fixed?.url ?? this.#o.url,
        clientId: this.deviceId,
        username: fixed?.username ?? this.deviceId,
        password: fixed?.password ?? [
          issueLoginToken(this.#o.nodeKey, {
            brokerId: this.#o.brokerId,
            now,
            lifetimeMs: this.#o.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS,
          }),
          ...(this.#o.provisioningToken === undefined ? [] : [this.#o.provisioningToken]),
        ].join('.'),
        will: { topic: this.topics.online, payload: OFFLINE_PAYLOAD },
        connectTimeoutMs: this.#o.connectTimeoutMs ?? 10_000,
        keepaliveSeconds: this.#o.keepaliveSeconds ?? 30,
      },
      (topic, payload, packet) => this.#incoming?.receive(topic, payload, packet.retain),
    );
  }

  /** Publishes what the outbox holds, in order, until the session closes or stop is called. */
  async #pump(session: Session): Promise<void> {
    const store = this.#store!;
    while (this.#state === 'started' && !session.isClosed) {
      const rows = store.peek(WINDOW);
      if (rows.length === 0) {
        if (this.#switchPending) {
          // The credentials' answer is out: end this session so that the next logs in with them.
          this.#switchPending = false;
          this.#resendState = true;
          this.#o.logger?.info({ device: this.deviceId }, 'reconnecting with the new mqtt credentials');
          return;
        }
        await Promise.race([this.#nextQueued(), session.closed, this.#stopRequested]);
        continue;
      }
      // Issued together, they go out on the socket in this order; each leaves the outbox on its own PUBACK.
      await Promise.all(
        rows.map((row) => session.publish(row.topic, row.payload, row.retain).then(() => store.remove(row.id))),
      );
    }
  }

  /** A clean goodbye: `online=false` (the will is discarded on DISCONNECT), then DISCONNECT. */
  async #goOffline(session: Session): Promise<void> {
    if (session.isConnected) {
      try {
        await Promise.race([session.publish(this.topics.online, OFFLINE_PAYLOAD, true), sleep(2_000)]);
        await Promise.race([session.end(), sleep(2_000)]);
      } catch {
        // the connection went while saying goodbye: the broker publishes the will instead
      }
    }
    session.destroy();
    await session.closed;
  }

  #setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    const what = connected ? 'connected to the fleet broker' : 'disconnected from the fleet broker';
    this.#o.logger?.info({ device: this.deviceId }, what);
    this.#o.onStatus?.(connected ? 'connected' : 'disconnected');
  }

  #backoff(failures: number): number {
    const min = this.#o.reconnect?.minDelayMs ?? 500;
    const max = this.#o.reconnect?.maxDelayMs ?? 30_000;
    return Math.min(max, min * 2 ** Math.min(failures, 20));
  }

  /** Sleeps, or returns early when stop is called. */
  async #sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), this.#stopRequested]);
    clearTimeout(timer);
  }

  #scheduleTelemetry(): void {
    const telemetry = this.#o.telemetry;
    if (telemetry === undefined || this.#state !== 'started') return;
    this.#telemetryTimer = setTimeout(() => {
      Promise.resolve()
        .then(() => telemetry.sample())
        .then((metrics) => {
          if (this.#state === 'started') this.publishTelemetry(metrics);
        })
        .catch((err: unknown) => this.#o.logger?.warn({ err: (err as Error).message }, 'telemetry sample failed'))
        .finally(() => this.#scheduleTelemetry());
    }, telemetry.intervalMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
