/**
 * The genesis (SPEC §7, whitepaper §7.3.1): the distribution plan of the whole ABC supply (40 % ecosystem fund,
 * 20 % investors, 20 % reserve, 10 % R&D, 10 % early developers), the parameters, the initial manager set, the
 * ring-authority key, RS(0), and the governance (recovery) keys with their threshold. Its id — SHA-256 of
 * 'AME-GENESIS-v1' ‖ 0x00 ‖ its canonical encoding — names the chain in every transaction and is the
 * "previous hash" of block 1.
 */
import { addressFromPublicKey, domainSeparated, isScheme, parseAddress, sha256 } from '../crypto/index.ts';
import { openStore } from '../store/index.ts';
import { encodeCbor, s, type CborValue, type Infer } from '../wire/index.ts';
import { fundRelease } from './economics.ts';
import { LedgerError } from './errors.ts';
import { paramsSchema, validateParams, type LedgerParams } from './params.ts';
import { newAccount, newReputation } from './records.ts';
import { StateView, type StoreLine } from './state.ts';
import { decodeStrict, fromWire, parseAs } from './tx.ts';

export const GENESIS_DOMAIN_TAG = 'AME-GENESIS-v1';

const address = s.text({ min: 1, max: 128 });
const key32 = s.bytes({ len: 32 });

const genesisSchema = s.struct({
  chainName: s.text({ min: 1, max: 64 }),
  time: s.u64(),
  supply: s.u64(),
  accounts: s.struct({ investors: address, reserve: address, research: address, earlyDevelopers: address }),
  params: paramsSchema,
  managers: s.array(s.struct({ key: key32, account: address }), { min: 1, max: 1024 }),
  ringAuthority: key32,
  ring: s.struct({ epoch: s.u64(), root: key32 }),
  rs0: key32,
  governance: s.struct({
    keys: s.array(s.struct({ scheme: s.text({ max: 16 }), key: s.bytes({ min: 1, max: 1024 }) }), { min: 1, max: 64 }),
    threshold: s.uint({ max: 64 }),
  }),
});

export type GenesisConfig = Omit<Infer<typeof genesisSchema>, 'params'> & { readonly params: LedgerParams };

/** The distribution plan in per cent; the ecosystem fund takes the rounding remainder. */
export const DISTRIBUTION = { investors: 20n, reserve: 20n, research: 10n, earlyDevelopers: 10n } as const;

export interface Allocation {
  readonly fund: bigint;
  readonly investors: bigint;
  readonly reserve: bigint;
  readonly research: bigint;
  readonly earlyDevelopers: bigint;
}

export function allocate(supply: bigint): Allocation {
  const investors = (supply * DISTRIBUTION.investors) / 100n;
  const reserve = (supply * DISTRIBUTION.reserve) / 100n;
  const research = (supply * DISTRIBUTION.research) / 100n;
  const earlyDevelopers = (supply * DISTRIBUTION.earlyDevelopers) / 100n;
  return { fund: supply - investors - reserve - research - earlyDevelopers, investors, reserve, research, earlyDevelopers };
}

function bad(message: string, field: string): LedgerError {
  return new LedgerError('BAD_GENESIS', message, { field });
}

/** Checks what the schema cannot: addresses, params, distinct managers and keys, a reachable threshold. */
export function validateGenesis(config: GenesisConfig): GenesisConfig {
  parseAs(genesisSchema, toCbor(config), 'genesis');
  for (const [name, value] of Object.entries(config.accounts)) {
    try {
      parseAddress(value);
    } catch (cause) {
      throw new LedgerError('BAD_GENESIS', `not an address: ${(cause as Error).message}`, { field: `accounts.${name}`, cause });
    }
  }
  try {
    validateParams(config.params);
  } catch (cause) {
    throw new LedgerError('BAD_GENESIS', (cause as Error).message, { field: 'params', cause });
  }
  const seen = new Set<string>();
  for (const [i, m] of config.managers.entries()) {
    const hex = Buffer.from(m.key).toString('hex');
    if (seen.has(hex)) throw bad('manager listed twice', `managers[${i}].key`);
    seen.add(hex);
    try {
      parseAddress(m.account);
    } catch (cause) {
      throw new LedgerError('BAD_GENESIS', 'not an address', { field: `managers[${i}].account`, cause });
    }
  }
  const govSeen = new Set<string>();
  for (const [i, k] of config.governance.keys.entries()) {
    if (!isScheme(k.scheme)) throw bad(`unknown scheme ${JSON.stringify(k.scheme)}`, `governance.keys[${i}].scheme`);
    // Distinct, so that a threshold (of transactions and of recovery certificates) counts distinct keys.
    const hex = Buffer.from(k.key).toString('hex');
    if (govSeen.has(hex)) throw bad('governance key listed twice', `governance.keys[${i}].key`);
    govSeen.add(hex);
    try {
      addressFromPublicKey(k.scheme, k.key);
    } catch (cause) {
      throw new LedgerError('BAD_GENESIS', 'not a public key of its scheme', { field: `governance.keys[${i}].key`, cause });
    }
  }
  const { threshold, keys } = config.governance;
  if (threshold < 1 || threshold > keys.length) throw bad(`threshold must be in 1…${keys.length}`, 'governance.threshold');
  if (fundRelease(config.params, 1n) > allocate(config.supply).fund) throw bad('U_1 exceeds the fund', 'params.fundReleaseFirst');
  return config;
}

function toCbor(config: GenesisConfig): CborValue {
  return config as unknown as CborValue;
}

export function encodeGenesis(config: GenesisConfig): Uint8Array {
  try {
    return encodeCbor(toCbor(config));
  } catch (error) {
    throw fromWire(error, 'genesis');
  }
}

/** Strict decoder of a genesis file: MALFORMED / BAD_FIELD / BAD_GENESIS only. */
export function decodeGenesis(bytes: Uint8Array): GenesisConfig {
  return validateGenesis(decodeStrict(bytes, 1 << 20, genesisSchema, 'genesis') as GenesisConfig);
}

export function genesisId(config: GenesisConfig): Uint8Array {
  return sha256(domainSeparated(GENESIS_DOMAIN_TAG, encodeGenesis(config)));
}

export interface GenesisResult {
  readonly chainId: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly version: number;
}

/**
 * Writes the genesis state on an empty store line: the four named accounts, the fund (less U_1, which it
 * releases into the reward pool for period 1), parameters, managers (no deposit: the genesis vouches for them),
 * governance, ring record and chain record at height 0.
 */
export function writeGenesis(line: StoreLine, config: GenesisConfig): GenesisResult {
  validateGenesis(config);
  if (line.head() !== 0) throw new LedgerError('BAD_GENESIS', 'the store is not empty');
  const chainId = genesisId(config);
  const state = StateView.over(line);
  const shares = allocate(config.supply);
  const release = fundRelease(config.params, 1n);
  for (const name of ['investors', 'reserve', 'research', 'earlyDevelopers'] as const) {
    const account = state.account(config.accounts[name]);
    state.setAccount({ ...account, abc: account.abc + shares[name] });
  }
  state.setPools({ fund: shares.fund - release, rewardPool: release, workerFeePool: 0n });
  state.setTotals({ genesisSupply: config.supply, abcBurned: 0n, abitMinted: 0n, abitBurned: 0n });
  state.setParams(config.params);
  state.setGovernance({ keys: config.governance.keys, threshold: config.governance.threshold, ringAuthority: config.ringAuthority });
  state.setManagers({ keys: config.managers.map((m) => m.key) });
  state.setRing({ epoch: config.ring.epoch, root: config.ring.root });
  for (const m of config.managers) {
    if (!state.hasAccount(m.account)) state.setAccount(newAccount(m.account));
    state.setNode({
      key: m.key,
      role: 'manager',
      status: 'active',
      account: m.account,
      deposit: 0n,
      nonce: 0n,
      unity: '',
      workload: 0n,
      releaseAt: 0n,
      hardware: '',
      rep: newReputation(config.time),
    });
  }
  state.setChain({
    chainId,
    height: 0n,
    parentHash: new Uint8Array(32),
    lastTime: config.time,
    period: 1n,
    periodStart: config.time,
    govNonce: 0n,
    verifierBudget: 0n,
  });
  const version = state.commit();
  return { chainId, stateRoot: line.root(version), version };
}

/** The state root of a genesis (what a light client trusts with its id), computed on a throw-away memory store. */
export function genesisStateRoot(config: GenesisConfig): Uint8Array {
  const scratch = openStore(':memory:');
  try {
    return writeGenesis(scratch, config).stateRoot;
  } finally {
    scratch.close();
  }
}
