/**
 * Benchmark conventions of shared/BENCH.md: a readable table, then one JSON object as the very last line of
 * output, also written to bench-results/<name>.json. A benchmark reports; it never fails for a missed target.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface BenchResult {
  figures: Record<string, number>;
  ratios: Record<string, number>;
  /** Targets from the issue, shown beside the figures: key → human text such as "≥ 1". */
  targets?: Record<string, string>;
}

export interface Bench {
  name: string;
  run(): Promise<BenchResult>;
}

/**
 * Calls `fn` in batches until `minMs` have passed and returns operations per second.
 * `fn` performs `opsPerCall` operations; a short warm-up lets the JIT settle first.
 */
export function opsPerSecond(fn: () => unknown, opts: { minMs?: number; opsPerCall?: number } = {}): number {
  const minMs = opts.minMs ?? 1000;
  const opsPerCall = opts.opsPerCall ?? 1;
  const warmUntil = performance.now() + Math.min(200, minMs / 5);
  while (performance.now() < warmUntil) fn();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    fn();
    calls += 1;
    elapsed = performance.now() - start;
  }
  return (calls * opsPerCall * 1000) / elapsed;
}

/** Async variant of opsPerSecond for operations that await. */
export async function opsPerSecondAsync(
  fn: () => Promise<unknown>,
  opts: { minMs?: number; opsPerCall?: number } = {},
): Promise<number> {
  const minMs = opts.minMs ?? 1000;
  const opsPerCall = opts.opsPerCall ?? 1;
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    await fn();
    calls += 1;
    elapsed = performance.now() - start;
  }
  return (calls * opsPerCall * 1000) / elapsed;
}

export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

/** Prints the table and the closing JSON line; writes the JSON file. Returns the JSON object. */
export function report(name: string, result: BenchResult, out: NodeJS.WritableStream, dir = 'bench-results'): object {
  const rows: [string, string, string][] = [];
  for (const [k, v] of Object.entries(result.figures)) rows.push([k, fmt(v), result.targets?.[k] ?? '']);
  for (const [k, v] of Object.entries(result.ratios)) rows.push([`ratio ${k}`, fmt(v), result.targets?.[k] ?? '']);
  const w0 = Math.max(...rows.map((r) => r[0].length), 6);
  const w1 = Math.max(...rows.map((r) => r[1].length), 5);
  out.write(`\n${name} benchmark (node ${process.version}, ${availableParallelism()} cpus)\n`);
  out.write(`${'figure'.padEnd(w0)}  ${'value'.padStart(w1)}  target\n`);
  for (const [k, v, t] of rows) out.write(`${k.padEnd(w0)}  ${v.padStart(w1)}  ${t}\n`);
  const json = {
    bench: name,
    node: process.version,
    cpus: availableParallelism(),
    when: new Date().toISOString(),
    figures: result.figures,
    ratios: result.ratios,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(json)}\n`);
  out.write(`${JSON.stringify(json)}\n`);
  return json;
}
