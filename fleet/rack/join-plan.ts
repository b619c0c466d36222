/**
 * What `ame fleet rack provision --join EXISTING_DIR` checks before it touches a host, and how it grows the ring.
 *
 * The existing rack's folder must be the one of the rack that made the chain: its rack.json holds the governance
 * keys (a threshold of them signs the reconfigures that add the new servers, SPEC §7) and the investors' wallet
 * (it funds the joined rack's probe wallet), its genesis.cbor is the chain's genesis. Each refusal is a BAD_JOIN
 * naming what is wrong, so an operator does not learn it from a half-done join.
 *
 * The ring grows in steps (`joinSteps`): a reconfigure that adds servers raises the quorum at once, while the added
 * servers can only state-sync after it is final (a server serves snapshots to members of the final set only), so
 * until they have synced the servers already in the set must be a quorum of the larger set on their own. Each step
 * adds as many as keeps that true with one of them down — the standby's margin — so the ring keeps finalising
 * through the join even if a server fails meanwhile. 6 + 6 goes 6 → 7 → 8 → 10 → 12.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesEqual, toHex, type AccountKey } from '../../node/crypto/index.ts';
import { decodeGenesis, genesisId, seedWallet, type GenesisConfig, type GenesisSecrets } from '../../node/ledger/index.ts';
import { RackError } from './errors.ts';
import { quorumOf } from './health.ts';
import type { RackPlan } from './plan.ts';
import { hasRecord, isJoinSecrets, RACK_FILE, RACK_GENESIS_FILE, readRecord, type RackRecord } from './record.ts';

/** The existing rack a join adds servers to, checked. */
export interface JoinSource {
  readonly dir: string;
  readonly record: RackRecord & { readonly secrets: GenesisSecrets };
  readonly genesis: GenesisConfig;
  readonly genesisBytes: Uint8Array;
  /** The governance keys that sign, with their place in the genesis list: exactly the threshold. */
  readonly signers: readonly { readonly index: number; readonly key: AccountKey }[];
  /** The investors' genesis account's wallet (funds the joined rack's probe wallet). */
  readonly funder: AccountKey;
}

const bad = (message: string, cause?: unknown) => new RackError('BAD_JOIN', message, cause === undefined ? undefined : { cause });

function walletOf(entropy: unknown, what: string, path: string): AccountKey {
  try {
    if (typeof entropy !== 'string') throw new Error('missing');
    return seedWallet(entropy).account;
  } catch (cause) {
    throw bad(`${path}: ${what} is not a wallet's entropy (64 hex digits): ${(cause as Error).message}`, cause);
  }
}

function readGenesis(dir: string, record: RackRecord): { genesis: GenesisConfig; bytes: Uint8Array } {
  const path = join(dir, RACK_GENESIS_FILE);
  let bytes: Uint8Array;
  let genesis: GenesisConfig;
  try {
    bytes = new Uint8Array(readFileSync(path));
    genesis = decodeGenesis(bytes);
  } catch (cause) {
    throw bad(`${path}: not the rack's genesis (${(cause as Error).message})`, cause);
  }
  const id = toHex(genesisId(genesis));
  if (id !== record.chainId) throw bad(`${path} is the genesis of chain ${id}, but ${join(dir, RACK_FILE)} is a rack of chain ${record.chainId}`);
  return { genesis, bytes };
}

/** The governance keys of rack.json that the genesis names, the threshold of them; BAD_JOIN when too few. */
function governanceSigners(path: string, secrets: GenesisSecrets, genesis: GenesisConfig): JoinSource['signers'] {
  const held: unknown = (secrets.wallets as Partial<GenesisSecrets['wallets']> | undefined)?.governance;
  if (!Array.isArray(held) || held.length === 0) throw bad(`${path} holds no governance keys (secrets.wallets.governance): they sign the reconfigure that adds the servers`);
  const { keys, threshold } = genesis.governance;
  const signers: { index: number; key: AccountKey }[] = [];
  for (const [i, entropy] of held.entries()) {
    const key = walletOf(entropy, `governance key ${i}`, path);
    const index = keys.findIndex((k) => bytesEqual(k.key, key.publicKey));
    if (index >= 0 && !signers.some((s) => s.index === index)) signers.push({ index, key });
  }
  if (signers.length < threshold) {
    throw bad(`${path} holds ${signers.length} of the genesis's ${keys.length} governance keys; ${threshold} must sign a reconfigure (governance key missing)`);
  }
  return signers.slice(0, threshold);
}

/** Reads and checks the existing rack's folder (BAD_JOIN naming what is wrong). */
export function readJoinSource(dir: string): JoinSource {
  const path = join(dir, RACK_FILE);
  if (!hasRecord(dir)) throw bad(`${dir} holds no rack (${RACK_FILE}): --join takes the operator folder of the rack whose ring the new servers join`);
  let record: RackRecord;
  try {
    record = readRecord(dir);
  } catch (cause) {
    throw bad(`${path}: ${(cause as Error).message}`, cause);
  }
  if (isJoinSecrets(record.secrets) || record.join !== undefined) {
    throw bad(`${dir} is itself a joined rack and holds no governance keys; give the folder of the rack that made the chain${record.join === undefined ? '' : ` (${record.join.from})`}`);
  }
  const secrets = record.secrets;
  const { genesis, bytes } = readGenesis(dir, record);
  const signers = governanceSigners(path, secrets, genesis);
  const funder = walletOf(secrets.wallets.investors, 'the investors wallet (secrets.wallets.investors)', path);
  if (funder.address !== genesis.accounts.investors) throw bad(`${path}: the investors wallet is not the genesis's investors account ${genesis.accounts.investors}`);
  return { dir, record: { ...record, secrets }, genesis, genesisBytes: bytes, signers, funder };
}

/** The new hosts must not take the existing servers' names or their (address, port) pairs. */
export function checkHostsApart(plan: RackPlan, existing: RackPlan): void {
  const names = new Set(existing.hosts.map((h) => h.name));
  const taken = new Set(existing.hosts.flatMap((h) => [`${h.address}:${existing.p2pPort}`, `${h.address}:${existing.httpPort}`]));
  for (const host of plan.hosts) {
    if (names.has(host.name)) throw new RackError('BAD_HOSTS', `host ${host.name}: the existing rack has a host of that name`);
    for (const port of [plan.p2pPort, plan.httpPort]) {
      if (taken.has(`${host.address}:${port}`)) throw new RackError('BAD_HOSTS', `host ${host.name}: ${host.address}:${port} is an existing server's address and port`);
    }
  }
}

/**
 * How many servers each reconfigure adds to a set of `current` running servers, `adding` in all: each step the
 * largest number for which the running servers less one are still a quorum of the larger set (at least one).
 */
export function joinSteps(current: number, adding: number): number[] {
  if (!Number.isSafeInteger(current) || current < 1 || !Number.isSafeInteger(adding) || adding < 0) throw new RangeError(`joinSteps(${current}, ${adding})`);
  const steps: number[] = [];
  let n = current;
  for (let left = adding; left > 0; ) {
    let k = 1;
    while (k < left && n - 1 >= quorumOf(n + k + 1)) k += 1;
    steps.push(k);
    n += k;
    left -= k;
  }
  return steps;
}
