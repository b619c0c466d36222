/** Summaries of a sample for benchmark figures. */

/** The p-th percentile (0 < p ≤ 100) by nearest rank: the smallest value with at least p % of the sample at or below it. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export function mean(sample: readonly number[]): number {
  return sample.length === 0 ? Number.NaN : sample.reduce((a, b) => a + b, 0) / sample.length;
}

export function max(sample: readonly number[]): number {
  return sample.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
}

/** Counts per value: histogram([0, 2, 2]) → [1, 0, 2]. */
export function histogram(sample: readonly number[]): number[] {
  const out = Array.from({ length: Math.max(0, max(sample) + 1) }, () => 0);
  for (const x of sample) out[x] = (out[x] ?? 0) + 1;
  return out;
}
