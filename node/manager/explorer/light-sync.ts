/**
 * A wallet's verified balance over the explorer API (docs/explorer.md "Light client"): the genesis is fetched
 * and hashed here (its id must be the pinned one when there is a pin), the headers are followed from it with the
 * ledger's LightClient — each certificate checked against the manager set of the previous verified state — up to
 * the last certified block, and the account proof is checked against that block's state root. Nothing the API
 * says about the balance is believed: the record comes out of the proof.
 */
import { bytesEqual, fromHex, toHex } from '../../crypto/index.ts';
import {
  type AccountRecord,
  decodeGenesis,
  decodeHeader,
  type FollowExtras,
  type GenesisConfig,
  genesisId,
  genesisStateRoot,
  LedgerError,
  LightClient,
} from '../../ledger/index.ts';
import type { CertificateJson, ExplorerClient, HeaderEntryJson } from './client.ts';
import { ExplorerError } from './errors.ts';

/** Headers asked for per request (the API returns at most 256). */
const PAGE = 256n;

export interface TrustedGenesis {
  readonly id: Uint8Array;
  readonly config: GenesisConfig;
  readonly stateRoot: Uint8Array;
}

export interface VerifiedAccount {
  readonly genesis: TrustedGenesis;
  readonly address: string;
  /** The last final block whose header (and every one before it) was verified. */
  readonly height: bigint;
  readonly stateRoot: Uint8Array;
  /** The head the API reports; blocks above `height` had no certificate yet. */
  readonly headHeight: bigint;
  /** Undefined: the proof shows the account absent (nothing was ever paid to it). */
  readonly record: AccountRecord | undefined;
}

function hexOf(value: unknown, what: string): Uint8Array {
  try {
    return fromHex(String(value));
  } catch (cause) {
    throw new ExplorerError('BAD_RESPONSE', `${what} is not hex`, { cause });
  }
}

function heightOf(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^\d{1,20}$/.test(value)) throw new ExplorerError('BAD_RESPONSE', `${what} is not a height`);
  return BigInt(value);
}

function refused(error: unknown, what: string): never {
  if (error instanceof LedgerError) {
    throw new ExplorerError('NOT_VERIFIED', `light client refused ${what} (${error.code}): ${error.message}`, { reason: error.code, cause: error });
  }
  throw error;
}

/** The API's genesis, checked: its id is the hash of its encoding, and the pinned id when one is given. */
export async function fetchGenesis(client: ExplorerClient, pinned?: Uint8Array): Promise<TrustedGenesis> {
  const reply = await client.genesis();
  let config: GenesisConfig;
  try {
    config = decodeGenesis(hexOf(reply.encoding, 'the genesis encoding'));
  } catch (cause) {
    if (cause instanceof ExplorerError) throw cause;
    throw new ExplorerError('BAD_RESPONSE', `the genesis does not decode: ${(cause as Error).message}`, { cause });
  }
  const id = genesisId(config);
  if (reply.id !== toHex(id)) throw new ExplorerError('BAD_RESPONSE', 'the genesis id the API names is not the hash of its genesis');
  if (pinned !== undefined && !bytesEqual(pinned, id)) {
    throw new ExplorerError('CHAIN_MISMATCH', `${client.baseUrl} serves chain ${toHex(id)} (${config.chainName}), not the pinned ${toHex(pinned)}`);
  }
  return { id, config, stateRoot: genesisStateRoot(config) };
}

function extrasOf(entry: HeaderEntryJson, height: bigint): FollowExtras {
  return {
    ...(entry.managersProof === undefined ? {} : { managers: hexOf(entry.managersProof, `block ${height}'s managers proof`) }),
    ...(entry.txs === undefined ? {} : { txs: entry.txs.map((tx, i) => hexOf(tx, `block ${height}'s txs[${i}]`)) }),
  };
}

/** Follows certified headers from the genesis as far as they go; returns the client and the API's head. */
export async function followHeaders(client: ExplorerClient, genesis: TrustedGenesis): Promise<{ light: LightClient; headHeight: bigint }> {
  const light = LightClient.fromGenesis(genesis.config, genesis.stateRoot);
  for (;;) {
    const from = light.height + 1n;
    const page = await client.headers(from, from + PAGE - 1n);
    const headHeight = heightOf(page.head, 'the head');
    if (!Array.isArray(page.headers)) throw new ExplorerError('BAD_RESPONSE', 'the headers reply has no list');
    let uncertified = false;
    for (const entry of page.headers) {
      const height = light.height + 1n;
      if (entry.height !== height.toString()) throw new ExplorerError('BAD_RESPONSE', `expected the header of block ${height}, got ${entry.height}`);
      const signatures: readonly CertificateJson[] = Array.isArray(entry.certificate) ? entry.certificate : [];
      if (signatures.length === 0) {
        uncertified = true; // its certificate is not collected yet: the verified chain ends below it
        break;
      }
      let header;
      try {
        header = decodeHeader(hexOf(entry.header, `block ${height}'s header`));
      } catch (error) {
        refused(error, `the header of block ${height}`);
      }
      const certificate = signatures.map((c, i) => ({
        member: hexOf(c.member, `block ${height}'s certificate[${i}].member`),
        sig: hexOf(c.sig, `block ${height}'s certificate[${i}].sig`),
      }));
      try {
        light.follow(header, certificate, extrasOf(entry, height));
      } catch (error) {
        refused(error, `block ${height} from ${client.baseUrl}`);
      }
    }
    if (uncertified || page.headers.length === 0 || light.height >= headHeight) return { light, headHeight };
  }
}

/** The account `address`, proven against the state root of the last verified final block. */
export async function verifiedAccount(client: ExplorerClient, address: string, pinned?: Uint8Array): Promise<VerifiedAccount> {
  const genesis = await fetchGenesis(client, pinned);
  const { light, headHeight } = await followHeaders(client, genesis);
  const height = light.height;
  let reply: { height?: unknown; proof?: unknown };
  try {
    reply = await client.account(address, height);
  } catch (error) {
    // An unknown account comes with the proof of its absence.
    if (!(error instanceof ExplorerError) || error.code !== 'UNKNOWN_ACCOUNT' || error.details === undefined) throw error;
    reply = error.details;
  }
  if (reply.height !== height.toString()) {
    throw new ExplorerError('BAD_RESPONSE', `asked for the state of block ${height}, got ${String(reply.height)}`);
  }
  let record: AccountRecord | undefined;
  try {
    record = light.account(address, hexOf(reply.proof, 'the account proof'));
  } catch (error) {
    refused(error, `the balance proof of ${address} against block ${height}`);
  }
  return { genesis, address, height, stateRoot: light.stateRoot, headHeight, record };
}
