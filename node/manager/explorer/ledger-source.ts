/**
 * The explorer's view of one manager: `explorerSource` reads the chain store for blocks and transactions, and the
 * ledger's store for accounts (with proofs), nodes and the ring record. Account proofs are taken at the state
 * version of the requested final height, so a light client that verified the header of height h can ask for a
 * proof against exactly that header's state root.
 */
import { bytesEqual, parseAddress, toHex } from '../../crypto/index.ts';
import {
  accountPath,
  decodeBlock,
  encodeGenesis,
  type GenesisConfig,
  genesisId,
  genesisStateRoot,
  type Ledger,
  META_PATHS,
  type NodeRecord,
  spendable,
  StateView,
  stateKey,
} from '../../ledger/index.ts';
import { encodeProof, type Store } from '../../store/index.ts';
import type { ChainStore, StoredBlock } from '../chain-store.ts';
import { ExplorerError } from './errors.ts';
import type {
  AccountProof,
  AccountSummary,
  BlockEntry,
  ExplorerSource,
  GenesisInfo,
  HeadInfo,
  HeaderEntry,
  RingInfo,
  TxEntry,
  UnityRole,
} from './source.ts';

export interface ExplorerSourceOptions {
  readonly ledger: Ledger;
  /** The ledger's store (proofs and historic states are read from it). */
  readonly store: Store;
  readonly chain: ChainStore;
  readonly genesis: GenesisConfig;
  /** Admission of a submitted transaction (the manager's mempool and forwarding): its hash or a ManagerError. */
  readonly submit: (tx: Uint8Array) => Promise<Uint8Array> | Uint8Array;
  /** Whether a transaction waits in the mempool (`Mempool.has`). */
  readonly pending?: (hash: Uint8Array) => boolean;
  readonly roles?: () => readonly UnityRole[];
}

/** The version a genesis is written at on an empty store (its first commit). */
const GENESIS_VERSION = 1;

export function explorerSource(options: ExplorerSourceOptions): ExplorerSource {
  const { ledger, store, chain } = options;
  const genesis: GenesisInfo = {
    id: genesisId(options.genesis),
    config: options.genesis,
    encoding: encodeGenesis(options.genesis),
    stateRoot: genesisStateRoot(options.genesis),
  };
  if (!bytesEqual(genesis.id, chain.chainId)) throw new ExplorerError('CHAIN_MISMATCH', 'the chain store holds another chain');

  // The transactions of the last block asked for: a block page asks for each of its transactions in turn.
  let decoded: { hash: Uint8Array; txs: readonly Uint8Array[] } | undefined;
  function txsOf(block: StoredBlock): readonly Uint8Array[] {
    if (decoded === undefined || !bytesEqual(decoded.hash, block.hash)) decoded = { hash: block.hash, txs: decodeBlock(block.bytes).txs };
    return decoded.txs;
  }

  function withOutcomes(block: StoredBlock | undefined): BlockEntry | undefined {
    return block === undefined ? undefined : { ...block, outcomes: chain.outcomes(block.height) };
  }

  /** The store version and root of the final state at `height`. */
  function stateAt(height: bigint | undefined): { height: bigint; version: number; root: Uint8Array } {
    const final = ledger.finalView().chain().height;
    if (height === undefined || height === final) {
      const version = store.head();
      return { height: final, version, root: store.root(version) };
    }
    if (height > final) throw new ExplorerError('NOT_FOUND', `no final block at height ${height} (the head is ${final})`);
    if (height === 0n) {
      if (!bytesEqual(store.root(GENESIS_VERSION), genesis.stateRoot)) {
        throw new ExplorerError('NOT_AVAILABLE', 'the genesis state is not kept by this store');
      }
      return { height, version: GENESIS_VERSION, root: genesis.stateRoot };
    }
    const block = chain.block(height);
    if (block?.stateVersion === undefined) throw new ExplorerError('NOT_AVAILABLE', `the state of height ${height} is not indexed`);
    const root = store.root(block.stateVersion);
    if (!bytesEqual(root, block.header.stateRoot)) {
      throw new ExplorerError('NOT_AVAILABLE', `the state kept for height ${height} is not that block's`);
    }
    return { height, version: block.stateVersion, root };
  }

  return {
    genesis: () => genesis,

    head(): HeadInfo {
      const { height, hash } = chain.head();
      const block = height === 0n ? undefined : chain.block(height);
      if (block === undefined) {
        return { chainId: genesis.id, height: 0n, hash, stateRoot: genesis.stateRoot, time: options.genesis.time, header: undefined, certificate: [] };
      }
      const { header, certificate, time } = block;
      return { chainId: genesis.id, height, hash, stateRoot: header.stateRoot, time, header, certificate };
    },

    block: (height) => withOutcomes(chain.block(height)),
    blockByHash: (hash) => withOutcomes(chain.blockByHash(hash)),
    headers(from, to): readonly HeaderEntry[] {
      const summaries = chain.summaries(from, to);
      const managersKey = stateKey(META_PATHS.managers);
      const managersAt = (version: number | undefined): Uint8Array | undefined => {
        try {
          return version === undefined ? undefined : store.get(managersKey, version);
        } catch {
          return undefined; // pruned: the proof is sent, which costs bytes and nothing else
        }
      };
      let before = managersAt(from === 1n ? GENESIS_VERSION : chain.summaries(from - 1n, from - 1n)[0]?.stateVersion);
      return summaries.map((summary) => {
        const after = managersAt(summary.stateVersion);
        const changed = after !== undefined && (before === undefined || !bytesEqual(before, after));
        before = after;
        if (!changed) return summary;
        const block = chain.block(summary.height);
        const managersProof = encodeProof(store.prove(managersKey, summary.stateVersion));
        return { ...summary, managersProof, txs: block === undefined ? [] : txsOf(block) };
      });
    },

    tx(hash): TxEntry | undefined {
      const stored = chain.tx(hash);
      if (stored === undefined) return undefined;
      const block = chain.block(stored.height);
      const bytes = block === undefined ? undefined : txsOf(block)[stored.index];
      if (block === undefined || bytes === undefined) return undefined;
      return { ...stored, bytes, blockHash: block.hash };
    },

    ...(options.pending === undefined ? {} : { pending: options.pending }),

    account(given, height): AccountProof {
      let address: string;
      try {
        address = parseAddress(given).text; // the canonical spelling: the falcon: form names the same account
      } catch (cause) {
        throw new ExplorerError('BAD_ADDRESS', `not an address: ${(cause as Error).message}`, { cause });
      }
      const at = stateAt(height);
      const view = StateView.at(store, at.version);
      const proof = encodeProof(store.prove(stateKey(accountPath(address)), at.version));
      const record = view.hasAccount(address) ? view.account(address) : undefined;
      const free = record === undefined ? 0n : spendable(view.params(), record);
      return { address, height: at.height, root: at.root, proof, record, spendable: free };
    },

    accounts(limit) {
      const view = ledger.finalView();
      const params = view.params();
      const all: AccountSummary[] = [];
      for (const record of view.records()) {
        if (record.t !== 'account') continue;
        all.push({ address: record.address, abc: record.abc, spendable: spendable(params, record), abit: record.abit, nonce: record.nonce, bad: record.bad });
      }
      all.sort((a, b) => (a.abc === b.abc ? (a.address < b.address ? -1 : 1) : a.abc > b.abc ? -1 : 1));
      return { count: all.length, accounts: all.slice(0, limit) };
    },

    nodes(): readonly NodeRecord[] {
      const nodes: NodeRecord[] = [];
      for (const record of ledger.finalView().records()) {
        if (record.t !== 'node') continue;
        const { t: _t, ...node } = record;
        nodes.push(node as NodeRecord);
      }
      return nodes.sort((a, b) => (toHex(a.key) < toHex(b.key) ? -1 : 1));
    },

    ringMap(): RingInfo {
      const view = ledger.finalView();
      const ring = view.ring();
      return { epoch: ring.epoch, root: ring.root, ringAuthority: view.governance().ringAuthority, managers: view.managers().keys };
    },

    ...(options.roles === undefined ? {} : { roles: options.roles }),

    submit: async (tx) => options.submit(tx),
  };
}
