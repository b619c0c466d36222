/**
 * The device's own broker login on an external Mosquitto (SPEC §9; docs/device.md "Telemetry"): the fleet creates a
 * dynamic-security client for the device and sends its URL, username and password in a `mqtt-credentials`
 * command signed by the fleet's command key. Only a command that passed the verifier (signature, command key,
 * device, sequence) reaches `parseCredentials`; the client then stores the credentials here and logs in with them
 * from then on instead of a login token.
 *
 * The file is JSON, written atomically (a synced temporary file renamed over the old one, then the folder synced)
 * with mode 0600: a crash leaves the old credentials or the new ones, never half of either.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SECRET_MODE, writeFileAtomic } from '../../node/client/json-file.ts';
import type { CommandResult, JsonValue, VerifiedCommand } from '../../node/fleetproto/index.ts';
import { TelemetryError } from './errors.ts';
import type { TelemetryLogger } from './logger.ts';

/** The command's name (fleet/controller/credentials-delivery.ts sends it). */
export const MQTT_CREDENTIALS_COMMAND = 'mqtt-credentials';
/** The file's name beside the telemetry store, unless the client is told another path. */
export const CREDENTIALS_FILE = 'mqtt-credentials.json';

export interface MqttCredentials {
  /** The broker to log in to; absent: the client's own `url`. */
  readonly url?: string;
  readonly username: string;
  readonly password: string;
}

const MAX_FIELD = 1_024;
// A username with control characters could forge lines in the device's log.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The credentials in a command's args or the stored file; BAD_CREDENTIALS naming the field otherwise. */
export function parseCredentials(value: unknown): MqttCredentials {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TelemetryError('BAD_CREDENTIALS', 'mqtt credentials are {url?, username, password}');
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'url' && key !== 'username' && key !== 'password') throw new TelemetryError('BAD_CREDENTIALS', `mqtt credentials: unknown field ${JSON.stringify(key.slice(0, 32))}`);
  }
  const text = (key: string, required: boolean): string | undefined => {
    const v = o[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_FIELD || CONTROL.test(v)) {
      throw new TelemetryError('BAD_CREDENTIALS', `mqtt credentials: ${key} must be 1…${MAX_FIELD} characters of text`);
    }
    return v;
  };
  const url = text('url', false);
  if (url !== undefined && !/^mqtts?:\/\/[^\s/]+/.test(url)) throw new TelemetryError('BAD_CREDENTIALS', 'mqtt credentials: url must be mqtt:// or mqtts://');
  return { ...(url === undefined ? {} : { url }), username: text('username', true)!, password: text('password', true)! };
}

/** The stored credentials, or undefined when none were received yet; BAD_STORE for a file that does not parse. */
export function loadCredentials(path: string): MqttCredentials | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return parseCredentials(JSON.parse(readFileSync(path, 'utf8')) as unknown);
  } catch (cause) {
    throw new TelemetryError('BAD_STORE', `${path} does not hold mqtt credentials: ${(cause as Error).message}`, { cause });
  }
}

/** Stores credentials durably (mode 0600) before the client uses them; STORE_FAILED if the disk refuses. */
export function saveCredentials(path: string, credentials: MqttCredentials): void {
  try {
    writeFileAtomic(path, `${JSON.stringify(credentials)}\n`, SECRET_MODE);
    // The rename is durable only once the folder's entry is on disk.
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (cause) {
    throw new TelemetryError('STORE_FAILED', `cannot store mqtt credentials in ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** Refused logins in a row with fixed credentials before the client falls back to its token login. */
export const CREDENTIAL_REFUSALS = 3;
/** mqtt.js's CONNACK refusals of a login (MQTT 3.1.1 return codes 4 and 5). */
const LOGIN_REFUSED = /Connection refused: (Not authorized|Bad username or password)/i;

/**
 * The telemetry client's choice of login: the fixed credentials (stored ones first, else the caller's), or the
 * signed login token. Credentials the broker keeps refusing (its dynamic-security client was reset, the password
 * changed behind the device's back) would lock the device out for good, so after CREDENTIAL_REFUSALS refusals in a
 * row the client logs in with its token at its own `url` again, where the fleet delivers new credentials; the
 * stored ones stay until then.
 */
export class FixedLogin {
  readonly #path: string;
  readonly #url: string;
  readonly #logger: TelemetryLogger | undefined;
  #credentials: MqttCredentials | undefined;
  /** The seq of an accepted credentials command whose answer has not gone out yet; then the session moves. */
  #switchSeq: number | undefined;
  #refusals = 0;
  #fallback = false;

  constructor(path: string, url: string, given: MqttCredentials | undefined, logger: TelemetryLogger | undefined) {
    this.#path = path;
    this.#url = url;
    this.#logger = logger;
    try {
      this.#credentials = given === undefined ? undefined : parseCredentials(given);
    } catch (error) {
      throw new TelemetryError('BAD_OPTIONS', (error as Error).message);
    }
  }

  /** Reads the stored credentials, which win over the caller's (BAD_STORE for a broken file). */
  load(): void {
    this.#credentials = loadCredentials(this.#path) ?? this.#credentials;
  }

  /** The login to use now: undefined means the login token. */
  current(): MqttCredentials | undefined {
    return this.#fallback ? undefined : this.#credentials;
  }

  /** A verified credentials command: stored before anything else changes, used from the next session on. */
  accept(command: VerifiedCommand): JsonValue {
    const credentials = parseCredentials(command.args);
    saveCredentials(this.#path, credentials);
    this.#credentials = credentials;
    this.#fallback = false;
    this.#refusals = 0;
    this.#switchSeq = command.seq;
    const shown = { url: credentials.url ?? this.#url, username: credentials.username };
    this.#logger?.info(shown, 'mqtt credentials stored');
    return shown;
  }

  /** True when `result` is the answer to the accepted credentials: once it is out, the session should move. */
  answered(result: CommandResult): boolean {
    if (result.kind !== 'cmd' || !result.ok || result.seq === null || result.seq !== this.#switchSeq) return false;
    this.#switchSeq = undefined;
    return true;
  }

  served(): void {
    this.#refusals = 0;
  }

  /** Counts a failed session; a login refusal with fixed credentials towards the fallback. */
  failed(error: Error): void {
    if (this.current() === undefined || !LOGIN_REFUSED.test(error.message)) return;
    if (++this.#refusals < CREDENTIAL_REFUSALS) return;
    this.#fallback = true;
    this.#logger?.warn({ refusals: this.#refusals, url: this.#url }, 'mqtt credentials refused: back to the token login');
  }
}
