/** Figures of a simulated run: percentiles, and the probability that a sampled committee reaches a third Byzantine. */

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The p-th percentile (0…100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

function binomial(n: number, k: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p === 1) return k === n ? 1 : 0;
  return Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log(1 - p));
}

export interface BadCommitteeOdds {
  /** P(b ≥ |C|/3): the final committee reaches a third Byzantine. */
  readonly thirdByzantine: number;
  /** P(b ≥ 2q − |C|): two quorums of the final committee may share no honest member. */
  readonly noHonestIntersection: number;
}

/**
 * The expectation for a ring of n with f Byzantine: the potential committee is m of n drawn without replacement
 * (hypergeometric in k, its Byzantine members, when reputations are equal), and each potential member joins the
 * final committee with probability p (binomial), so b ~ Bin(k, p) and h ~ Bin(m − k, p).
 */
export function badCommitteeOdds(n: number, f: number, m: number, p: number, quorum: number): BadCommitteeOdds {
  let third = 0;
  let noIntersection = 0;
  const total = logChoose(n, m);
  for (let k = Math.max(0, m - (n - f)); k <= Math.min(m, f); k++) {
    const pk = Math.exp(logChoose(f, k) + logChoose(n - f, m - k) - total);
    for (let b = 0; b <= k; b++) {
      const pb = binomial(k, b, p);
      if (pb === 0) continue;
      for (let h = 0; h <= m - k; h++) {
        const ph = binomial(m - k, h, p);
        const size = b + h;
        const w = pk * pb * ph;
        if (size > 0 && 3 * b >= size) third += w;
        if (b >= 2 * quorum - size) noIntersection += w;
      }
    }
  }
  return { thirdByzantine: third, noHonestIntersection: noIntersection };
}
