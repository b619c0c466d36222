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
import type { Anchor } from '../consensus/acp/chain.ts';
import type { ChainStore } from './chain-store.ts';
import { ManagerError } from './errors.ts';
import { getHead } from './rpc.ts';

/** Chain-store meta key of the last consensus round this node entered: CBOR {era, height}. */
const ROUND_META = 'acp-round';
const roundSchema = s.struct({ era: s.bytes({ len: 32 }), height: s.u64() });
/**
 * Chain-store meta key of the consensus anchor: the last final ACP block whose value this ledger has applied, CBOR
 * {era, height, id, seed}. A restart resumes the era's ACP chain after it instead of at the era's start, so a ring
 * whose members all restart does not sit through every round since then without signing.
 */
const ANCHOR_META = 'acp-anchor';
const anchorSchema = s.struct({ era: s.bytes({ len: 32 }), height: s.u64(), id: s.bytes({ len: 32 }), seed: s.bytes({ len: 32 }) });

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

  /** The anchor recorded in `era`, if any (undefined for another era). */
  anchor(era: Uint8Array): Anchor | undefined {
    const saved = this.#o.chain.meta(ANCHOR_META);
    if (saved === undefined) return undefined;
    let record: { era: Uint8Array; height: bigint; id: Uint8Array; seed: Uint8Array };
    try {
      record = anchorSchema.parse(decodeCbor(saved, { maxSize: 256 }), 'acp-anchor');
    } catch (cause) {
      throw new ManagerError('BAD_CONFIG', `the chain store's consensus anchor is damaged: ${(cause as Error).message}`, { cause });
    }
    if (!bytesEqual(record.era, era)) return undefined;
    return { height: Number(record.height), id: record.id, seed: record.seed };
  }

  /** Records the last final ACP block of the current era whose value the ledger has applied. */
  anchored(anchor: Anchor): void {
    if (this.#era === undefined) return;
    const { height, id, seed } = anchor;
    this.#o.chain.setMeta(ANCHOR_META, encodeCbor({ era: this.#era, height: BigInt(height), id, seed }));
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
