/**
 * The fleet's embedded MQTT broker (SPEC §10): aedes on a TCP listener, with the login check of login.ts and
 * the ACLs of acl.ts installed as aedes hooks. aedes speaks MQTT 3.1.1 only, which is all the contract needs.
 *
 * A broker is started once and stopped once; a restart is a new broker (with the same id, so devices' tokens
 * stay valid). Refusals are logged with their code and the client id, never with the token.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { AmeError } from '../../node/crypto/index.ts';
import { FleetProtoError } from '../../node/fleetproto/index.ts';
import { publishRefusal, subscribeRefusal, type ClientIdentity } from './acl.ts';
import { BrokerError } from './errors.ts';
import { checkLogin, type EnrolOnLogin, type KeyRegistry, type LoginPolicy } from './login.ts';

/** The part of a pino logger the broker uses; pass a child logger (`logger.child({ mod: 'broker' })`). */
export interface BrokerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface FleetBrokerOptions {
  /** The id login tokens must name; stable across restarts of the same broker. */
  readonly brokerId: string;
  /** Enrolled device keys by device id; a device missing here cannot log in. */
  readonly devices: KeyRegistry;
  /** Controller identities (fleet controller processes) allowed to publish cmd and desired. */
  readonly controllers?: KeyRegistry;
  /**
   * Enrolment at first login (fleet/enrol): a device not yet enrolled logs in with `<login token>.<provisioning
   * token>` as its password. Without it such a device is refused as not enrolled.
   */
  readonly enrol?: EnrolOnLogin;
  /** Interface to listen on (default 127.0.0.1) and port (default 0: the system picks a free one). */
  readonly host?: string;
  readonly port?: number;
  /** The broker's clock for token expiry (default Date.now). */
  readonly clock?: { now(): number };
  readonly logger?: BrokerLogger;
  readonly maxTokenLifetimeMs?: number;
  readonly clockSkewMs?: number;
}

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
  /** `mqtt://host:port`, what a device or controller connects to. */
  readonly url: string;
}

export interface FleetBroker {
  readonly id: string;
  /** Where the broker listens; NOT_STARTED before start resolves. */
  readonly address: BrokerAddress;
  start(): Promise<BrokerAddress>;
  stop(): Promise<void>;
  /** Drops a connected client at once (its last will is published), e.g. after revoking it; false if not connected. */
  disconnect(clientId: string): boolean;
  /** Identities of the clients connected now. */
  clients(): ClientIdentity[];
}

export function createFleetBroker(options: FleetBrokerOptions): FleetBroker {
  return new AedesFleetBroker(options);
}

// CONNACK return codes of MQTT 3.1.1 §3.2.2.3 (aedes declares them as a const enum, which erasable syntax cannot use).
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

class AedesFleetBroker implements FleetBroker {
  readonly id: string;
  readonly #options: FleetBrokerOptions;
  readonly #policy: LoginPolicy;
  readonly #identities = new WeakMap<Client, ClientIdentity>();
  readonly #connected = new Map<string, Client>();
  readonly #sockets = new Set<Socket>();
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  #address: BrokerAddress | undefined;
  #state: 'new' | 'starting' | 'started' | 'stopped' = 'new';

  constructor(options: FleetBrokerOptions) {
    if (typeof options.brokerId !== 'string' || options.brokerId === '' || options.brokerId.length > 128) {
      throw new BrokerError('BAD_OPTIONS', 'brokerId must be 1…128 characters');
    }
    this.id = options.brokerId;
    this.#options = options;
    const clock = options.clock ?? { now: () => Date.now() };
    this.#policy = {
      brokerId: options.brokerId,
      devices: options.devices,
      controllers: options.controllers,
      now: () => clock.now(),
      maxTokenLifetimeMs: options.maxTokenLifetimeMs,
      clockSkewMs: options.clockSkewMs,
      enrol: options.enrol,
    };
  }

  get address(): BrokerAddress {
    if (this.#address === undefined) throw new BrokerError('NOT_STARTED', 'the broker is not listening');
    return this.#address;
  }

  async start(): Promise<BrokerAddress> {
    if (this.#state !== 'new') throw new BrokerError('CLOSED', `a broker is started once (state: ${this.#state})`);
    this.#state = 'starting';
    const aedes = await Aedes.createBroker({
      id: this.id,
      authenticate: (client, username, password, done) => this.#authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => {
        // A null client is aedes publishing the stored will of a client that is gone; it passed this check
        // when that client connected, as the will's topic is fixed then.
        const refusal = client === null ? undefined : this.#refusePublish(client, packet.topic);
        done(refusal === undefined ? null : new BrokerError('NOT_ALLOWED', refusal));
      },
      authorizeSubscribe: (client, subscription, done) => {
        const identity = this.#identities.get(client);
        const refusal = identity === undefined ? 'not logged in' : subscribeRefusal(identity, subscription.topic);
        if (refusal === undefined) return done(null, subscription);
        const topic = subscription.topic.slice(0, 200);
        this.#options.logger?.warn({ client: client.id, topic, why: refusal }, 'broker refused a subscription');
        done(null, null); // SUBACK 0x80 for this filter; the connection stays up
      },
    });
    // 'client' comes after a successful login and before CONNACK, so a client that has its CONNACK is listed.
    aedes.on('client', (client) => this.#connected.set(client.id, client));
    aedes.on('clientDisconnect', (client) => {
      if (this.#connected.get(client.id) === client) this.#connected.delete(client.id);
    });
    aedes.on('clientError', (client, err) => {
      this.#options.logger?.debug({ client: client.id, err: err.message }, 'broker client error');
    });
    this.#aedes = aedes;

    const server = createServer((socket) => {
      // Commands and their results are small packets: without this, Nagle's algorithm meeting the peer's delayed
      // ACK holds each one ≈ 40 ms (the fleet bench's command round trip went 87 → see docs/bench.md "fleet").
      socket.setNoDelay(true);
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      aedes.handle(socket);
    });
    this.#server = server;
    const host = this.#options.host ?? '127.0.0.1';
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.#options.port ?? 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (cause) {
      await this.stop();
      throw new BrokerError('LISTEN_FAILED', `cannot listen on ${host}:${this.#options.port ?? 0}`, { cause });
    }
    const bound = server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    this.#address = { host, port, url: `mqtt://${urlHost}:${port}` };
    this.#state = 'started';
    this.#options.logger?.info({ broker: this.id, url: this.#address.url }, 'broker listening');
    return this.#address;
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    const server = this.#server;
    const closed =
      server?.listening === true ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const aedes = this.#aedes;
    if (aedes !== undefined) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    this.#address = undefined;
    this.#options.logger?.info({ broker: this.id }, 'broker stopped');
  }

  disconnect(clientId: string): boolean {
    const client = this.#connected.get(clientId);
    if (client === undefined) return false;
    this.#options.logger?.info({ client: clientId }, 'broker dropping client');
    client.close();
    return true;
  }

  clients(): ClientIdentity[] {
    const out: ClientIdentity[] = [];
    for (const client of this.#connected.values()) {
      const identity = this.#identities.get(client);
      if (identity !== undefined) out.push(identity);
    }
    return out;
  }

  #authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    checkLogin(this.#policy, { clientId: client.id, username, password }).then(
      (identity) => {
        this.#identities.set(client, identity);
        this.#options.logger?.debug({ client: client.id, role: identity.role }, 'broker login');
        done(null, true);
      },
      (error: unknown) => {
        const code = error instanceof AmeError ? error.code : 'FAILED';
        this.#options.logger?.warn({ client: client.id, code }, 'broker refused a login');
        const refusal = Object.assign(new Error(`login refused: ${code}`), { returnCode: connackOf(error) });
        done(refusal as AuthenticateError, false);
      },
    );
  }

  #refusePublish(client: Client, topic: string): string | undefined {
    const identity = this.#identities.get(client);
    const refusal = identity === undefined ? 'not logged in' : publishRefusal(identity, topic);
    if (refusal !== undefined) {
      const shown = topic.slice(0, 200);
      this.#options.logger?.warn({ client: client.id, topic: shown, why: refusal }, 'broker refused a publish');
    }
    return refusal;
  }
}

/**
 * The CONNACK code of a refused login: 4 for a token at fault, 2 for a client id that is not the identity's, 5
 * for an identity that is not enrolled or an enrolment refused (revoked, a bad provisioning token), 3 when a store
 * failed or anything unexpected happened.
 */
function connackOf(error: unknown): number {
  if (error instanceof FleetProtoError) return BAD_USERNAME_OR_PASSWORD;
  if (error instanceof BrokerError) return error.code === 'BAD_CLIENT_ID' ? IDENTIFIER_REJECTED : NOT_AUTHORIZED;
  if (error instanceof AmeError && error.code !== 'STORE_FAILED') return NOT_AUTHORIZED;
  return SERVER_UNAVAILABLE;
}
