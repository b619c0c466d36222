/**
 * Keeps a restarted or re-synced manager from signing twice in one consensus round. An honest node that voted in
 * round h, crashed and came back without remembering could vote differently in h — an equivocation that counts
 * against the f < n/3 bound (CometBFT keeps its last signed round on disk for the same reason). So every round the
 * node enters is recorded in the chain store before the node can sign in it, and at start the node follows
 * without signing through the highest of: the round it recorded (same era), and the rounds its members are in now
 * (it cannot have voted beyond them). A wiped server has no record; the members' rounds cover it.
 */
import { bytesEqual } from '../crypto/index.ts';
import type { NetLogger, PeerRef, Rpc } from '../net/index.ts';
import { decodeCbor, encodeCbor, s } from '../wire/index.ts';
import type { ChainStore } from './chain-store.ts';
import { ManagerError } from './errors.ts';
import { getHead } from './rpc.ts';

/** Chain-store meta key of the last consensus round this node entered: CBOR {era, height}. */
const ROUND_META = 'acp-round';
const roundSchema = s.struct({ era: s.bytes({ len: 32 }), height: s.u64() });

function decodeRound(bytes: Uint8Array): { era: Uint8Array; height: bigint } {
  try {
    return roundSchema.parse(decodeCbor(bytes, { maxSize: 128 }), 'acp-round');
  } catch (cause) {
    throw new ManagerError('BAD_CONFIG', `the chain store's consensus round record is damaged: ${(cause as Error).message}`, { cause });
  }
}

export interface RoundGuardOptions {
  readonly chain: ChainStore;
  readonly rpc: Rpc;
  readonly logger?: NetLogger | undefined;
}

export class RoundGuard {
  readonly #o: RoundGuardOptions;
  #era: Uint8Array | undefined;
  #saved = 0;

  constructor(options: RoundGuardOptions) {
    this.#o = options;
  }

  /** The rounds of `era` this node must follow without signing. */
  async silentThrough(era: Uint8Array, members: readonly PeerRef[]): Promise<number> {
    let through = 0;
    const saved = this.#o.chain.meta(ROUND_META);
    if (saved !== undefined) {
      const record = decodeRound(saved);
      if (bytesEqual(record.era, era)) through = Number(record.height);
    }
    const heads = await Promise.all(members.map((p) => getHead(this.#o.rpc, p, 2_000).catch(() => undefined)));
    for (const h of heads) if (h !== undefined && Number(h.acpHeight) > through) through = Number(h.acpHeight);
    this.#o.logger?.info({ silentThrough: through }, 'consensus rounds this node will not sign in');
    return through;
  }

  enterEra(era: Uint8Array): void {
    this.#era = era;
    this.#saved = 0;
  }

  /** Records that the node entered round `height` (before it can sign in it). */
  entered(height: number): void {
    if (height <= this.#saved || this.#era === undefined) return;
    this.#saved = height;
    this.#o.chain.setMeta(ROUND_META, encodeCbor({ era: this.#era, height: BigInt(height) }));
  }
}
