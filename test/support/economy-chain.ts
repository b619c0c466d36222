/**
 * The chain as the economics model (economy-model.ts) reads it: blocks, their transactions and what each does to
 * money, in plain strings and bigints. economy-ledger.ts reads them from a ledger's chain store; the model's unit
 * test writes them by hand.
 */
import type { LedgerParams } from '../../node/ledger/params.ts';

export type ModelEffect =
  | { readonly kind: 'transfer'; readonly to: string; readonly amount: bigint }
  | { readonly kind: 'convert'; readonly amount: bigint }
  | { readonly kind: 'register'; readonly node: string; readonly role: string }
  | { readonly kind: 'channel-open'; readonly channel: string; readonly currency: string; readonly amount: bigint; readonly payees: readonly string[] }
  | { readonly kind: 'channel-settle'; readonly channel: string; readonly payee: string; readonly amount: bigint }
  /** Workload units by node (node-report, and a period close's own list); `cheated` verdicts are not modelled. */
  | { readonly kind: 'workload'; readonly units: readonly { readonly node: string; readonly units: bigint }[]; readonly cheated: boolean; readonly close: boolean }
  /** A kind with no money in it (an attachment). */
  | { readonly kind: 'none' }
  | { readonly kind: 'unsupported'; readonly what: string };

export interface ModelTx {
  /** Encoded size: counts toward C_final. */
  readonly bytes: number;
  readonly fee: bigint;
  /** The paying account (account-signed kinds); undefined for a manager's transaction (no fee). */
  readonly payer: string | undefined;
  /** Whether its effect succeeded (its fee is paid either way). */
  readonly ok: boolean;
  readonly effect: ModelEffect;
}

export interface ModelBlock {
  readonly height: bigint;
  readonly time: bigint;
  readonly kind: 'final' | 'tentative' | 'empty';
  /** Node keys (hex) of the proposer and the PBFT instance leaders. */
  readonly proposer: string;
  readonly leaders: readonly string[];
  /** Node keys (hex) of the voters in the previous block's certificate, which this block carries. */
  readonly parentVoters: readonly string[];
  readonly txs: readonly ModelTx[];
}

export interface ModelGenesis {
  readonly supply: bigint;
  readonly time: bigint;
  readonly params: LedgerParams;
  readonly accounts: { readonly investors: string; readonly reserve: string; readonly research: string; readonly earlyDevelopers: string };
  /** Node key (hex) and account of each genesis manager. */
  readonly managers: readonly { readonly key: string; readonly account: string }[];
}
