/**
 * DIR/bootstrap.json: how a device or a tool joins the network `ame up` runs in DIR — the managers' multiaddrs of
 * this start (ports change with every start, so it is rewritten each time) and the genesis file the light client
 * starts from. `ame device --join DIR` reads it (docs/cli.md).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PeerRef } from '../../node/net/index.ts';
import { CliError } from '../errors.ts';
import { GENESIS_FILE } from './up-config.ts';

export const BOOTSTRAP_FILE = 'bootstrap.json';

export interface Bootstrap {
  /** Multiaddrs ending in /p2p/<PeerId>, one or more per manager. */
  readonly managers: readonly string[];
  /** The genesis file (absolute path). */
  readonly genesis: string;
  /** Circuit relays devices behind NAT reserve a slot on (the ring servers): multiaddrs ending in /p2p/<PeerId>. */
  readonly relays?: readonly string[];
  /** Worker Ring servers a device routes from to replicate its blobs: multiaddrs ending in /p2p/<PeerId>. */
  readonly ring?: readonly string[];
  /** The peers that decide the ring map (ring/join): where a promoted device joins as a ring server. */
  readonly ringAuthority?: readonly string[];
  /** The fleet's MQTT broker a device reports to (`ame up` embeds one): its URL and the id login tokens name. */
  readonly fleet?: FleetContact;
}

export interface FleetContact {
  readonly url: string;
  readonly brokerId: string;
  /** The fleet's command key (hex Ed25519 public key): a device obeys only commands it signed. */
  readonly commandKey: string;
  /** The provisioning token a device presents at its first login, to be enrolled (docs/fleetproto.md "Enrolment"). */
  readonly provisioningToken?: string;
}

const withPeer = (p: PeerRef) => p.addrs.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${p.id}`));

export function writeBootstrap(
  dir: string,
  managers: readonly PeerRef[],
  relays: readonly PeerRef[] = [],
  ring: readonly PeerRef[] = [],
  ringAuthority: readonly PeerRef[] = [],
  fleet?: FleetContact,
): void {
  const body: Bootstrap = {
    managers: managers.flatMap(withPeer),
    genesis: join(dir, GENESIS_FILE),
    ...(relays.length === 0 ? {} : { relays: relays.flatMap(withPeer) }),
    ...(ring.length === 0 ? {} : { ring: ring.flatMap(withPeer) }),
    ...(ringAuthority.length === 0 ? {} : { ringAuthority: ringAuthority.flatMap(withPeer) }),
    ...(fleet === undefined ? {} : { fleet }),
  };
  const path = join(dir, BOOTSTRAP_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** DIR/bootstrap.json; NOT_FOUND when `ame up` never ran there, BAD_INPUT when it does not hold a bootstrap. */
export function readBootstrap(dir: string): Bootstrap {
  const path = join(dir, BOOTSTRAP_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliError(missing ? 'NOT_FOUND' : 'BAD_INPUT', missing ? `${path} does not exist: is \`ame up --data ${dir}\` running?` : `${path}: ${(cause as Error).message}`, { cause });
  }
  const b = raw as Partial<Bootstrap> | null;
  if (b === null || !Array.isArray(b.managers) || !b.managers.every((m) => typeof m === 'string') || typeof b.genesis !== 'string') {
    throw new CliError('BAD_INPUT', `${path} does not hold {managers: [multiaddr…], genesis: path}`);
  }
  const list = (value: unknown) => (Array.isArray(value) && value.every((r) => typeof r === 'string') ? (value as string[]) : []);
  const f = b.fleet as Partial<FleetContact> | undefined;
  const token = typeof f?.provisioningToken === 'string' ? { provisioningToken: f.provisioningToken } : {};
  const fleet =
    typeof f?.url === 'string' && typeof f.brokerId === 'string' && typeof f.commandKey === 'string'
      ? { fleet: { url: f.url, brokerId: f.brokerId, commandKey: f.commandKey, ...token } }
      : {};
  return { managers: b.managers, genesis: b.genesis, relays: list(b.relays), ring: list(b.ring), ringAuthority: list(b.ringAuthority), ...fleet };
}
