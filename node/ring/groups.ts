/**
 * Groups and the two-hop lookup (SPEC.md §5, whitepaper §1.1.1 "dynamic sharding", §1.2.6). With N Unities and
 * g = ⌈√N⌉, every Unity sees itself as the head of its own group: the g−1 Unities after it on the ring are its
 * intra-group table, and the Unities at distances g, 2g, … (below N) are its counterparts, the inter-group table.
 *
 * Lookup of target t from u: d = (t − u) mod N. d = 0: here. d < g: t is in u's intra table, one hop. Otherwise
 * the counterpart c = u + ⌊d/g⌋·g is in u's inter table, and t lies d mod g < g after c, so it is in c's intra
 * table: two hops at most. The tables hold (g − 1) + ⌊(N − 1)/g⌋ ≈ 2√N entries.
 */
import { RingError } from './errors.ts';

/** ⌈√n⌉ computed exactly (floating-point sqrt is only the first guess). */
export function groupSize(n: number): number {
  checkCount(n);
  let g = Math.ceil(Math.sqrt(n));
  while (g > 1 && (g - 1) * (g - 1) >= n) g -= 1;
  while (g * g < n) g += 1;
  return g;
}

function checkCount(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RingError('UNKNOWN_UNITY', `a ring holds at least one Unity, got ${n}`);
  }
}

function checkIndex(u: number, n: number): void {
  if (!Number.isSafeInteger(u) || u < 0 || u >= n) {
    throw new RingError('UNKNOWN_UNITY', `Unity index ${u} is outside 0…${n - 1}`);
  }
}

/** Clockwise distance in Unities from u to t. */
export function unityDistance(u: number, t: number, n: number): number {
  return (((t - u) % n) + n) % n;
}

/** Unities at ring distance 1…g−1 from u, nearest first. */
export function intraTable(u: number, n: number): number[] {
  checkCount(n);
  checkIndex(u, n);
  const g = groupSize(n);
  const out: number[] = [];
  for (let i = 1; i < g; i++) out.push((u + i) % n);
  return out;
}

/** Counterparts of u: Unities at distance k·g for k ≥ 1 and k·g < N, nearest first. */
export function interTable(u: number, n: number): number[] {
  checkCount(n);
  checkIndex(u, n);
  const g = groupSize(n);
  const out: number[] = [];
  for (let d = g; d < n; d += g) out.push((u + d) % n);
  return out;
}

/** Entries of both tables: (g − 1) + ⌊(N − 1)/g⌋, the same for every Unity. */
export function routingTableSize(n: number): number {
  const g = groupSize(n);
  return g - 1 + Math.floor((n - 1) / g);
}

/** The next Unity on the way from u to t: u itself when u is the target. */
export function nextHop(u: number, t: number, n: number): number {
  checkCount(n);
  checkIndex(u, n);
  checkIndex(t, n);
  const d = unityDistance(u, t, n);
  const g = groupSize(n);
  if (d < g) return t;
  return (u + Math.floor(d / g) * g) % n;
}

/** The Unities a request visits after leaving u, ending at t (empty when u is t). */
export function route(u: number, t: number, n: number): number[] {
  const hops: number[] = [];
  let at = u;
  // nextHop reaches t in at most two steps; the bound only turns a broken invariant into a failure, not a hang.
  while (at !== t && hops.length < n) {
    at = nextHop(at, t, n);
    hops.push(at);
  }
  return hops;
}
