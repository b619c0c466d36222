/**
 * What LedgerFollower (ledger-view.ts) keeps of the records it read: one entry per state path, with the height it
 * was proven at — a newer height replaces an older one, never the reverse — and what the staleness rule of its
 * channel view needs: until when each height was the newest final state the follower knew of.
 *
 * Bounded: past `max` entries the one written longest ago goes. Only records whose proofs held get here.
 */
import type { AnyTargetRecord } from './ledger-proof.ts';

export interface CacheEntry {
  readonly height: bigint;
  /** When it was read (the follower's clock). */
  readonly at: number;
  /** Undefined: proven absent. */
  readonly record: AnyTargetRecord | undefined;
}

/** Heights whose end is remembered; an entry of an older height counts from when it was read. */
const LEFT_KEEP = 1024;

export class ProvenCache {
  readonly #entries = new Map<string, CacheEntry>();
  /** Height → when the follower verified the header after it. */
  readonly #leftAt = new Map<bigint, number>();
  readonly #max: number;
  #head: bigint;
  #confirmedAt: number | undefined;

  constructor(max: number, head: bigint) {
    this.#max = max;
    this.#head = head;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** When a poll last found no newer certified block than the head (undefined: never). */
  get confirmedAt(): number | undefined {
    return this.#confirmedAt;
  }

  get(path: string): CacheEntry | undefined {
    return this.#entries.get(path);
  }

  remember(path: string, entry: CacheEntry): void {
    const previous = this.#entries.get(path);
    if (previous !== undefined && previous.height > entry.height) return; // a slower reply of an older height
    this.#entries.delete(path);
    this.#entries.set(path, entry);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** The follower verified header `height` at `at`: the height before it stopped being the newest then. */
  advanced(height: bigint, at: number): void {
    this.#leftAt.set(this.#head, at);
    if (this.#leftAt.size > LEFT_KEEP) this.#leftAt.delete(this.#leftAt.keys().next().value!);
    this.#head = height;
  }

  /** A poll found nothing newer than the head to follow. */
  confirmed(at: number): void {
    this.#confirmedAt = at;
  }

  /** Until when an entry's height was known to be the newest final state (-∞ for a head never confirmed). */
  knownAt(entry: CacheEntry): number {
    if (entry.height === this.#head) return this.#confirmedAt ?? -Infinity;
    return this.#leftAt.get(entry.height) ?? entry.at;
  }
}
