/**
 * Byzantine behaviours for ACP nodes in the simulator. A Byzantine node runs the honest state machine (except
 * `silent`) and twists what it sends: two proposals to two halves of the ring, conflicting votes to two halves,
 * messages forged in other members' names, replays of old messages, or everything withheld and released late.
 * It holds only its own keys, as a real attacker would.
 */
import type { CryptoSuite, NodeKeys } from '../crypto-suite.ts';
import { signingBytes } from '../sign-bytes.ts';
import type { AcpMessage, Checkpoint, Hash, SignedAcpMessage } from '../types.ts';
import type { SeededRandom } from '../../net/sim/index.ts';
import { forgeCheckpoints } from './forge.ts';

export const BYZANTINE_KINDS = [
  'silent',
  'equivocating-proposer',
  'equivocating-voter',
  'forger',
  'replayer',
  'late',
] as const;
/**
 * `checkpoint-forger` (not in the random mix of BYZANTINE_KINDS, so the long suite's seeds keep their scenarios):
 * behaves honestly, and with every status or checkpoint it sends also sends forged checkpoints (section
 * "Checkpoints" of docs/consensus.md) to the same recipients.
 */
/**
 * `silent-leader` (not in the random mix either): the Byzantine leader of SPEC §7's comparison — honest until it
 * leads one of a round's parallel PBFT instances (it is about to send a pre-prepare), then silent at that height.
 */
export type ByzantineKind = (typeof BYZANTINE_KINDS)[number] | 'checkpoint-forger' | 'silent-leader';

/** What a node puts on the wire: a message to some recipients, after an extra delay. */
export interface Transmission {
  readonly to: readonly number[];
  readonly message: AcpMessage;
  readonly extraDelayMs: number;
}

export interface ByzantineContext {
  readonly index: number;
  readonly n: number;
  readonly keys: NodeKeys;
  readonly suite: CryptoSuite;
  readonly random: SeededRandom;
  /** The empty block id of `height` on this node's current branch. */
  emptyIdAt(height: number): Hash;
  /** How long a `late` node holds its messages. */
  readonly lateMs: number;
  /** The checkpoint this node's honest state machine would give now (checkpoint-forger). */
  checkpoint?(): Checkpoint | undefined;
  /** Its final height (checkpoint-forger). */
  finalHeight?(): number;
  readonly quorum?: number;
}

function resign<M extends SignedAcpMessage>(m: M, ctx: ByzantineContext): M {
  return { ...m, sig: ctx.keys.sign(signingBytes(m, ctx.suite.hash)) };
}

function others(ctx: ByzantineContext): number[] {
  return Array.from({ length: ctx.n }, (_, i) => i).filter((i) => i !== ctx.index);
}

/** Transforms one broadcast of a Byzantine node into what it really sends. */
export class ByzantineBehaviour {
  readonly kind: ByzantineKind;
  readonly #ctx: ByzantineContext;
  readonly #seenIds = new Map<number, Hash[]>();
  readonly #history: AcpMessage[] = [];
  /** Heights at which a silent leader led (and went quiet). */
  readonly #led = new Set<number>();

  constructor(kind: ByzantineKind, ctx: ByzantineContext) {
    this.kind = kind;
    this.#ctx = ctx;
  }

  /** Called with every message the node receives (the replayer keeps them; the voter learns ids). */
  observe(m: AcpMessage): void {
    if (m.kind === 'proposal' || m.kind === 'vote' || m.kind === 'prepare' || m.kind === 'commit') {
      const id = m.kind === 'proposal' ? undefined : m.id;
      if (id !== undefined) {
        const list = this.#seenIds.get(m.height) ?? [];
        if (list.length < 8 && !list.some((x) => Buffer.from(x).equals(id))) list.push(id);
        this.#seenIds.set(m.height, list);
      }
    }
    if (this.kind === 'replayer' && this.#history.length < 4000) this.#history.push(m);
  }

  transmit(message: AcpMessage, to: readonly number[] | 'all'): Transmission[] {
    const ctx = this.#ctx;
    const targets = to === 'all' ? others(ctx) : to;
    const evens = targets.filter((_, i) => i % 2 === 0);
    const odds = targets.filter((_, i) => i % 2 === 1);
    const plain = (m: AcpMessage, t: readonly number[] = targets, d = 0): Transmission => ({ to: t, message: m, extraDelayMs: d });
    switch (this.kind) {
      case 'silent':
        return [];
      case 'silent-leader': {
        if (!('height' in message)) return [plain(message)];
        if (message.kind === 'preprepare') this.#led.add(message.height);
        return this.#led.has(message.height) ? [] : [plain(message)];
      }
      case 'late':
        return [plain(message, targets, ctx.lateMs)];
      case 'equivocating-proposer': {
        if (message.kind !== 'proposal') return [plain(message)];
        const twin = resign({ ...message, valueHash: ctx.random.bytes(32), size: message.size + 1 + ctx.random.int(1000) }, ctx);
        const big = resign({ ...message, size: message.size + 1000 + ctx.random.int(1000) }, ctx);
        return [plain(big, evens), plain(twin, odds)];
      }
      case 'equivocating-voter': {
        if (message.kind !== 'vote' && message.kind !== 'prepare' && message.kind !== 'commit') return [plain(message)];
        const alt = this.#alternative(message.height, message.id);
        const twin = resign({ ...message, id: alt }, ctx);
        return [plain(message, evens), plain(twin, odds)];
      }
      case 'forger': {
        const out = [plain(message)];
        if (message.kind === 'vote' || message.kind === 'prepare' || message.kind === 'commit' || message.kind === 'proposal') {
          const victim = targets[ctx.random.int(Math.max(1, targets.length))] ?? 0;
          const forged = { ...message, from: victim, sig: ctx.random.bytes(message.sig.length) };
          const alt = message.kind === 'proposal' ? forged : { ...forged, id: this.#alternative(message.height, message.id) };
          out.push(plain(alt as AcpMessage));
        }
        return out;
      }
      case 'checkpoint-forger': {
        if (message.kind !== 'status' && message.kind !== 'checkpoint') return [plain(message)];
        const real = ctx.checkpoint?.();
        // Forgeries first, its honest answer after them.
        const forged = forgeCheckpoints(ctx, real, ctx.finalHeight?.() ?? 0, 3);
        return [...forged.map((m) => plain(m)), plain(message, targets, 50)];
      }
      case 'replayer': {
        const out = [plain(message)];
        for (let i = 0; i < 3 && this.#history.length > 0; i++) {
          out.push(plain(this.#history[ctx.random.int(this.#history.length)]!));
        }
        return out;
      }
    }
  }

  /** A value other than `id` at `height`: another id seen there, else the empty block, else random. */
  #alternative(height: number, id: Hash): Hash {
    const seen = (this.#seenIds.get(height) ?? []).filter((x) => !Buffer.from(x).equals(id));
    if (seen.length > 0) return seen[this.#ctx.random.int(seen.length)]!;
    const empty = this.#ctx.emptyIdAt(height);
    return Buffer.from(empty).equals(id) ? this.#ctx.random.bytes(32) : empty;
  }
}
