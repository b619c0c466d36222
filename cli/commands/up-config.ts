/**
 * What `ame up` keeps in its data folder between starts: the identities (DIR/local.json, mode 0600), the chain's
 * genesis (DIR/genesis.cbor) and a wallet holding the investors' genesis account (DIR/investors-wallet.json). The
 * first start creates them; later starts read them, so PeerIds, keys and the chain stay the same. A folder made
 * before the Manager Ring joined `ame up` gets the managers' keys and the genesis on its next start.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesEqual, Ed25519KeyPair, encodeKeystore, writeKeystoreFile } from '../../node/crypto/index.ts';
import {
  defaultParams,
  demoParams,
  encodeGenesis,
  genesisFromSecrets,
  newGenesisWallets,
  seedKey,
  seedWallet,
  type GenesisConfig,
  type GenesisWallets,
  type LedgerParams,
} from '../../node/ledger/index.ts';
import { ManagerError } from '../../node/manager/index.ts';
import { MICRO_PER_UNIT } from '../../node/wire/index.ts';
import { loadGenesis } from './manager.ts';

/** Wallet entropy (hex) of the accounts the genesis names (node/ledger's GenesisWallets). */
export type LocalWallets = GenesisWallets;

export interface LocalConfig {
  /** The ring-authority key's seed (hex): the genesis names it; the ring's certificates are the managers'. */
  readonly authority: string;
  /** The ring authority's node key (its PeerId). */
  readonly authorityNode: string;
  /** The Worker Ring servers' node keys. */
  readonly servers: readonly string[];
  readonly unities: number;
  /** The Manager Ring servers' node keys, in genesis order. */
  readonly managers: readonly string[];
  readonly wallets: LocalWallets;
}

export interface Layout {
  readonly unities: number;
  readonly perUnity: number;
  readonly managers: number;
}

export const GENESIS_FILE = 'genesis.cbor';
export const WALLET_FILE = 'investors-wallet.json';
/** The local chain's supply: 100 million ABC (the production parameters release 10 million in period 1). */
const LOCAL_SUPPLY = 100_000_000n * MICRO_PER_UNIT;

const seedHex = () => Buffer.from(Ed25519KeyPair.generate().seed()).toString('hex');
const random = (n: number) => new Uint8Array(randomBytes(n));
export const keyOf = seedKey;
export const walletOf = seedWallet;

function damaged(path: string, why: string, cause?: unknown): ManagerError {
  return new ManagerError('BAD_CONFIG', `${path}: ${why}`, cause === undefined ? undefined : { cause });
}

const isHexList = (v: unknown, min: number): v is string[] =>
  Array.isArray(v) && v.length >= min && v.every((x) => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x));

/** local.json as written by an earlier start: the Worker Ring part is required, the Manager Ring part may be missing. */
function readLocal(path: string): Partial<LocalConfig> & Pick<LocalConfig, 'authority' | 'authorityNode' | 'servers' | 'unities'> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw damaged(path, `not readable JSON (${(cause as Error).message})`, cause);
  }
  const c = raw as Partial<LocalConfig> | null;
  if (typeof c !== 'object' || c === null) throw damaged(path, 'not a JSON object');
  if (!isHexList([c.authority, c.authorityNode], 2)) throw damaged(path, '"authority" and "authorityNode" must be 64 hex digits');
  if (!isHexList(c.servers, 1)) throw damaged(path, '"servers" must be a list of 64-hex-digit seeds');
  if (!Number.isSafeInteger(c.unities) || c.unities! < 1 || c.unities! > c.servers.length) throw damaged(path, '"unities" must be 1 … the server count');
  if (c.managers !== undefined && !isHexList(c.managers, 1)) throw damaged(path, '"managers" must be a list of 64-hex-digit seeds');
  const w = c.wallets;
  if (w !== undefined) {
    const named = [w.investors, w.reserve, w.research, w.earlyDevelopers];
    if (!isHexList(named, 4) || !isHexList(w.governance, 1) || !isHexList(w.managers, c.managers?.length ?? 1)) {
      throw damaged(path, '"wallets" must hold 64-hex-digit entropy for every genesis account');
    }
  }
  return c as ReturnType<typeof readLocal>;
}

/** DIR/local.json: read, completed with what an older version did not write, or created for `layout`. */
export function loadLocal(dir: string, layout: Layout): LocalConfig {
  const path = join(dir, 'local.json');
  const held = existsSync(path) ? readLocal(path) : undefined;
  if (held?.managers !== undefined && held.wallets !== undefined) return held as LocalConfig;
  const managers = held?.managers ?? Array.from({ length: layout.managers }, seedHex);
  const config: LocalConfig = {
    authority: held?.authority ?? seedHex(),
    authorityNode: held?.authorityNode ?? seedHex(),
    servers: held?.servers ?? Array.from({ length: layout.unities * layout.perUnity }, seedHex),
    unities: held?.unities ?? layout.unities,
    managers,
    wallets: held?.wallets ?? newGenesisWallets(managers.length, random),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return config;
}

/** The local chain's genesis: the managers of local.json, their and the named accounts' wallets, production parameters. */
/**
 * The ledger parameters a first start may choose (`ame up --params`): the production defaults, the SPEC's worked
 * example (`demo`: one-minute periods, one-second "days", promotion after 10 served requests and 3 audits), and
 * `quick`: the demo with promotion after one passed audit and nothing else, to watch a promotion within a minute.
 */
export const PARAM_PRESETS: Readonly<Record<'default' | 'demo' | 'quick', LedgerParams>> = {
  default: defaultParams,
  demo: demoParams,
  quick: { ...demoParams, promotionMinServed: 0n, promotionMinAudits: 1n, promotionMinScore: 0n, promotionUptimeBps: 0n },
};

export function localGenesis(config: LocalConfig, nowMs: number, params: LedgerParams = defaultParams): GenesisConfig {
  return genesisFromSecrets(config, { chainName: 'ame-local', supply: LOCAL_SUPPLY, timeMs: nowMs, params, rs0: random(32) });
}

/**
 * DIR/genesis.cbor, created (with the investors' wallet file, and `params`) on the first start; its managers must be
 * local.json's. A later start keeps the genesis it finds, whatever `params` says.
 */
export async function loadOrCreateGenesis(dir: string, config: LocalConfig, nowMs: number, params: LedgerParams = defaultParams): Promise<GenesisConfig> {
  const path = join(dir, GENESIS_FILE);
  if (existsSync(path)) {
    const genesis = loadGenesis(path);
    const same =
      genesis.managers.length === config.managers.length &&
      genesis.managers.every((m, i) => bytesEqual(m.key, keyOf(config.managers[i]!).publicKey.bytes));
    if (!same) throw damaged(path, `its managers are not the ones of ${join(dir, 'local.json')}`);
    return genesis;
  }
  const genesis = localGenesis(config, nowMs, params);
  const wallet = walletOf(config.wallets.investors);
  writeKeystoreFile(join(dir, WALLET_FILE), await encodeKeystore(wallet, {}, nowMs), { overwrite: true });
  writeFileSync(path, encodeGenesis(genesis));
  return genesis;
}
