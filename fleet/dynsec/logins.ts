/**
 * Per-device logins on an external Mosquitto through its dynamic-security plugin (SPEC §9): each device gets a
 * client named by its id, with a random password and a role of its own (acl.ts); revoking disables the client,
 * which the plugin also kicks off the broker at once. Commands go in batches (several per message), so a thousand
 * devices are provisioned in a few dozen messages.
 *
 * The passwords are returned to the caller, which delivers each to its device in a signed command
 * (docs/fleetproto.md "Mosquitto backend"); nothing here keeps or logs them.
 */
import { assertDeviceId, FleetProtoError } from '../../node/fleetproto/index.ts';
import type { RandomSource } from '../../node/crypto/index.ts';
import {
  CONTROLLER_ROLE,
  controllerAcls,
  createDeviceCommands,
  deleteDeviceCommands,
  type DynsecCommand,
} from './acl.ts';
import type { DynsecAdmin, DynsecLogger } from './admin.ts';
import { DynsecError } from './errors.ts';

/** Random bytes in a device password: 192 bits, as base64url text. */
const PASSWORD_BYTES = 24;
const DEFAULT_BATCH = 100;

export interface DynsecLoginsOptions {
  readonly admin: DynsecAdmin;
  readonly random: RandomSource;
  /** Commands per message (default 100, i.e. 50 devices). */
  readonly batchSize?: number;
  readonly logger?: DynsecLogger;
}

export interface DynsecLogins {
  /** Creates each device's role and client; resolves to the password of each, by device id. */
  provision(deviceIds: readonly string[]): Promise<Map<string, string>>;
  /** A new random password for a device that has a client already. */
  rotatePassword(deviceId: string): Promise<string>;
  /** Disables the client: it cannot log in, and a live connection is dropped. */
  disable(deviceId: string): Promise<void>;
  enable(deviceId: string): Promise<void>;
  /** Deletes the client and its role. */
  remove(deviceId: string): Promise<void>;
  /** A controller account: publishes cmd and desired of any device, reads everything under the devices root. */
  addController(username: string, password: string): Promise<void>;
  /** What a Revoker calls (fleet/enrol): revoking a device disables its client. */
  readonly name: string;
  revoke(deviceId: string): Promise<void>;
}

export function createDynsecLogins(options: DynsecLoginsOptions): DynsecLogins {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isSafeInteger(batchSize) || batchSize < 2 || batchSize > 10_000) {
    throw new DynsecError('BAD_OPTIONS', `batch size must be 2 … 10000 commands, got ${batchSize}`);
  }
  const { admin, logger } = options;
  const password = () => Buffer.from(options.random(PASSWORD_BYTES)).toString('base64url');

  /** Runs commands in batches, a device's commands never split across two messages; throws on any refusal. */
  async function run(groups: readonly DynsecCommand[][], what: string): Promise<void> {
    const batches: DynsecCommand[][] = [[]];
    for (const group of groups) {
      if (batches.at(-1)!.length + group.length > batchSize) batches.push([]);
      batches.at(-1)!.push(...group);
    }
    const refusals: string[] = [];
    for (const batch of batches) {
      const responses = await admin.execute(batch);
      responses.forEach((response, i) => {
        if (response.error !== undefined) refusals.push(`${describe(batch[i]!)}: ${response.error}`);
      });
    }
    if (refusals.length > 0) {
      logger?.warn({ refused: refusals.length, first: refusals[0] }, `dynamic security refused to ${what}`);
      const more = refusals.length > 3 ? ` (and ${refusals.length - 3} more)` : '';
      throw new DynsecError('REFUSED', `cannot ${what}: ${refusals.slice(0, 3).join('; ')}${more}`);
    }
  }

  const one = async (deviceId: string, command: string, what: string) =>
    run([[{ command, username: deviceIdOf(deviceId) }]], `${what} ${deviceId}`);

  return {
    name: 'mosquitto dynamic security',
    async provision(deviceIds) {
      const passwords = new Map<string, string>();
      for (const id of deviceIds) passwords.set(deviceIdOf(id), password());
      const commands = [...passwords].map(([id, pw]) => createDeviceCommands(id, pw));
      await run(commands, `provision ${passwords.size} devices`);
      logger?.info({ devices: passwords.size }, 'dynamic security: devices provisioned');
      return passwords;
    },
    async rotatePassword(deviceId) {
      const pw = password();
      const command = { command: 'setClientPassword', username: deviceIdOf(deviceId), password: pw };
      await run([[command]], `set the password of ${deviceId}`);
      return pw;
    },
    disable: (deviceId) => one(deviceId, 'disableClient', 'disable'),
    enable: (deviceId) => one(deviceId, 'enableClient', 'enable'),
    revoke: (deviceId) => one(deviceId, 'disableClient', 'disable'),
    async remove(deviceId) {
      await run([deleteDeviceCommands(deviceIdOf(deviceId))], `delete ${deviceId}`);
    },
    async addController(username, pw) {
      if (username === '' || pw === '') {
        throw new DynsecError('BAD_OPTIONS', 'a controller needs a username and password');
      }
      await run(
        [
          [
            { command: 'createRole', rolename: CONTROLLER_ROLE, acls: controllerAcls() },
            { command: 'createClient', username, password: pw, roles: [{ rolename: CONTROLLER_ROLE }] },
          ],
        ],
        `add the controller ${username}`,
      );
    },
  };
}

function deviceIdOf(text: string): string {
  try {
    return assertDeviceId(text);
  } catch (cause) {
    if (!(cause instanceof FleetProtoError)) throw cause;
    throw new DynsecError('BAD_OPTIONS', cause.message, { cause });
  }
}

/** A command as a log line names it: never its password. */
function describe(command: DynsecCommand): string {
  const who = command['username'] ?? command['rolename'];
  return `${command.command} ${typeof who === 'string' ? who : ''}`.trim();
}
