/**
 * A test chain for the ledger: deterministic keys, a genesis with six managers, and a harness that proposes,
 * certifies (all managers sign), applies and checks the invariants after every block, on a real store file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AccountKey,
  ecdsaAccountKey,
  Ed25519KeyPair,
  sha256,
  utf8,
} from '../../node/crypto/index.ts';
import {
  type Block,
  type BlockKind,
  type Certificate,
  certificateMessage,
  checkInvariants,
  demoParams,
  encodeTx,
  type GenesisConfig,
  genesisId,
  headerHash,
  Ledger,
  type LedgerOptions,
  type LedgerParams,
  signAccountTx,
  signGovernanceTx,
  signManagersTx,
  signManagerTx,
  signRecoveryCertificate,
  type Tx,
  type TxFields,
  type TxKind,
  type BlockResult,
  LedgerError,
  META_PATHS,
  stateKey,
} from '../../node/ledger/index.ts';
import { openStore, type Proof, type Store } from '../../node/store/index.ts';

export const ABC = 1_000_000n;
export const ABIT = 1_000_000n;

export function accountKey(n: number): AccountKey {
  return ecdsaAccountKey(sha256(utf8(`ledger test account ${n}`)));
}

export function nodeKey(n: number): Ed25519KeyPair {
  return Ed25519KeyPair.fromSeed(sha256(utf8(`ledger test node ${n}`)));
}

export const MANAGER_COUNT = 6;
export const managerNode = (i: number): Ed25519KeyPair => nodeKey(100 + i);
export const managerAccount = (i: number): AccountKey => accountKey(100 + i);
export const governanceKey = (i: number): AccountKey => accountKey(200 + i);
/** Named genesis accounts: investors 1, reserve 2, research 3, early developers 4. */
export const INVESTORS = 1;
export const RESERVE = 2;
export const RESEARCH = 3;
export const EARLY = 4;

export function testGenesis(params: LedgerParams = demoParams, supply = 1_000_000n * ABC): GenesisConfig {
  return {
    chainName: 'ame-test',
    time: 0n,
    supply,
    accounts: {
      investors: accountKey(INVESTORS).address,
      reserve: accountKey(RESERVE).address,
      research: accountKey(RESEARCH).address,
      earlyDevelopers: accountKey(EARLY).address,
    },
    params,
    managers: Array.from({ length: MANAGER_COUNT }, (_, i) => ({
      key: managerNode(i).publicKey.bytes,
      account: managerAccount(i).address,
    })),
    ringAuthority: nodeKey(99).publicKey.bytes,
    ring: { epoch: 0n, root: new Uint8Array(32) },
    rs0: sha256(utf8('rs0')),
    governance: {
      keys: [0, 1, 2].map((i) => ({ scheme: governanceKey(i).scheme, key: governanceKey(i).publicKey })),
      threshold: 2,
    },
  };
}

export interface BlockOptions {
  readonly time?: bigint;
  readonly kind?: BlockKind;
  readonly proposer?: number;
  readonly leaders?: readonly number[];
  /** Pay the previous block's verifiers (default true). */
  readonly payVerifiers?: boolean;
  readonly certified?: boolean;
  /** The block's certificate (default: `certify`, every key of `certifiers`). */
  readonly certificate?: (block: Block) => Certificate;
  /** A proposer (and sole default leader) given by key rather than by genesis manager index. */
  readonly proposerNode?: Ed25519KeyPair;
}

/** One entry of a reconfigure body. */
export function managerEntry(node: Ed25519KeyPair, account: AccountKey): { key: Uint8Array; account: string } {
  return { key: node.publicKey.bytes, account: account.address };
}

export class TestChain {
  readonly dir: string;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly genesis: GenesisConfig;
  readonly chainId: Uint8Array;
  readonly accountNonces = new Map<string, bigint>();
  readonly nodeNonces = new Map<number, bigint>();
  time = 0n;
  lastCertificate: Certificate = [];
  lastBlock: Block | undefined;
  /** The node keys `certify` signs with (the six genesis managers until a test changes the manager set). */
  certifiers: Ed25519KeyPair[] = Array.from({ length: MANAGER_COUNT }, (_, i) => managerNode(i));

  constructor(genesis: GenesisConfig = testGenesis(), options: LedgerOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'ame-ledger-'));
    this.store = openStore(join(this.dir, 'ledger.sqlite'));
    this.genesis = genesis;
    this.ledger = Ledger.create(this.store, genesis, options);
    this.chainId = genesisId(genesis);
    checkInvariants(this.store);
  }

  close(): void {
    this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get params(): LedgerParams {
    return this.ledger.view().params();
  }

  nextNonce(address: string): bigint {
    const n = this.accountNonces.get(address) ?? 0n;
    this.accountNonces.set(address, n + 1n);
    return n;
  }

  /** A signed account transaction with the signer's next nonce. */
  accountTx<K extends TxKind>(
    key: AccountKey,
    kind: K,
    body: TxFields<K>['body'],
    fee = 0n,
    second?: AccountKey | Ed25519KeyPair,
  ): Tx {
    return signAccountTx({ chain: this.chainId, kind, nonce: this.nextNonce(key.address), fee, body }, key, second);
  }

  managerTx<K extends TxKind>(manager: number, kind: K, body: TxFields<K>['body']): Tx {
    const nonce = this.nodeNonces.get(manager) ?? 0n;
    this.nodeNonces.set(manager, nonce + 1n);
    return signManagerTx({ chain: this.chainId, kind, nonce, body }, managerNode(manager));
  }

  certify(block: Block): Certificate {
    const message = certificateMessage(headerHash(block.header));
    return this.certifiers.map((node) => ({ member: node.publicKey.bytes, sig: node.sign(message) }));
  }

  /** A recovery certificate of `block` by the given genesis governance keys. */
  recoveryCertificate(block: Block, governance: readonly number[] = [0, 1]): Certificate {
    return signRecoveryCertificate(headerHash(block.header), governance.map(governanceKey));
  }

  /** A proof of `meta/managers` in the main line's state (default: its head). */
  managersProof(version?: number): Proof {
    return this.store.prove(stateKey(META_PATHS.managers), version);
  }

  /** The governance nonce of the tip state. */
  get govNonce(): bigint {
    return this.ledger.view().chain().govNonce;
  }

  /** A reconfigure signed by these members of the current set (their indices looked up in `meta/managers`). */
  managersReconfigure(
    managers: readonly { key: Uint8Array; account: string }[],
    signers: readonly Ed25519KeyPair[],
    nonce = this.govNonce,
  ): Tx {
    const set = this.ledger.view().managers().keys.map((k) => Buffer.from(k).toString('hex'));
    const indexed = signers.map((key) => {
      const index = set.indexOf(Buffer.from(key.publicKey.bytes).toString('hex'));
      if (index < 0) throw new Error('signer is not in the current manager set');
      return { index, key };
    });
    return signManagersTx({ chain: this.chainId, kind: 'reconfigure', nonce, body: { managers } }, indexed);
  }

  /** A reconfigure signed by the given genesis governance keys (by index). */
  governanceReconfigure(
    managers: readonly { key: Uint8Array; account: string }[],
    governance: readonly number[],
    nonce = this.govNonce,
  ): Tx {
    return signGovernanceTx(
      { chain: this.chainId, kind: 'reconfigure', nonce, body: { managers } },
      governance.map((index) => ({ index, key: governanceKey(index) })),
    );
  }

  /** Proposes, certifies, applies, checks the invariants. */
  block(txs: readonly (Tx | Uint8Array)[], options: BlockOptions = {}): { block: Block; result: BlockResult } {
    this.time = options.time ?? this.time + 1000n;
    const proposer = options.proposer ?? 0;
    const proposerKey = (options.proposerNode ?? managerNode(proposer)).publicKey.bytes;
    const draft = this.ledger.propose({
      txs: txs.map((tx) => (tx instanceof Uint8Array ? tx : encodeTx(tx))),
      time: this.time,
      round: 0n,
      kind: options.kind ?? 'final',
      proposer: proposerKey,
      leaders:
        options.leaders === undefined && options.proposerNode !== undefined
          ? [proposerKey]
          : (options.leaders ?? [proposer]).map((i) => managerNode(i).publicKey.bytes),
      parentCertificate: options.payVerifiers === false ? [] : this.lastCertificate,
    });
    const block = { ...draft, certificate: options.certificate === undefined ? this.certify(draft) : options.certificate(draft) };
    const result = this.ledger.apply(block, options.certified === false ? { certified: false } : {});
    if (block.header.kind !== 'tentative') this.lastCertificate = block.certificate;
    this.lastBlock = block;
    checkInvariants(this.store);
    if (this.ledger.pendingTentative > 0) checkInvariants(this.ledger.view());
    return { block, result };
  }
}

export function owned(account: { abc: bigint; options: readonly { total: bigint; released: bigint }[] }): bigint {
  return account.options.reduce((sum, t) => sum + t.total - t.released, account.abc);
}

/** The LedgerError a call throws (code, its cause's code, field); throws if it returns or throws something else. */
export function refusal(fn: () => unknown): { code: string; cause?: string; field?: string } {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    const cause = error.cause instanceof LedgerError ? error.cause.code : undefined;
    return { code: error.code, ...(cause === undefined ? {} : { cause }), ...(error.field === undefined ? {} : { field: error.field }) };
  }
  throw new Error('expected a refusal');
}
