/**
 * Paces an idle ring. Every round costs each manager a VRF proof, a handful of signed messages and an ECVRF
 * verification per member, so a ring with nothing to order would keep a core busy (six managers of `ame up`:
 * ≈ 65 % of one) deciding empty blocks every ≈ 280 ms. After `after` final rounds in a row that held nothing, a
 * manager with an empty pool holds its value (NOTHING) back for `delayMs` at the start of a round: ACP then starts
 * its proposal wait only when the value comes (docs/consensus.md "Proposal wait"), and every member still proposes,
 * so the round still ends final (a round without proposals has no leaders and could only end at SBR). A
 * transaction admitted meanwhile ends the hold at once (`admitted`), so it is not delayed.
 */
import { bytesEqual } from '../crypto/index.ts';
import type { Decide } from '../consensus/types.ts';
import type { Clock, ClockTimer } from '../net/index.ts';
import { NOTHING } from './build.ts';

export interface IdlePacerOptions {
  readonly clock: Clock;
  /** Ask consensus for the round's value again. */
  readonly refresh: () => void;
  /** Consecutive empty final rounds before pacing starts (default 8 — never under steady light load). */
  readonly after?: number;
  /** How long a paced round's value is held back (default 400 ms, within ACP's valueWaitMs of 500). */
  readonly delayMs?: number;
}

export class IdlePacer {
  readonly #o: IdlePacerOptions;
  #empty = 0;
  #timer: ClockTimer | undefined;
  #heldFor: number | undefined;
  #releasedFor: number | undefined;
  /** Rounds whose value was held back (stats). */
  held = 0;

  constructor(options: IdlePacerOptions) {
    this.#o = options;
  }

  get idle(): boolean {
    return this.#empty >= (this.#o.after ?? 8);
  }

  /** A final decision was applied or found empty. */
  settled(d: Decide): void {
    const nothing = d.valueHash === undefined || bytesEqual(d.valueHash, NOTHING);
    this.#empty = nothing ? this.#empty + 1 : 0;
  }

  /** Whether to hold back the value of round `height` now (idle, nothing pooled, its delay not yet over). */
  hold(height: number, poolSize: number): boolean {
    if (poolSize > 0 || !this.idle || this.#releasedFor === height) return false;
    if (this.#heldFor !== height) {
      this.#heldFor = height;
      this.held += 1;
      this.stop();
      this.#timer = this.#o.clock.setTimeout(() => {
        this.#timer = undefined;
        this.#releasedFor = height;
        this.#o.refresh();
      }, this.#o.delayMs ?? 400);
    }
    return true;
  }

  stop(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
