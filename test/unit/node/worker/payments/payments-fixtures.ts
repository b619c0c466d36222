/**
 * Shared pieces of the payments tests: a client with a session, payee node keys, a channel view the test can
 * change, a clock and a scheduler the test drives by hand.
 */
import {
  type AccountKey,
  authorizeSession,
  ecdsaAccountKey,
  Ed25519KeyPair,
  type SessionAuthorization,
  sha256,
  toHex,
  utf8,
} from '../../../../../node/crypto/index.ts';
import { WorkerError, type WorkerErrorCode } from '../../../../../node/worker/errors.ts';
import type { ChannelInfo, Scheduler, SpenderChannel } from '../../../../../node/worker/payments/index.ts';

export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;

export const seeded = (label: string): Uint8Array => sha256(utf8(`payments test ${label}`));
export const nodeKey = (n: number): Ed25519KeyPair => Ed25519KeyPair.fromSeed(seeded(`node ${n}`));
export const accountOf = (label: string): AccountKey => ecdsaAccountKey(seeded(`account ${label}`));

export interface Clock {
  readonly now: () => number;
  advance(ms: number): void;
}

export function clock(start = T0): Clock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** A scheduler whose flush runs only when the test calls `tick`. */
export function manualScheduler(): { schedule: Scheduler; tick: () => boolean; readonly armed: boolean } {
  let queued: (() => void) | undefined;
  return {
    schedule: (flush) => {
      queued = flush;
      return () => {
        if (queued === flush) queued = undefined;
      };
    },
    tick: () => {
      const flush = queued;
      queued = undefined;
      flush?.();
      return flush !== undefined;
    },
    get armed() {
      return queued !== undefined;
    },
  };
}

export interface World {
  readonly client: AccountKey;
  readonly session: Ed25519KeyPair;
  readonly auth: SessionAuthorization;
  readonly payees: readonly Uint8Array[];
  readonly channel: SpenderChannel;
  readonly clock: Clock;
  /** The ledger as the payee sees it; tests change channels here. */
  readonly ledger: Map<string, ChannelInfo>;
  readonly view: (id: Uint8Array) => ChannelInfo | undefined;
  setChannel(patch: Partial<ChannelInfo>, id?: Uint8Array): void;
}

export function world(options: { escrow?: bigint; payees?: number; expiresAt?: number; label?: string } = {}): World {
  const label = options.label ?? 'main';
  const client = accountOf(`client ${label}`);
  const session = Ed25519KeyPair.fromSeed(seeded(`session ${label}`));
  const auth = authorizeSession(client, session.publicKey, options.expiresAt ?? T0 + 24 * HOUR);
  const payees = Array.from({ length: options.payees ?? 2 }, (_, i) => nodeKey(i).publicKey.bytes);
  const escrow = options.escrow ?? 1_000_000n;
  const channel: SpenderChannel = { id: seeded(`channel ${label}`), escrow, payees, currency: 'ABC' };
  const ledger = new Map<string, ChannelInfo>();
  ledger.set(toHex(channel.id), {
    client: client.address,
    status: 'open',
    escrow,
    payees,
    paid: payees.map(() => 0n),
    closeAt: 0n,
  });
  return {
    client,
    session,
    auth,
    payees,
    channel,
    clock: clock(),
    ledger,
    view: (id) => ledger.get(toHex(id)),
    setChannel: (patch, id = channel.id) => {
      const info = ledger.get(toHex(id));
      if (info === undefined) throw new Error('no such channel in the test ledger');
      ledger.set(toHex(id), { ...info, ...patch });
    },
  };
}

/** The WorkerError a promise rejects with (code and field); fails the test on anything else. */
export async function rejection(promise: Promise<unknown>): Promise<{ code: WorkerErrorCode; field: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof WorkerError)) throw error;
    return { code: error.code, field: error.field };
  }
  throw new Error('expected a refusal');
}

/** The WorkerError a call throws (code and field). */
export function refusal(fn: () => unknown): { code: WorkerErrorCode; field: string | undefined } {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof WorkerError)) throw error;
    return { code: error.code, field: error.field };
  }
  throw new Error('expected a refusal');
}
