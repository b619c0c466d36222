/**
 * Applies what consensus decided, in order, and catches up from the members when consensus skipped ahead.
 *
 * Final decisions are queued in the order ACP emits them. The empty block and NOTHING change nothing; a decided
 * hash is looked up in the era's block pool (fetched from the members when missing, retried every 200 ms: ACP
 * decided it, so a quorum saw the proposal — skipping it would let this manager's state depart from the others').
 * A block that does not apply at the head is skipped: every manager holds the same state and the same decision
 * sequence, so every manager skips it.
 *
 * Catch-up: after a restart, a state sync or a checkpoint (ACP adopted a certified block far ahead and did not
 * emit the decisions in between), the ledger fetches the final blocks it misses from a member
 * (`manager/blocks`) and applies them with their ledger certificates checked (`certified: true`), up to the
 * member's newest certified block. Queued decisions wait until it is done; those it already covered no longer
 * apply and are skipped.
 */
import { bytesEqual, toHex } from '../crypto/index.ts';
import type { Decide } from '../consensus/types.ts';
import { type Block, type BlockResult, headerHash, type Ledger, LedgerError } from '../ledger/index.ts';
import { type Clock, type ClockTimer, NetError, type NetLogger, type PeerRef, type Rpc } from '../net/index.ts';
import type { ConsensusEra } from './era.ts';
import { ManagerError } from './errors.ts';
import { NOTHING } from './build.ts';
import { fetchBlocks } from './sync.ts';


export interface ApplierOptions {
  readonly rpc: Rpc;
  readonly clock: Clock;
  readonly ledger: () => Ledger;
  readonly era: () => ConsensusEra | undefined;
  /** Members to catch up from (other than this host). */
  readonly members: () => readonly PeerRef[];
  readonly running: () => boolean;
  /** Whether this manager already applied the final block `hash`. */
  readonly has: (hash: Uint8Array) => boolean;
  /** After every block applied (decided or caught up). */
  readonly onApplied: (block: Block, result: BlockResult) => void;
  /** The queue drained: the next value can be built on the new head. */
  readonly onIdle: () => void;
  /** A final decision is done with: its block applied (or skipped), or it held nothing. */
  readonly onSettled?: (d: Decide) => void;
  readonly logger?: NetLogger | undefined;
}

export interface ApplierStats {
  readonly applied: number;
  readonly skipped: number;
  readonly fetched: number;
  readonly finals: number;
  readonly caughtUp: number;
  /** Checkpoints consensus adopted (each followed by a catch-up). */
  readonly checkpoints: number;
}

export class DecisionApplier {
  readonly #o: ApplierOptions;
  readonly #queue: Decide[] = [];
  #catchUp = false;
  /** The block a checkpoint named: catch-up is not over before it is applied (ACP's certificate makes it final). */
  #target: Uint8Array | undefined;
  #pumping = false;
  #retry: ClockTimer | undefined;
  #misses = 0;
  #applied = 0;
  #skipped = 0;
  #fetched = 0;
  #finals = 0;
  #caughtUp = 0;
  #checkpoints = 0;

  constructor(options: ApplierOptions) {
    this.#o = options;
  }

  /** Decisions not applied yet, or a catch-up running: a value built now would extend a head about to change. */
  get busy(): boolean {
    return this.#queue.length > 0 || this.#catchUp;
  }

  stats(): ApplierStats {
    return { applied: this.#applied, skipped: this.#skipped, fetched: this.#fetched, finals: this.#finals, caughtUp: this.#caughtUp, checkpoints: this.#checkpoints };
  }

  stop(): void {
    if (this.#retry !== undefined) this.#o.clock.clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  decided(d: Decide): void {
    this.#o.logger?.debug(
      { acpHeight: d.height, decision: d.decision, via: d.via, value: d.valueHash === undefined ? undefined : toHex(d.valueHash).slice(0, 12) },
      'decided',
    );
    if (d.decision !== 'final') return;
    this.#finals += 1;
    // 'checkpoint': ACP adopted a certified block far ahead (docs/consensus.md "Checkpoints").
    const via: string | undefined = d.via;
    if (via === 'checkpoint') {
      this.#checkpoints += 1;
      this.#catchUp = true;
      const hash = d.valueHash;
      this.#target = hash === undefined || bytesEqual(hash, NOTHING) || this.#o.has(hash) ? undefined : hash;
    } else {
      this.#queue.push(d);
    }
    this.#kick();
  }

  /** Fetch and apply what the members finalised beyond this ledger's head (restart, state sync). */
  requestCatchUp(): void {
    this.#catchUp = true;
    this.#kick();
  }

  #kick(): void {
    this.#pump().catch((err: unknown) => this.#o.logger?.warn({ err }, 'applying decided blocks failed'));
  }

  #later(ms: number): void {
    if (this.#retry !== undefined) return;
    this.#retry = this.#o.clock.setTimeout(() => {
      this.#retry = undefined;
      this.#kick();
    }, ms);
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#o.running()) {
        if (this.#catchUp) {
          if (!(await this.#catchUpOnce())) return this.#later(200);
          this.#catchUp = false;
          continue;
        }
        const d = this.#queue[0];
        if (d === undefined) break;
        const hash = d.valueHash;
        if (hash !== undefined && !bytesEqual(hash, NOTHING)) {
          const block = await this.#body(hash, d);
          if (!this.#o.running()) return;
          if (block === undefined) return this.#later(200);
          this.#apply(block, false, d.height);
        }
        this.#queue.shift();
        this.#o.onSettled?.(d);
        if (this.#queue.length === 0) this.#o.onIdle();
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #body(hash: Uint8Array, d: Decide): Promise<Block | undefined> {
    const era = this.#o.era();
    if (era === undefined) return undefined;
    const pooled = era.body(hash);
    if (pooled !== undefined) return pooled;
    const block = await era.fetchBody(hash);
    if (block === undefined) {
      this.#misses += 1;
      if (this.#misses % 25 === 0) {
        this.#o.logger?.warn({ acpHeight: d.height, block: toHex(hash), tries: this.#misses }, 'decided block body unavailable');
      }
      return undefined;
    }
    this.#fetched += 1;
    this.#misses = 0;
    return block;
  }

  /** True when this ledger holds every certified block of the first member that answered. */
  async #catchUpOnce(): Promise<boolean> {
    const self = this.#o.rpc.self.id;
    for (const peer of this.#o.members()) {
      if (peer.id === self) continue;
      try {
        for (;;) {
          const ledger = this.#o.ledger();
          const from = ledger.finalView().chain().height + 1n;
          const { head, blocks } = await fetchBlocks(this.#o.rpc, peer, from, from + 63n);
          if (!this.#o.running()) return true;
          let progressed = false;
          for (const { block } of blocks) {
            // A block still gathering its ledger certificate is taken only as the checkpoint's (ACP made it final).
            const isTarget = this.#target !== undefined && bytesEqual(headerHash(block.header), this.#target);
            if (block.certificate.length === 0 && !isTarget) break;
            if (!this.#apply(block, !isTarget)) throw new ManagerError('SYNC_FAILED', `block ${block.header.height} from ${peer.id} does not apply`);
            this.#caughtUp += 1;
            progressed = true;
          }
          if (!progressed) {
            const done = this.#target === undefined && (this.#o.ledger().finalView().chain().height >= head || blocks.length > 0);
            if (done) this.#o.logger?.info({ peer: peer.id, height: this.#o.ledger().finalView().chain().height }, 'caught up');
            return done;
          }
        }
      } catch (error) {
        if (!(error instanceof NetError || error instanceof ManagerError || error instanceof LedgerError)) throw error;
        this.#o.logger?.debug({ err: error, peer: peer.id }, 'catch-up from a member failed');
      }
    }
    return false;
  }

  /** Applies one block at the head; false (and counted as skipped) when the ledger refuses it. */
  #apply(block: Block, certified: boolean, acpHeight?: number): boolean {
    let result: BlockResult;
    try {
      result = this.#o.ledger().apply(block, { certified });
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      this.#skipped += 1;
      this.#o.logger?.debug({ err: error, acpHeight, height: block.header.height }, 'block skipped');
      return false;
    }
    this.#applied += 1;
    if (this.#target !== undefined && bytesEqual(result.hash, this.#target)) this.#target = undefined;
    this.#o.onApplied(block, result);
    return true;
  }
}
