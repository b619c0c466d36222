/**
 * A hand-written CBOR encoder that can deviate from the canonical form on purpose: it writes the same data with
 * longer heads, indefinite lengths, shuffled or repeated map keys, integers as floats or a self-describe tag in
 * front. Every output is well-formed CBOR, so a strict decoder must answer NON_CANONICAL (never MALFORMED) for
 * each output that differs from the canonical bytes. With `rate` 0 it is a plain canonical encoder, which the
 * tests also use as an independent check of the library's encoder.
 */
import type { CborValue } from '../../node/wire/index.ts';

/** A uniform integer in [0, n). */
export type Pick = (n: number) => number;

/** mulberry32: a tiny seeded PRNG, so a fast-check seed reproduces the exact variant. */
export function seededPick(seed: number): Pick {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000) * n);
  };
}

const utf8 = new TextEncoder();
const WIDTHS = [0, 1, 2, 4, 8] as const;
type Width = (typeof WIDTHS)[number];

function shortestWidth(arg: bigint): Width {
  if (arg < 24n) return 0;
  if (arg < 0x100n) return 1;
  if (arg < 0x1_0000n) return 2;
  if (arg < 0x1_0000_0000n) return 4;
  return 8;
}

function head(out: number[], major: number, arg: bigint, width: Width): void {
  if (width === 0) {
    out.push((major << 5) | Number(arg));
    return;
  }
  out.push((major << 5) | (24 + WIDTHS.indexOf(width) - 1));
  for (let i = width - 1; i >= 0; i--) out.push(Number((arg >> BigInt(8 * i)) & 0xffn));
}

export class VariantEncoder {
  readonly #pick: Pick;
  readonly #rate: number;

  /** `rate`: the chance, per item, of one deviation (0 = canonical). */
  constructor(pick: Pick, rate: number) {
    this.#pick = pick;
    this.#rate = rate;
  }

  encode(value: CborValue): Uint8Array {
    const out: number[] = [];
    this.#item(out, value);
    return Uint8Array.from(out);
  }

  #deviate(): boolean {
    return this.#rate > 0 && this.#pick(1_000_000) < this.#rate * 1_000_000;
  }

  /** Shortest width, or (when deviating) any longer one that still holds the argument. */
  #head(out: number[], major: number, arg: bigint, deviate: boolean): void {
    const shortest = shortestWidth(arg);
    const longer = WIDTHS.filter((w) => w > shortest);
    head(out, major, arg, deviate && longer.length > 0 ? longer[this.#pick(longer.length)]! : shortest);
  }

  #item(out: number[], value: CborValue): void {
    if (this.#deviate() && this.#pick(8) === 0) out.push(0xd9, 0xd9, 0xf7); // tag 55799, "self-described CBOR"
    const deviate = this.#deviate();
    if (value === null) out.push(0xf6);
    else if (value === false) out.push(0xf4);
    else if (value === true) out.push(0xf5);
    else if (typeof value === 'number' || typeof value === 'bigint') this.#integer(out, value, deviate);
    else if (typeof value === 'string') this.#string(out, 3, value, deviate);
    else if (value instanceof Uint8Array) this.#string(out, 2, value, deviate);
    else if (Array.isArray(value)) this.#array(out, value, deviate);
    else this.#map(out, value, deviate);
  }

  #integer(out: number[], value: number | bigint, deviate: boolean): void {
    const n = BigInt(value);
    if (deviate && this.#pick(3) === 0 && n <= 2n ** 53n && n >= -(2n ** 53n)) {
      const float = new DataView(new ArrayBuffer(8));
      float.setFloat64(0, Number(n));
      out.push(0xfb, ...new Uint8Array(float.buffer));
      return;
    }
    if (n >= 0n) this.#head(out, 0, n, deviate);
    else this.#head(out, 1, -1n - n, deviate);
  }

  #string(out: number[], major: 2 | 3, value: string | Uint8Array, deviate: boolean): void {
    if (deviate && this.#pick(2) === 0) {
      // Indefinite length: definite chunks, text split between code points so each chunk is valid UTF-8.
      out.push((major << 5) | 31);
      const units = typeof value === 'string' ? Array.from(value) : Array.from(value, (b) => [b]);
      let at = 0;
      do {
        const take = at === units.length ? 0 : 1 + this.#pick(units.length - at);
        const piece = units.slice(at, at + take);
        const bytes =
          major === 3 ? utf8.encode((piece as string[]).join('')) : Uint8Array.from(piece.flat() as number[]);
        this.#head(out, major, BigInt(bytes.length), false);
        out.push(...bytes);
        at += take;
      } while (at < units.length);
      out.push(0xff);
      return;
    }
    const bytes = typeof value === 'string' ? utf8.encode(value) : value;
    this.#head(out, major, BigInt(bytes.length), deviate);
    out.push(...bytes);
  }

  #array(out: number[], value: CborValue[], deviate: boolean): void {
    const indefinite = deviate && this.#pick(2) === 0;
    if (indefinite) out.push(0x9f);
    else this.#head(out, 4, BigInt(value.length), deviate);
    for (const item of value) this.#item(out, item);
    if (indefinite) out.push(0xff);
  }

  #map(out: number[], value: { [key: string]: CborValue }, deviate: boolean): void {
    const entries = Object.entries(value)
      .map(([key, item]) => ({ key, item, sortKey: canonicalKey(key) }))
      .sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    const how = deviate ? this.#pick(4) : -1;
    if (how === 0) {
      for (let i = entries.length - 1; i > 0; i--) {
        const j = this.#pick(i + 1);
        [entries[i], entries[j]] = [entries[j]!, entries[i]!];
      }
    } else if (how === 1 && entries.length > 0) {
      const at = this.#pick(entries.length);
      entries.splice(at + 1, 0, entries[at]!); // right after itself: a duplicate, not merely out of order
    }
    const indefinite = how === 2;
    if (indefinite) out.push(0xbf);
    else this.#head(out, 5, BigInt(entries.length), how === 3);
    for (const { key, item } of entries) {
      this.#item(out, key);
      this.#item(out, item);
    }
    if (indefinite) out.push(0xff);
  }
}

function canonicalKey(key: string): Uint8Array {
  const out: number[] = [];
  const bytes = utf8.encode(key);
  head(out, 3, BigInt(bytes.length), shortestWidth(BigInt(bytes.length)));
  out.push(...bytes);
  return Uint8Array.from(out);
}

/** The canonical encoding by this independent encoder. */
export function canonicalByHand(value: CborValue): Uint8Array {
  return new VariantEncoder(() => 0, 0).encode(value);
}
