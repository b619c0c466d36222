/**
 * Checking a manager's `manager/state` reply against a header the light client verified, and reading the proven
 * bytes as typed records. Pure: nothing here talks to the network or keeps state.
 *
 * A reply is taken whole or not at all: every record must come with a proof that leads to the verified state
 * root, and the bytes it names must be the bytes that proof carries (or none, where it proves the key absent).
 */
import { bytesEqual } from '../crypto/index.ts';
import {
  type AccountRecord,
  accountPath,
  channelPath,
  type ChannelRecord,
  LedgerError,
  type LedgerParams,
  META_PATHS,
  type NodeRecord,
  nodePath,
  stateKey,
  type StoreLine,
  StateView,
} from '../ledger/index.ts';
import { StoreError, verifyProof } from '../store/index.ts';
import type { StateReply } from './light-protocol.ts';
import { LedgerViewError } from './ledger-view-errors.ts';

/** A header the light client verified: its height, state root and (when known) hash. */
export interface VerifiedHead {
  readonly height: bigint;
  readonly stateRoot: Uint8Array;
  /** Unknown for the light client's starting point unless it is the genesis (hash = chain id). */
  readonly hash: Uint8Array | undefined;
}

/** What a caller can read: the record kinds a worker needs, each at its state path. */
export type Target =
  | { readonly kind: 'channel'; readonly id: Uint8Array }
  | { readonly kind: 'account'; readonly address: string }
  | { readonly kind: 'node'; readonly key: Uint8Array }
  /** The ledger parameters in force (prices, promotion rules). */
  | { readonly kind: 'params' };

export type RecordOf<T extends Target> = T extends { kind: 'channel' }
  ? ChannelRecord
  : T extends { kind: 'account' }
    ? AccountRecord
    : T extends { kind: 'node' }
      ? NodeRecord
      : LedgerParams;
export type AnyTargetRecord = ChannelRecord | AccountRecord | NodeRecord | LedgerParams;

export function pathOf(target: Target): string {
  switch (target.kind) {
    case 'channel':
      return channelPath(target.id);
    case 'account':
      return accountPath(target.address);
    case 'node':
      return nodePath(target.key);
    case 'params':
      return META_PATHS.params;
  }
}

/** BAD_VALUE for a target that names no record: keys and ids are 32 bytes, addresses text of 1…128 bytes. */
export function checkTarget(target: Target): Target {
  if (target.kind === 'params') return target;
  if (target.kind === 'account') {
    const { address } = target;
    if (typeof address !== 'string' || address.length === 0 || Buffer.byteLength(address) > 128) {
      throw new LedgerViewError('BAD_VALUE', 'an account address is text of 1…128 bytes');
    }
  } else {
    const bytes = target.kind === 'channel' ? target.id : target.key;
    if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new LedgerViewError('BAD_VALUE', `a ${target.kind} is named by 32 bytes`);
  }
  return target;
}

/**
 * The proven bytes of each path asked (undefined: proven absent), in the order asked. BAD_REPLY when the reply
 * does not answer the question (another height, other paths); BAD_PROOF when it answers with something the
 * verified root does not commit to.
 */
export function verifyStateReply(reply: StateReply, head: VerifiedHead, paths: readonly string[]): (Uint8Array | undefined)[] {
  if (reply.height !== head.height) throw new LedgerViewError('BAD_REPLY', `state of height ${reply.height}, ${head.height} was asked`);
  if (head.hash !== undefined && !bytesEqual(reply.hash, head.hash)) {
    throw new LedgerViewError('BAD_PROOF', `the state served for height ${head.height} is not the verified block's`);
  }
  if (reply.records.length !== paths.length) throw new LedgerViewError('BAD_REPLY', `${reply.records.length} records for ${paths.length} paths`);
  return paths.map((path, i) => {
    const record = reply.records[i]!;
    if (record.path !== path) throw new LedgerViewError('BAD_REPLY', `records[${i}] is not ${path}`);
    let proven;
    try {
      proven = verifyProof(head.stateRoot, stateKey(path), record.proof);
    } catch (cause) {
      if (!(cause instanceof StoreError)) throw cause;
      throw new LedgerViewError('BAD_PROOF', `${path}: ${cause.message} (verified root of height ${head.height})`, { cause });
    }
    if (!proven.found) {
      if (record.value !== undefined) throw new LedgerViewError('BAD_PROOF', `${path}: a record where the proof shows none`);
      return undefined;
    }
    if (record.value === undefined) throw new LedgerViewError('BAD_PROOF', `${path}: the proof shows a record the reply withholds`);
    if (!bytesEqual(record.value, proven.value)) throw new LedgerViewError('BAD_PROOF', `${path}: the record is not the one proven`);
    return proven.value;
  });
}

/**
 * The typed record of proven bytes, read with the ledger's own StateView over a line that holds just this key, so
 * the decoding (and the check that the path holds the right kind) is the ledger's. BAD_RECORD when it does not fit.
 */
export function recordOf<T extends Target>(target: T, value: Uint8Array | undefined): RecordOf<T> | undefined {
  if (value === undefined) return undefined;
  const key = stateKey(pathOf(target));
  const line: StoreLine = {
    get: (k) => (bytesEqual(k, key) ? value : undefined),
    getEntry: (k) => (bytesEqual(k, key) ? { value, valueVersion: 1 } : undefined),
    scan: () => [],
    commit: () => {
      throw new LedgerViewError('BAD_VALUE', 'a proven record is read-only');
    },
    root: () => new Uint8Array(32),
    head: () => 0,
  };
  const view = StateView.over(line);
  try {
    switch (target.kind) {
      case 'channel':
        return view.channel(target.id) as RecordOf<T> | undefined;
      case 'account':
        return view.account(target.address) as RecordOf<T>;
      case 'node':
        return view.node(target.key) as RecordOf<T> | undefined;
      case 'params':
        return view.params() as RecordOf<T>;
    }
  } catch (cause) {
    if (!(cause instanceof LedgerError)) throw cause;
    throw new LedgerViewError('BAD_RECORD', `${pathOf(target)}: ${cause.message}`, { cause });
  }
  return undefined;
}
