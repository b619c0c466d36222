/**
 * `ame up`'s fleet side: the fleet controller (fleet/controller, as `ame fleet run` runs it) in DIR/fleet, its
 * embedded MQTT broker on 127.0.0.1. Devices enrol at their first login with the provisioning token issued at each
 * start (bootstrap.json `fleet.provisioningToken` → `ame device --join`), land in the controller's registry (group
 * `local`) and obey only commands its command key signed; the admin's commands (`ame fleet devices|release|rollout
 * --fleet DIR/fleet`) reach its API through DIR/fleet/api.json.
 *
 * A folder made before the controller joined `ame up` kept the command key in DIR/fleet-command.key: it becomes
 * the controller's, so devices configured with it keep obeying.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { COMMAND_KEY_FILE, startController, type Controller } from '../../fleet/controller/index.ts';
import { Ed25519KeyPair, fromHex, toHex } from '../../node/crypto/index.ts';
import { CliError } from '../errors.ts';
import { writeApiContact } from './fleet-run.ts';
import type { FleetContact } from './up-bootstrap.ts';

/** The command key's seed in folders made before the controller (now DIR/fleet/command.key). */
export const FLEET_COMMAND_KEY_FILE = 'fleet-command.key';
export const FLEET_DIR = 'fleet';
/** The id the local broker's login tokens name. */
export const LOCAL_BROKER_ID = 'ame-local';
/** The provisioning token of one start: enough uses for every device `ame up` and `--join` bring, valid a week. */
const TOKEN_LIFETIME_MS = 7 * 24 * 3_600_000;
const TOKEN_USES = 10_000;

export interface UpFleet {
  readonly controller: Controller;
  /** What bootstrap.json tells devices. */
  readonly contact: FleetContact;
  readonly commandKey: Ed25519KeyPair;
  /** PeerIds of the devices logged in now. */
  online(): Set<string>;
}

/** The hex seed in `path`; BAD_INPUT naming the file otherwise. */
export function readSeedFile(path: string): Ed25519KeyPair {
  const text = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new CliError('BAD_INPUT', `${path} does not hold a 32-byte seed in hex`);
  return Ed25519KeyPair.fromSeed(fromHex(text, 'seed', 32));
}

/** Moves an older folder's command key to where the controller keeps it (checked first: a bad file is refused). */
function adoptLegacyCommandKey(dir: string): void {
  const legacy = join(dir, FLEET_COMMAND_KEY_FILE);
  const target = join(dir, FLEET_DIR, `${COMMAND_KEY_FILE}`);
  if (!existsSync(legacy) || existsSync(target)) return;
  readSeedFile(legacy);
  mkdirSync(join(dir, FLEET_DIR), { recursive: true, mode: 0o700 });
  copyFileSync(legacy, target);
}

export async function startUpFleet(dir: string, port: number, logger: Logger, now: () => number = Date.now): Promise<UpFleet> {
  adoptLegacyCommandKey(dir);
  const fleetDir = join(dir, FLEET_DIR);
  const controller = await startController({ dataDir: fleetDir, broker: 'embedded', brokerId: LOCAL_BROKER_ID, mqttPort: port, clock: { now }, logger: logger.child({ mod: 'fleet' }) });
  try {
    const token = await controller.enrolment.issueToken({ lifetimeMs: TOKEN_LIFETIME_MS, maxUses: TOKEN_USES, groups: ['local'] });
    writeApiContact(fleetDir, controller, now());
    return {
      controller,
      commandKey: controller.commandKey,
      contact: { url: controller.mqttUrl, brokerId: LOCAL_BROKER_ID, commandKey: toHex(controller.commandKey.publicKey.bytes), provisioningToken: token.text },
      online: () => new Set((controller.broker?.clients() ?? []).flatMap((c) => (c.role === 'device' ? [c.id] : []))),
    };
  } catch (error) {
    await controller.stop();
    throw error;
  }
}

