/**
 * DIR/rack.json, the operator's record of a rack Unity (mode 0600: it holds the secrets): the plan, the secrets the
 * genesis came from (the managers' node keys, the governance keys that sign a recovery, the genesis accounts'
 * wallets) and, per server, the process running it and the command (release) it runs. Rewritten atomically after
 * every step, so an interrupted upgrade is resumed from what actually runs.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GenesisSecrets } from '../../node/ledger/index.ts';
import type { PeerRef } from '../../node/net/index.ts';
import { RackError } from './errors.ts';
import type { RackPlan } from './plan.ts';

export const RACK_FILE = 'rack.json';
export const RACK_GENESIS_FILE = 'genesis.cbor';
const FORMAT = 'ame-rack/1';

export interface ServerRecord {
  readonly name: string;
  /** The pid on its host, or null when the tools stopped it. */
  readonly pid: number | null;
  /** The `ame` command (release) it runs. */
  readonly command: readonly string[];
  readonly startedAt: number | null;
}

/**
 * A joined rack's secrets: it made no genesis, so it holds no governance, authority or genesis-account keys (those
 * stay with the rack that made the chain) — only its servers' node keys, their payout accounts' wallet entropy and
 * the wallet its probe transactions spend from (funded by the join from the existing rack's investors account).
 */
export interface JoinSecrets {
  /** Node-key seeds (hex) of this rack's servers, host i's at i. */
  readonly managers: readonly string[];
  /** Wallet entropy (hex) of each server's payout account (the reconfigure binds the server's key to it). */
  readonly payouts: readonly string[];
  readonly probe: string;
}

/** One reconfigure of a join: the set it installed. */
export interface JoinStep {
  readonly hash: string;
  /** The final block holding it. */
  readonly height: number;
  /** The servers of this rack it added. */
  readonly added: readonly string[];
  /** The size of the manager set it installed. */
  readonly managers: number;
}

/** How a joined rack entered an existing ring (`provision --join`). */
export interface JoinRecord {
  /** The existing rack's folder (its rack.json holds the governance keys that signed the reconfigures). */
  readonly from: string;
  /** The existing ring's servers: their libp2p peers (this rack's servers dial them) and explorer APIs. */
  readonly peers: readonly PeerRef[];
  readonly apis: readonly string[];
  readonly steps: readonly JoinStep[];
  /** The final block of the probe that every server, old and new, reached; null until the join is complete. */
  readonly probeHeight: number | null;
}

export type RackSecrets = GenesisSecrets | JoinSecrets;

export interface RackRecord {
  readonly format: typeof FORMAT;
  readonly plan: RackPlan;
  readonly secrets: RackSecrets;
  readonly chainId: string;
  readonly servers: readonly ServerRecord[];
  /** Present when this rack joined an existing ring instead of making a genesis. */
  readonly join?: JoinRecord;
}

export const isJoinSecrets = (secrets: RackSecrets): secrets is JoinSecrets => !('wallets' in secrets);

/** The wallet entropy the rack tools' probe transactions spend from. */
export const probeWalletOf = (secrets: RackSecrets): string => (isJoinSecrets(secrets) ? secrets.probe : secrets.wallets.investors);

export function newRecord(plan: RackPlan, secrets: RackSecrets, chainId: string, join?: JoinRecord): RackRecord {
  const servers = plan.hosts.map((h) => ({ name: h.name, pid: null, command: plan.command, startedAt: null }));
  return { format: FORMAT, plan, secrets, chainId, servers, ...(join === undefined ? {} : { join }) };
}

export function hasRecord(dir: string): boolean {
  return existsSync(join(dir, RACK_FILE));
}

export function readRecord(dir: string): RackRecord {
  const path = join(dir, RACK_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new RackError('BAD_RECORD', `cannot read ${path} (${(cause as Error).message}); provision a rack there first`, { cause });
  }
  const r = raw as Partial<RackRecord> | null;
  if (typeof r !== 'object' || r === null || r.format !== FORMAT) throw new RackError('BAD_RECORD', `${path} is not a rack record (format ${FORMAT})`);
  if (!Array.isArray(r.servers) || !Array.isArray(r.plan?.hosts) || r.servers.length !== r.plan.hosts.length) {
    throw new RackError('BAD_RECORD', `${path}: "servers" must list one record per host`);
  }
  return r as RackRecord;
}

export function writeRecord(dir: string, record: RackRecord): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, RACK_FILE);
  writeFileSync(`${path}.part`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.part`, path);
}

export function withServer(record: RackRecord, name: string, change: Partial<ServerRecord>): RackRecord {
  return { ...record, servers: record.servers.map((s) => (s.name === name ? { ...s, ...change } : s)) };
}
