/**
 * `ame up`'s fleet side: the fleet's MQTT broker (fleet/broker, aedes) on 127.0.0.1 and the fleet's command key,
 * whose public half every device is told (bootstrap.json `fleet`) so it takes only commands that key signed. The
 * key's seed lives in DIR/fleet-command.key (hex, mode 0600), made on the first start: the fleet controller signs
 * with it. Enrolment is open on this local network: any device that proves its key (its login token is signed
 * by it) logs in as itself, and the broker's ACLs keep it to its own topics (docs/fleetproto.md).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createFleetBroker, type FleetBroker } from '../../fleet/broker/index.ts';
import { writeFileAtomic, SECRET_MODE } from '../../node/client/json-file.ts';
import { ed25519KeyFromPeerId, Ed25519KeyPair, fromHex, toHex } from '../../node/crypto/index.ts';
import { CliError } from '../errors.ts';
import type { FleetContact } from './up-bootstrap.ts';

export const FLEET_COMMAND_KEY_FILE = 'fleet-command.key';
/** The id the local broker's login tokens name. */
export const LOCAL_BROKER_ID = 'ame-local';

export interface UpFleet {
  readonly broker: FleetBroker;
  /** What bootstrap.json tells devices. */
  readonly contact: FleetContact;
  readonly commandKey: Ed25519KeyPair;
  /** PeerIds of the devices logged in now. */
  online(): Set<string>;
}

/** The fleet's command key of DIR, made on the first start. */
export function loadOrCreateCommandKey(dir: string): Ed25519KeyPair {
  const path = join(dir, FLEET_COMMAND_KEY_FILE);
  if (!existsSync(path)) writeFileAtomic(path, `${toHex(new Uint8Array(randomBytes(32)))}\n`, SECRET_MODE);
  const text = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new CliError('BAD_INPUT', `${path} does not hold a 32-byte seed in hex`);
  return Ed25519KeyPair.fromSeed(fromHex(text, 'seed', 32));
}

/** The Ed25519 key inside a device id (its PeerId); undefined for anything else. */
function keyOfPeerId(id: string): Uint8Array | undefined {
  try {
    return ed25519KeyFromPeerId(id);
  } catch {
    return undefined;
  }
}

export async function startUpFleet(dir: string, port: number, logger: Logger): Promise<UpFleet> {
  const commandKey = loadOrCreateCommandKey(dir);
  const broker = createFleetBroker({ brokerId: LOCAL_BROKER_ID, port, devices: { publicKey: keyOfPeerId }, logger: logger.child({ mod: 'broker' }) });
  const { url } = await broker.start();
  return {
    broker,
    commandKey,
    contact: { url, brokerId: broker.id, commandKey: toHex(commandKey.publicKey.bytes) },
    online: () => new Set(broker.clients().flatMap((c) => (c.role === 'device' ? [c.id] : []))),
  };
}
