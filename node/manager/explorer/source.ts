/**
 * What the explorer API reads and where it submits (docs/explorer.md). The HTTP layer knows nothing else of the
 * manager: `explorerSource` (ledger-source.ts) implements this over a ledger, its store and the chain store, and
 * tests may wrap it to serve lies.
 */
import type { AccountRecord, BlockHeader, Certificate, GenesisConfig, NodeRecord } from '../../ledger/index.ts';
import type { BlockSummary, StoredBlock, StoredTx } from '../chain-store.ts';

export interface GenesisInfo {
  /** genesisId(config): the chain id. */
  readonly id: Uint8Array;
  readonly config: GenesisConfig;
  /** encodeGenesis(config): the bytes a wallet decodes and hashes itself. */
  readonly encoding: Uint8Array;
  /** The state root right after the genesis. */
  readonly stateRoot: Uint8Array;
}

export interface HeadInfo {
  readonly chainId: Uint8Array;
  /** The last stored final block (0 and the chain id before the first block). */
  readonly height: bigint;
  readonly hash: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly time: bigint;
  /** The header, or undefined at height 0. */
  readonly header: BlockHeader | undefined;
  readonly certificate: Certificate;
}

/** A header for light clients, with what `LightClient.follow` needs after a change of the manager set. */
export interface HeaderEntry extends BlockSummary {
  /** When the block changed the manager set: a proof of `meta/managers` against its state root. */
  readonly managersProof?: Uint8Array;
  /** When the block changed the manager set: its encoded transactions (a recovery certificate needs them). */
  readonly txs?: readonly Uint8Array[];
}

/** A stored block with the outcome of each of its transactions. */
export interface BlockEntry extends StoredBlock {
  readonly outcomes: readonly StoredTx[];
}

export interface TxEntry extends StoredTx {
  /** The transaction's encoding (`encodeTx`). */
  readonly bytes: Uint8Array;
  readonly blockHash: Uint8Array;
}

export interface AccountProof {
  readonly address: string;
  /** The final height whose state this is. */
  readonly height: bigint;
  /** The state root the proof leads to (the header's stateRoot at `height`). */
  readonly root: Uint8Array;
  /** `encodeProof(store.prove(stateKey('account/<address>')))` at that state. */
  readonly proof: Uint8Array;
  /** Undefined: the proof shows the account absent. */
  readonly record: AccountRecord | undefined;
  /** ABC the account may spend at that state (options and the income hold excluded). */
  readonly spendable: bigint;
}

export interface RingInfo {
  /** The ring map's epoch and root as the ledger records them (node/ring holds the map itself). */
  readonly epoch: bigint;
  readonly root: Uint8Array;
  readonly ringAuthority: Uint8Array;
  readonly managers: readonly Uint8Array[];
}

/**
 * One row of the Unity's role table (SPEC §7: 0 command intake, 1–2 ring messaging, 3–4 client requests, 5 hot
 * standby) as the manager's role board gives it; served as JSON (bigints as strings, bytes as hex).
 */
export type UnityRole = object;

/** One account of GET /api/accounts: balances only (GET /api/accounts/<address> has the proof and the options). */
export interface AccountSummary {
  readonly address: string;
  readonly abc: bigint;
  readonly spendable: bigint;
  readonly abit: bigint;
  readonly nonce: bigint;
  readonly bad: boolean;
}

export interface ExplorerSource {
  genesis(): GenesisInfo;
  head(): HeadInfo;
  block(height: bigint): BlockEntry | undefined;
  blockByHash(hash: Uint8Array): BlockEntry | undefined;
  /** Headers, certificates and counts of from…to, ascending, at most MAX_RANGE (chain-store.ts). */
  headers(from: bigint, to: bigint): readonly HeaderEntry[];
  tx(hash: Uint8Array): TxEntry | undefined;
  /** True when the transaction waits in the mempool (optional). */
  pending?(hash: Uint8Array): boolean;
  /** The account at the final state of `height` (default: the last final block), with its proof. */
  account(address: string, height?: bigint): AccountProof;
  nodes(): readonly NodeRecord[];
  /** The accounts of the final state with the most ABC first (ties by address), at most `limit`, and how many exist. */
  accounts(limit: number): { readonly count: number; readonly accounts: readonly AccountSummary[] };
  ringMap(): RingInfo;
  roles?(): readonly UnityRole[];
  /** Admits an encoded transaction: its hash, or a ManagerError (REJECTED with the ledger's reason, DUPLICATE, MEMPOOL_FULL). */
  submit(tx: Uint8Array): Promise<Uint8Array>;
}
