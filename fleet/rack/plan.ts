/**
 * What a rack Unity is made of: six hosts (host i holds role i of SPEC §7: 0 command intake, 1–2 ring messaging,
 * 3–4 client requests and computation, 5 the hot standby), the ports every server uses, the folder on each host and
 * the command that runs `ame` there; and the files each host needs — its node key, the genesis and the config of
 * `ame manager run` (docs/cli.md), whose peers are the six servers at their fixed addresses.
 */
import { peerIdOf } from '../../node/crypto/index.ts';
import { seedKey } from '../../node/ledger/index.ts';
import type { PeerRef } from '../../node/net/index.ts';
import { RackError } from './errors.ts';
import type { RackHost } from './executor.ts';

/** A Unity is six servers (SPEC §7). */
export const RACK_SIZE = 6;
export const DEFAULT_P2P_PORT = 7610;
export const DEFAULT_HTTP_PORT = 7700;
export const DEFAULT_ROOT = '/var/lib/ame-rack';

export interface RackPlan {
  readonly chainName: string;
  /** Host i holds role i. */
  readonly hosts: readonly RackHost[];
  /** The libp2p port every server listens on, at its host's address. */
  readonly p2pPort: number;
  /** The explorer API's port every server listens on, at its host's address (health checks read it). */
  readonly httpPort: number;
  /** The folder on each host; host H's files are in ROOT/H. */
  readonly root: string;
  /** How to run `ame` on the hosts, e.g. ["/opt/ame/bin/ame"] — the release each server runs. */
  readonly command: readonly string[];
  /** How the tools reach the hosts: `ssh` (hosts' `target` = SSH destination) or `local` (this machine; `target` = a network namespace). */
  readonly executor: 'ssh' | 'local';
}

export interface HostFile {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly mode: number;
}

export interface HostLayout {
  readonly host: RackHost;
  readonly role: number;
  readonly folder: string;
  readonly files: readonly HostFile[];
  /** The server's arguments after the `ame` command of the release it runs. */
  readonly args: readonly string[];
  readonly logFile: string;
  /** Where its explorer API answers. */
  readonly api: string;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function hostError(message: string): RackError {
  return new RackError('BAD_HOSTS', message);
}

/** The hosts list of `--hosts FILE`: six `{name, address, target?}`, names and addresses distinct. */
export function parseHosts(raw: unknown): RackHost[] {
  if (!Array.isArray(raw)) throw hostError('the hosts file must be a JSON list of {"name", "address", "target"?}');
  if (raw.length !== RACK_SIZE) throw hostError(`a rack Unity takes exactly ${RACK_SIZE} hosts (roles 0–5), not ${raw.length}`);
  const hosts = raw.map((item: unknown, i): RackHost => {
    const h = item as Partial<RackHost> | null;
    if (typeof h !== 'object' || h === null) throw hostError(`host ${i} is not an object`);
    if (typeof h.name !== 'string' || !NAME.test(h.name)) throw hostError(`host ${i}: "name" must be 1–32 of a-z, 0-9 and -, starting with a letter or digit`);
    if (typeof h.address !== 'string' || !IPV4.test(h.address)) throw hostError(`host ${i} (${h.name}): "address" must be an IPv4 address the other hosts reach`);
    if (h.target !== undefined && (typeof h.target !== 'string' || h.target === '' || h.target.startsWith('-'))) {
      throw hostError(`host ${i} (${h.name}): "target" must be an SSH destination or a network namespace name`);
    }
    return h.target === undefined ? { name: h.name, address: h.address } : { name: h.name, address: h.address, target: h.target };
  });
  for (const key of ['name', 'address'] as const) {
    const seen = new Set<string>();
    for (const h of hosts) {
      if (seen.has(h[key])) throw hostError(`two hosts have the ${key} ${h[key]}`);
      seen.add(h[key]);
    }
  }
  return hosts;
}

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/** The libp2p peers of a plan's servers (node keys `managers`, host i's at i). */
export function rackPeers(plan: RackPlan, managers: readonly string[]): PeerRef[] {
  return plan.hosts.map((host, i) => ({ id: peerIdOf(seedKey(managers[i]!)), addrs: [`/ip4/${host.address}/tcp/${plan.p2pPort}`] }));
}

/**
 * Every host's files, command line and API address for this plan, these node keys and this genesis. `ring`: the
 * servers of the existing ring this rack joined — its servers entered by a reconfigure, so they have no genesis
 * index, start by state sync (`sync: true`, harmless on a restart: a data folder with a chain is reopened) and
 * know the existing servers' addresses as well as each other's.
 */
export function layoutRack(plan: RackPlan, secrets: { readonly managers: readonly string[] }, genesis: Uint8Array, ring?: readonly PeerRef[]): HostLayout[] {
  const own = rackPeers(plan, secrets.managers);
  const peers = ring === undefined ? own : [...ring, ...own];
  return plan.hosts.map((host, role) => {
    const folder = `${plan.root}/${host.name}`;
    const config = {
      genesis: 'genesis.cbor',
      nodeKey: 'node.key',
      ...(ring === undefined ? { index: role } : { sync: true }),
      peers,
      listen: [`/ip4/${host.address}/tcp/${plan.p2pPort}`],
      dataDir: 'data',
      http: { host: host.address, port: plan.httpPort },
      logLevel: 'info',
    };
    return {
      host,
      role,
      folder,
      files: [
        { path: `${folder}/genesis.cbor`, bytes: genesis, mode: 0o644 },
        { path: `${folder}/node.key`, bytes: new TextEncoder().encode(`${secrets.managers[role]!}\n`), mode: 0o600 },
        { path: `${folder}/manager.json`, bytes: json(config), mode: 0o644 },
      ],
      args: ['manager', 'run', '--config', `${folder}/manager.json`],
      logFile: `${folder}/manager.log`,
      api: `http://${host.address}:${plan.httpPort}`,
    };
  });
}
