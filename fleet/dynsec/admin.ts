/**
 * An admin client of Mosquitto's dynamic-security plugin (mqtt.js): it publishes `{ "commands": [ … ] }` on
 * `$CONTROL/dynamic-security/v1` and matches the answers on `…/response` by the `correlationData` it gives each
 * command, so several messages may be in flight at once. One message carries many commands, which is what makes
 * provisioning a thousand devices quick.
 *
 * Lifecycle: start once (resolves once logged in and subscribed), stop once. Commands waiting when the connection
 * drops fail with CLOSED; mqtt.js reconnects on its own and later commands go through.
 */
import { connect, type MqttClient } from 'mqtt';
import type { DynsecCommand } from './acl.ts';
import { DynsecError } from './errors.ts';

export const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
export const RESPONSE_TOPIC = `${CONTROL_TOPIC}/response`;

/** The part of a pino logger the backend uses; pass a child logger (`logger.child({ mod: 'dynsec' })`). */
export interface DynsecLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface DynsecResponse {
  readonly command: string;
  /** The plugin's error text, when it refused the command. */
  readonly error?: string;
  readonly data?: unknown;
}

export interface DynsecAdminOptions {
  /** The broker, `mqtt://host:port` or `mqtts://…`. */
  readonly url: string;
  /** An account whose role may publish and subscribe on `$CONTROL/dynamic-security/#`. */
  readonly username: string;
  readonly password: string;
  readonly clientId?: string;
  /** How long a command may wait for its answer (default 30 s). */
  readonly timeoutMs?: number;
  readonly logger?: DynsecLogger;
}

export interface DynsecAdmin {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sends `commands` in one message; resolves to the plugin's answer to each, in order (errors included). */
  execute(commands: readonly DynsecCommand[]): Promise<DynsecResponse[]>;
}

export function createDynsecAdmin(options: DynsecAdminOptions): DynsecAdmin {
  if (!/^mqtts?:\/\//.test(options.url)) throw new DynsecError('BAD_OPTIONS', 'broker URL must be mqtt:// or mqtts://');
  if (options.username === '' || options.password === '') {
    throw new DynsecError('BAD_OPTIONS', 'the admin client needs a username and a password');
  }
  return new MqttDynsecAdmin(options);
}

interface Pending {
  readonly resolve: (response: DynsecResponse) => void;
  readonly reject: (error: DynsecError) => void;
}

class MqttDynsecAdmin implements DynsecAdmin {
  readonly #o: DynsecAdminOptions;
  readonly #pending = new Map<string, Pending>();
  #client: MqttClient | undefined;
  #state: 'new' | 'started' | 'stopped' = 'new';
  #next = 0;
  /** Distinguishes this client's correlation data from another admin's answers on the shared response topic. */
  readonly #prefix = `ame-${process.pid}-${Math.floor(performance.now())}`;

  constructor(options: DynsecAdminOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new DynsecError('CLOSED', `an admin client is started once (${this.#state})`);
    this.#state = 'started';
    const client = connect(this.#o.url, {
      protocolVersion: 4,
      username: this.#o.username,
      password: this.#o.password,
      ...(this.#o.clientId === undefined ? {} : { clientId: this.#o.clientId }),
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
    });
    this.#client = client;
    client.on('message', (topic, payload) => {
      if (topic === RESPONSE_TOPIC) this.#answer(payload);
    });
    client.on('close', () => this.#failPending(new DynsecError('CLOSED', 'the admin connection closed')));
    // Without a listener an 'error' event (a refused reconnect, a reset socket) would throw out of the process.
    client.on('error', (error) => this.#o.logger?.warn({ err: error.message }, 'dynamic-security admin error'));
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      await client.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
    } catch (cause) {
      await this.stop();
      throw new DynsecError('CONNECT_FAILED', `dynamic-security admin cannot log in to ${this.#o.url}`, { cause });
    }
    this.#o.logger?.info({ url: this.#o.url }, 'dynamic-security admin connected');
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#failPending(new DynsecError('CLOSED', 'the admin client stopped'));
    await this.#client?.endAsync(true);
  }

  async execute(commands: readonly DynsecCommand[]): Promise<DynsecResponse[]> {
    const client = this.#client;
    if (client === undefined || this.#state !== 'started') {
      throw new DynsecError(this.#state === 'new' ? 'NOT_STARTED' : 'CLOSED', 'the admin client is not running');
    }
    if (commands.length === 0) return [];
    const tagged = commands.map((command) => ({ ...command, correlationData: `${this.#prefix}-${this.#next++}` }));
    const answers = tagged.map((command) => this.#await(command.correlationData, command.command));
    try {
      await client.publishAsync(CONTROL_TOPIC, JSON.stringify({ commands: tagged }), { qos: 1 });
    } catch (cause) {
      for (const command of tagged) this.#settle(command.correlationData)?.reject(closed(cause));
    }
    return Promise.all(answers);
  }

  #await(correlation: string, command: string): Promise<DynsecResponse> {
    const timeoutMs = this.#o.timeoutMs ?? 30_000;
    return new Promise<DynsecResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlation);
        reject(new DynsecError('TIMEOUT', `no answer to ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(correlation, {
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  #settle(correlation: string): Pending | undefined {
    const pending = this.#pending.get(correlation);
    this.#pending.delete(correlation);
    return pending;
  }

  /** An answer message: anything not shaped as the plugin answers, or not ours, is ignored (and logged). */
  #answer(payload: Buffer): void {
    let responses: unknown;
    try {
      responses = (JSON.parse(payload.toString('utf8')) as { responses?: unknown }).responses;
    } catch {
      responses = undefined;
    }
    if (!Array.isArray(responses)) {
      this.#o.logger?.warn({ bytes: payload.length }, 'dynamic-security answer is not {"responses": […]}');
      return;
    }
    for (const item of responses as unknown[]) {
      if (item === null || typeof item !== 'object') continue;
      const { command, error, data, correlationData } = item as Record<string, unknown>;
      if (typeof correlationData !== 'string') continue;
      const pending = this.#settle(correlationData);
      if (pending === undefined) continue;
      pending.resolve({
        command: typeof command === 'string' ? command : '',
        ...(typeof error === 'string' ? { error } : {}),
        ...(data === undefined ? {} : { data }),
      });
    }
  }

  #failPending(error: DynsecError): void {
    for (const [correlation, pending] of this.#pending) {
      this.#pending.delete(correlation);
      pending.reject(error);
    }
  }
}

function closed(cause: unknown): DynsecError {
  return new DynsecError('CLOSED', 'the command could not be sent: the admin connection is down', { cause });
}
