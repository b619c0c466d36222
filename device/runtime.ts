/**
 * What the agent drives through its states: the node itself (network, registration, serving, ledger). The agent
 * knows nothing of node/worker; `ame device` passes a factory that builds the real runtime on top of it from the
 * identity and config provisioning produced. Tests pass an in-memory one (test/support/device-runtime.ts).
 *
 * The agent calls connect() (retried with back-off while it fails: no network is normal at boot), register()
 * (idempotent: a registered node returns at once; retried likewise), then serve() (a failure is an error state),
 * and status() from the supervisor loop and the console. Before a factory reset of a registered node it calls
 * gracefulExit(), and it calls stop() before a reset and at shutdown.
 */
import type { Ed25519KeyPair } from '../node/crypto/index.ts';
import type { AccountRecord, LedgerParams, NodeRecord } from '../node/ledger/index.ts';
import type { Amount } from '../node/wire/index.ts';
import type { Logger } from 'pino';
import type { DeviceConfig } from './config/schema.ts';
import type { PayoutAccount } from './provisioning/provision.ts';
import type { HealthCheck } from './checks/types.ts';

export type NodeRole = 'none' | 'temporary-worker' | 'server';

export interface Earnings {
  /** Requests served since registration. */
  readonly servedRequests: number;
  /** Latest receipts held, not yet settled. */
  readonly receiptsHeld: number;
  /** Owed by receipts held, not settled yet. */
  readonly unsettled: Amount;
  /** Paid to the payout account by settlements on the ledger. */
  readonly settled: Amount;
}

export interface RuntimeStatus {
  readonly role: NodeRole;
  readonly peerId: string;
  /** The payout account the node is registered with (null before registration). */
  readonly walletAddress: string | null;
  readonly registered: boolean;
  readonly promoted: boolean;
  readonly connectedPeers: number;
  /** The payout account's balance on the final ledger state (null when unknown, e.g. offline). */
  readonly balance: Amount | null;
  readonly earnings: Earnings;
  /** Problems the node sees itself (a failed audit, no peers for a while); each degrades the agent while present. */
  readonly problems: readonly string[];
}

/**
 * The node's own records at the light client's verified head, for the dashboard: it computes vesting, promotion
 * progress and reputation from them with the ledger's own functions, so the page shows what the ledger decides.
 */
export interface LedgerSnapshot {
  /** Height of the verified head the records were read at. */
  readonly height: bigint;
  /**
   * Block time (ms) the figures are computed at: the head's time when the runtime knows it, else the node's
   * clock (consensus time follows it), which is what the worker's own promotion check uses.
   */
  readonly time: bigint;
  /** The node's record (undefined before its registration is final). */
  readonly node: NodeRecord | undefined;
  /** The payout account as stored (option tranches with what earlier transactions released). */
  readonly account: AccountRecord | undefined;
  readonly params: LedgerParams;
}

export interface NodeRuntime {
  connect(): Promise<void>;
  register(): Promise<void>;
  serve(): Promise<void>;
  status(): Promise<RuntimeStatus>;
  /** Files the ledger's graceful exit (SPEC.md §6 item 8) and waits until it is accepted. */
  gracefulExit(): Promise<void>;
  /** Stops serving and closes the node's files; safe to call twice. */
  stop(): Promise<void>;
  /**
   * Checks of the node's own data run before serving after an unclean stop (the service-log chain tail, the latest
   * state root), next to the agent's SQLite, free-space and writability checks.
   */
  preServingChecks?(): readonly HealthCheck[];
  /** The node's records at the verified head (undefined until the light client has read them). */
  ledger?(): Promise<LedgerSnapshot | undefined>;
}

export interface RuntimeContext {
  readonly identity: { readonly key: Ed25519KeyPair; readonly peerId: string };
  readonly payout: PayoutAccount;
  /** The runtime's own directory (<dataDir>/node): wiped by a factory reset, checked after an unclean stop. */
  readonly dataDir: string;
  readonly config: DeviceConfig;
  readonly logger: Logger;
}

/** Builds the runtime once per boot (a factory reset builds a new one with the new identity). */
export type NodeRuntimeFactory = (context: RuntimeContext) => NodeRuntime | Promise<NodeRuntime>;
