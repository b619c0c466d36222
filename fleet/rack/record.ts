/**
 * DIR/rack.json, the operator's record of a rack Unity (mode 0600: it holds the secrets): the plan, the secrets the
 * genesis came from (the managers' node keys, the governance keys that sign a recovery, the genesis accounts'
 * wallets) and, per server, the process running it and the command (release) it runs. Rewritten atomically after
 * every step, so an interrupted upgrade is resumed from what actually runs.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GenesisSecrets } from '../../node/ledger/index.ts';
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

export interface RackRecord {
  readonly format: typeof FORMAT;
  readonly plan: RackPlan;
  readonly secrets: GenesisSecrets;
  readonly chainId: string;
  readonly servers: readonly ServerRecord[];
}

export function newRecord(plan: RackPlan, secrets: GenesisSecrets, chainId: string): RackRecord {
  return { format: FORMAT, plan, secrets, chainId, servers: plan.hosts.map((h) => ({ name: h.name, pid: null, command: plan.command, startedAt: null })) };
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
