/**
 * A chain's genesis derived from the secrets of the people who start it: the managers' node keys, the ring
 * authority's key and the wallet entropy of every account the genesis names (the four plan accounts, the governance
 * (recovery) keys, each manager's account). `ame up` keeps these secrets in DIR/local.json, a rack operator in the
 * rack's folder (fleet/rack); both derive the same shape of genesis from them, so a local network and a rack Unity
 * differ only in their secrets, names and parameters.
 */
import { Ed25519KeyPair, fromHex, Wallet } from '../crypto/index.ts';
import { type GenesisConfig, validateGenesis } from './genesis.ts';
import type { LedgerParams } from './params.ts';

/** Wallet entropy (32 bytes as 64 hex digits) of the accounts a genesis names. */
export interface GenesisWallets {
  readonly investors: string;
  readonly reserve: string;
  readonly research: string;
  readonly earlyDevelopers: string;
  /** The governance (recovery) keys; two of them sign (one when there is only one). */
  readonly governance: readonly string[];
  /** Manager i's account (deposits, rewards). */
  readonly managers: readonly string[];
}

export interface GenesisSecrets {
  /** The managers' node-key seeds (hex), in genesis order: index i holds role i (SPEC §7). */
  readonly managers: readonly string[];
  /** The ring authority's key seed (hex). */
  readonly authority: string;
  readonly wallets: GenesisWallets;
}

export interface GenesisChoices {
  readonly chainName: string;
  /** The whole ABC supply, micro-units. */
  readonly supply: bigint;
  readonly timeMs: number;
  readonly params: LedgerParams;
  /** RS(0), the first random seed: 32 fresh random bytes. */
  readonly rs0: Uint8Array;
}

export type RandomBytes = (n: number) => Uint8Array;

const hex = (random: RandomBytes) => Buffer.from(random(32)).toString('hex');

export const seedKey = (seedHex: string): Ed25519KeyPair => Ed25519KeyPair.fromSeed(fromHex(seedHex, 'seed', 32));
export const seedWallet = (entropyHex: string): Wallet => Wallet.fromEntropy(fromHex(entropyHex, 'wallet entropy', 32), 'ecdsa');

export function newGenesisWallets(managers: number, random: RandomBytes): GenesisWallets {
  return {
    investors: hex(random),
    reserve: hex(random),
    research: hex(random),
    earlyDevelopers: hex(random),
    governance: [hex(random), hex(random), hex(random)],
    managers: Array.from({ length: managers }, () => hex(random)),
  };
}

/** Fresh secrets for `managers` managers: node keys, the ring authority's key, wallets. */
export function newGenesisSecrets(managers: number, random: RandomBytes): GenesisSecrets {
  return {
    managers: Array.from({ length: managers }, () => hex(random)),
    authority: hex(random),
    wallets: newGenesisWallets(managers, random),
  };
}

export function genesisFromSecrets(secrets: GenesisSecrets, choices: GenesisChoices): GenesisConfig {
  const address = (entropy: string) => seedWallet(entropy).account.address;
  const { wallets } = secrets;
  return validateGenesis({
    chainName: choices.chainName,
    time: BigInt(choices.timeMs),
    supply: choices.supply,
    accounts: {
      investors: address(wallets.investors),
      reserve: address(wallets.reserve),
      research: address(wallets.research),
      earlyDevelopers: address(wallets.earlyDevelopers),
    },
    params: choices.params,
    managers: secrets.managers.map((seed, i) => ({ key: seedKey(seed).publicKey.bytes, account: address(wallets.managers[i]!) })),
    ringAuthority: seedKey(secrets.authority).publicKey.bytes,
    // The ring map is not ledger state yet (docs/manager.md "Left to do").
    ring: { epoch: 0n, root: new Uint8Array(32) },
    rs0: choices.rs0,
    governance: {
      keys: wallets.governance.map((entropy) => ({ scheme: 'ecdsa', key: seedWallet(entropy).account.publicKey })),
      threshold: Math.min(2, wallets.governance.length),
    },
  });
}
