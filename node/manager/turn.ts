/**
 * Builders in turn (docs/manager.md "Builders in turn"): in ACP round h member h mod n builds the round's block
 * (the primary); member h + 1 mod n (the backup) builds one only if the primary's block on the head has not
 * arrived BACKUP_WAIT_MS after the backup was first asked for a value, and caps it at BACKUP_SHARE of the block
 * limit, so that a member holding both votes for the primary's (ACP takes the largest proposal); everyone else
 * proposes NOTHING once the primary's block is here (until then its value is "not ready": a NOTHING proposal
 * must not end the others' proposal wait before the block arrives; ACP's value wait bounds this).
 *
 * Why one primary and a late, smaller backup: with two equal builders, full blocks of nearly the same size
 * arrived in different orders at different members, the step-1 votes split and the round decided the empty
 * block — at n = 16 on 2 cores most rounds at full load (bench trace, 2026-12-02 evening).
 */
import { bytesEqual } from '../crypto/index.ts';
import type { Clock, ClockTimer } from '../net/index.ts';

/** How long the backup waits for the primary's block before building its own. */
export const BACKUP_WAIT_MS = 500;
/** The backup's block limit, as a share of the ledger's (strictly smaller at full load: the primary's wins). */
export const BACKUP_SHARE = { num: 15n, den: 16n } as const;

export type TurnRole = 'primary' | 'backup' | 'none';

/** Member `index`'s part in round `height` of a ring of `members`: in a ring of one or two everyone builds. */
export function roleAt(height: number, index: number, members: number): TurnRole {
  if (members <= 2) return 'primary';
  const offset = (((index - height) % members) + members) % members;
  return offset === 0 ? 'primary' : offset === 1 ? 'backup' : 'none';
}

/** The primary builder of round `height`. */
export function primaryAt(height: number, members: number): number {
  return ((height % members) + members) % members;
}

/** What a member proposes now: a block (with its limit, undefined = the ledger's), NOTHING, or not yet. */
export type TurnValue = { readonly kind: 'build'; readonly limitBytes?: bigint } | { readonly kind: 'nothing' } | { readonly kind: 'wait' };

export interface TurnOptions {
  readonly clock: Clock;
  /** Asks for the value again (the backup's wait ran out). */
  readonly refresh: () => void;
}

/** One member's turn keeping: which value to propose, and the backup's wait. */
export class BuildTurn {
  readonly #o: TurnOptions;
  /** When this member was first asked for a value at this height on this head. */
  #asked: { readonly height: number; readonly head: Uint8Array; readonly at: number } | undefined;
  #timer: ClockTimer | undefined;

  constructor(options: TurnOptions) {
    this.#o = options;
  }

  /**
   * The value for round `height` on `head`: `primaryHere` says whether the primary's block on `head` has arrived,
   * `pooled` whether the mempool holds anything (with nothing to build everyone proposes NOTHING at once).
   */
  value(height: number, index: number, members: number, head: Uint8Array, primaryHere: boolean, pooled: boolean, limitBytes: bigint): TurnValue {
    const role = roleAt(height, index, members);
    if (role === 'primary') return { kind: 'build' };
    if (!pooled || primaryHere) return { kind: 'nothing' };
    if (role === 'none') return { kind: 'wait' };
    const now = this.#o.clock.now();
    if (this.#asked === undefined || this.#asked.height !== height || !bytesEqual(this.#asked.head, head)) {
      this.#asked = { height, head, at: now };
    }
    const left = this.#asked.at + BACKUP_WAIT_MS - now;
    if (left > 0) {
      this.#arm(left);
      return { kind: 'wait' };
    }
    return { kind: 'build', limitBytes: (limitBytes * BACKUP_SHARE.num) / BACKUP_SHARE.den };
  }

  stop(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#o.refresh();
    }, ms);
  }
}
