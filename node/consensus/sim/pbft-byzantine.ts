/**
 * Byzantine behaviours for the PBFT baseline: silent, silent whenever it leads (the SPEC §7 comparison), and
 * equivocating — two pre-prepares to two halves of the ring when it leads, and conflicting prepares and commits.
 * It holds only its own keys.
 */
import type { CryptoSuite, NodeKeys } from '../crypto-suite.ts';
import type { SeededRandom } from '../../net/sim/index.ts';
import { pbftBlockId, pbftSigningBytes } from '../pbft/messages.ts';
import { leaderOf, type PbftMessage, type SignedPbftMessage } from '../pbft/types.ts';

export const PBFT_BYZANTINE_KINDS = ['silent', 'silent-leader', 'equivocating'] as const;
export type PbftByzantineKind = (typeof PBFT_BYZANTINE_KINDS)[number];

export interface PbftTransmission {
  readonly to: readonly number[];
  readonly message: PbftMessage;
}

export interface PbftByzantineContext {
  readonly index: number;
  readonly n: number;
  readonly keys: NodeKeys;
  readonly suite: CryptoSuite;
  readonly random: SeededRandom;
}

export class PbftByzantine {
  readonly kind: PbftByzantineKind;
  readonly #ctx: PbftByzantineContext;
  /** (height, view) → the id of the second value this node pre-prepared there, voted for to the odd half. */
  readonly #twins = new Map<string, Uint8Array>();

  constructor(kind: PbftByzantineKind, ctx: PbftByzantineContext) {
    this.kind = kind;
    this.#ctx = ctx;
  }

  #resign<M extends SignedPbftMessage>(m: M): M {
    return { ...m, sig: this.#ctx.keys.sign(pbftSigningBytes(m)) };
  }

  /** Whether this node leads the view a message speaks in. */
  #leads(m: PbftMessage): boolean {
    if (m.kind === 'decision' || m.kind === 'sync') return false;
    const pp = m.kind === 'new-view' ? m.prePrepare : m;
    return leaderOf(pp.height, pp.view, this.#ctx.n) === this.#ctx.index;
  }

  transmit(message: PbftMessage, targets: readonly number[]): PbftTransmission[] {
    const evens = targets.filter((_, i) => i % 2 === 0);
    const odds = targets.filter((_, i) => i % 2 === 1);
    switch (this.kind) {
      case 'silent':
        return [];
      case 'silent-leader':
        return this.#leads(message) ? [] : [{ to: targets, message }];
      case 'equivocating': {
        const random = this.#ctx.random;
        if (message.kind === 'preprepare') {
          const twin = this.#resign({ ...message, valueHash: random.bytes(32) });
          const key = `${message.height}/${message.view}`;
          if (this.#twins.size > 1024) this.#twins.clear();
          this.#twins.set(key, pbftBlockId(message.height, twin.valueHash, this.#ctx.suite.hash));
          return [{ to: evens, message }, { to: odds, message: twin }];
        }
        if (message.kind === 'prepare' || message.kind === 'commit') {
          const twinId = this.#twins.get(`${message.height}/${message.view}`);
          const id = twinId ?? pbftBlockId(message.height, random.bytes(32), this.#ctx.suite.hash);
          return [{ to: evens, message }, { to: odds, message: this.#resign({ ...message, id }) }];
        }
        return [{ to: targets, message }];
      }
    }
  }
}
