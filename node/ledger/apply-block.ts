/**
 * applyBlock: executes a block on a store line and commits the result as one store version (docs/ledger.md
 * "Blocks"). Order: header checks → the previous block's verifiers are paid from its certificate → the
 * transactions in order (each admitted, charged, run; failures recorded) → the block's economics (reward M·f
 * split miner : leaders : verifiers, fees ⌊T/2⌋ to the miner and the rest to the worker fee pool) → the period
 * close, if the block holds one → chain record. Parameters are those in force at the start of the block.
 *
 * The caller runs it on a branch it can drop (Ledger does): a block whose resulting root differs from its
 * header's stateRoot is BAD_BLOCK after the commit.
 */
import { bytesEqual, toHex, verifyAny, type VerifySig } from '../crypto/index.ts';
import { type Block, type Certificate, certificateHash, headerHash, txRoot, verifyCertificate } from './block.ts';
import { blockReward, proRata, scaledReward, splitFees, splitReward } from './economics.ts';
import { LedgerError, type LedgerErrorCode } from './errors.ts';
import { creditAbc } from './exec-context.ts';
import { chargeTx, checkTx, runTx } from './execute.ts';
import { closePeriod } from './period.ts';
import { type CertificateKind, isRecoveryCertificate, verifyRecoveryCertificate } from './recovery.ts';
import type { LedgerParams } from './params.ts';
import type { RecordCache } from './record-cache.ts';
import { StateView, type StoreLine } from './state.ts';
import { txHash } from './tx.ts';
import { decodeWith, type TxMemo } from './tx-memo.ts';

export interface TxOutcome {
  readonly hash: Uint8Array;
  readonly ok: boolean;
  readonly fee: bigint;
  readonly code?: LedgerErrorCode;
  readonly field?: string;
  readonly message?: string;
}

export interface BlockResult {
  readonly hash: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly version: number;
  readonly outcomes: readonly TxOutcome[];
  /** T: the fees the block's transactions paid. */
  readonly fees: bigint;
  /** C_final: the bytes of the block's transactions. */
  readonly txBytes: bigint;
  /** The transactions executed: the block's, or with `select` those of its draft that were admissible. */
  readonly txs: readonly Uint8Array[];
}

export { ed25519Verify } from './block.ts';

function badBlock(message: string, field: string, cause?: unknown): LedgerError {
  return new LedgerError('BAD_BLOCK', message, cause === undefined ? { field } : { field, cause });
}

/** Pays `amounts` to accounts from the reward pool, pro rata if it cannot cover them; as income. */
function payFromRewardPool(state: StateView, params: LedgerParams, time: bigint, payees: readonly [string, bigint][]): void {
  const pools = state.pools();
  const paid = proRata(payees.map(([, a]) => a), pools.rewardPool);
  let total = 0n;
  for (const [i, [address]] of payees.entries()) {
    creditAbc({ state, params, time }, address, paid[i]!, true);
    total += paid[i]!;
  }
  state.setPools({ ...state.pools(), rewardPool: pools.rewardPool - total });
}

function managerAccount(state: StateView, key: Uint8Array, field: string): string {
  const node = state.node(key);
  if (node === undefined || node.role !== 'manager') throw badBlock('not a manager', field);
  return node.account;
}

/**
 * The parent's certificate is checked against the set that certified the parent: the set before it when the
 * parent changed the set (`meta/previous-managers` of its height), else the current one. A recovery certificate
 * is accepted only when the parent installed a set by a governance reconfigure; it pays nobody (the recovery keys
 * are not managers), so that block's verifier budget stays in the reward pool, as with an empty one.
 */
function checkParentCertificate(
  state: StateView,
  parentHeight: bigint,
  parentHash: Uint8Array,
  certificate: Certificate,
  verify: VerifySig,
): CertificateKind {
  const previous = state.previousManagers();
  const changed = previous !== undefined && previous.height === parentHeight ? previous : undefined;
  const governance = state.governance();
  try {
    if (isRecoveryCertificate(certificate, governance)) {
      if (changed?.recovery !== true) {
        throw new LedgerError('BAD_CERTIFICATE', 'the parent installed no set by a governance reconfigure', {
          field: 'certificate',
        });
      }
      verifyRecoveryCertificate(parentHash, certificate, governance);
      return 'recovery';
    }
    verifyCertificate(parentHash, certificate, changed?.keys ?? state.managers().keys, (k, m, s) => verify('ed25519', k, m, s));
    return 'managers';
  } catch (cause) {
    throw badBlock((cause as Error).message, 'parentCertificate', cause);
  }
}

export interface ApplyOptions {
  /** false: do not compare the roots with header.stateRoot and header.txRoot (a proposer computing them). Default true. */
  readonly checkRoot?: boolean;
  /** The hash of the head block (genesis: the chain id); header.prevHash must equal it. The state cannot hold it. */
  readonly parentHash?: Uint8Array;
  /** Signature checks (default: verify every time; a manager passes its SignatureCache's). */
  readonly verify?: VerifySig;
  /** Decoded transactions remembered across admission, building and applying (a manager's). */
  readonly memo?: TxMemo | undefined;
  /** Decoded records by version, shared by the ledger's views (none: every read decodes). */
  readonly records?: RecordCache | undefined;
  /**
   * A proposer's draft: a transaction that is not admissible is left out (result.txs) instead of making the block
   * BAD_BLOCK. Only with checkRoot false (the proposer computes both roots from the result).
   */
  readonly select?: boolean;
}

export function applyBlock(line: StoreLine, block: Block, options: ApplyOptions = {}): BlockResult {
  const { header } = block;
  const state = StateView.over(line, options.records);
  const chain = state.chain();
  const params = state.params();
  const time = header.time;
  const verify = options.verify ?? verifyAny;
  const select = options.select === true && options.checkRoot === false;

  if (!bytesEqual(header.chain, chain.chainId)) throw new LedgerError('WRONG_CHAIN', 'block of another chain', { field: 'header.chain' });
  if (header.height !== chain.height + 1n) throw badBlock(`expected height ${chain.height + 1n}`, 'header.height');
  if (options.parentHash !== undefined && !bytesEqual(header.prevHash, options.parentHash)) {
    throw badBlock('does not extend the head', 'header.prevHash');
  }
  if (time < chain.lastTime) throw badBlock('time goes backwards', 'header.time');
  if (!bytesEqual(header.parentCertHash, certificateHash(block.parentCertificate))) {
    throw badBlock('parent certificate does not match its hash', 'header.parentCertHash');
  }
  const hashes = block.txs.map(txHash);
  if (options.checkRoot !== false && !bytesEqual(header.txRoot, txRoot(hashes))) {
    throw badBlock('transaction root mismatch', 'header.txRoot');
  }
  const draftBytes = block.txs.reduce((sum, tx) => sum + BigInt(tx.length), 0n);
  if (draftBytes > params.blockLimitBytes) throw badBlock(`${draftBytes} bytes over the limit`, 'txs');
  if (header.kind === 'empty' && block.txs.length > 0) throw badBlock('an empty block holds no transactions', 'txs');

  // The previous block's verifiers, from its certificate.
  if (block.parentCertificate.length > 0) {
    if (chain.height === 0n) throw badBlock('genesis has no certificate', 'parentCertificate');
    if (checkParentCertificate(state, chain.height, header.prevHash, block.parentCertificate, verify) === 'managers') {
      const each = chain.verifierBudget / BigInt(block.parentCertificate.length);
      payFromRewardPool(
        state,
        params,
        time,
        block.parentCertificate.map((c, i) => [managerAccount(state, c.member, `parentCertificate[${i}]`), each]),
      );
    }
  }

  // Transactions.
  const flags = { periodClose: false };
  const outcomes: TxOutcome[] = [];
  const kept: Uint8Array[] = [];
  let fees = 0n;
  let txBytes = 0n;
  for (const [i, bytes] of block.txs.entries()) {
    const hash = hashes[i]!;
    let admitted;
    let tx;
    try {
      tx = decodeWith(options.memo, bytes, Number(params.maxTxBytes), hash);
      admitted = checkTx(state, params, chain, time, tx, bytes.length, verify, options.memo);
    } catch (cause) {
      if (!(cause instanceof LedgerError)) throw cause;
      if (select) continue;
      throw badBlock(`transaction ${toHex(hash)} is not admissible: ${cause.message}`, `txs[${i}]`, cause);
    }
    kept.push(bytes);
    txBytes += BigInt(bytes.length);
    chargeTx(state, params, time, tx, admitted);
    fees += tx.fee;
    const layer = state.child();
    try {
      runTx({ state: layer, params, time, chain: state.chain(), tx, signer: admitted.signer, verify, block: flags });
      layer.apply();
      outcomes.push({ hash, ok: true, fee: tx.fee });
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      outcomes.push({ hash, ok: false, fee: tx.fee, code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) });
    }
  }

  // The block's economics.
  let verifierBudget = 0n;
  if (header.kind !== 'empty') {
    const minerAccount = managerAccount(state, header.proposer, 'header.proposer');
    const leaderAccounts = header.leaders.map((key, i) => managerAccount(state, key, `header.leaders[${i}]`));
    if (new Set(header.leaders.map(toHex)).size !== header.leaders.length) throw badBlock('leader listed twice', 'header.leaders');
    const split = splitReward(params, scaledReward(params, blockReward(params, chain.period), txBytes));
    const leaderEach = leaderAccounts.length === 0 ? 0n : split.leaders / BigInt(leaderAccounts.length);
    payFromRewardPool(state, params, time, [
      [minerAccount, split.miner],
      ...leaderAccounts.map((a): [string, bigint] => [a, leaderEach]),
    ]);
    verifierBudget = split.verifiers;
    const feeSplit = splitFees(params, fees);
    creditAbc({ state, params, time }, minerAccount, feeSplit.miner, true);
    const pools = state.pools();
    state.setPools({ ...pools, workerFeePool: pools.workerFeePool + feeSplit.pool });
  }

  if (flags.periodClose) closePeriod(state, params, time);
  const hash = headerHash(header);
  state.setChain({ ...state.chain(), height: header.height, parentHash: header.prevHash, lastTime: time, verifierBudget });
  const version = state.commit();
  const stateRoot = line.root(version);
  if (options.checkRoot !== false && !bytesEqual(stateRoot, header.stateRoot)) {
    throw badBlock(`state root is ${toHex(stateRoot)}`, 'header.stateRoot');
  }
  return { hash, stateRoot, version, outcomes, fees, txBytes, txs: kept };
}
