/**
 * `npm run bench -- consensus`: the Manager Ring on loopback, n = 6 and n = 16 manager servers in one run
 * (docs/bench.md "consensus" defines every figure):
 * - ACP round latency p50/p99 under a light load of settlement transactions;
 * - settlements per second at steady state with blocks full of them, next to the ceiling: the rate at which this
 *   machine's cores verify those settlements' signatures (worker threads on every core, measured in this run),
 *   divided by n, since every manager of the ring runs on these cores and verifies every transaction;
 * - SPEC §7's Byzantine-leader comparison at n = 6: ACP and the single-leader PBFT baseline, each with one member
 *   silent whenever it leads, the mean latency of the rounds it led next to the fault-free mean.
 *
 * Every manager, ring member and crypto helper is a worker thread of this process with its own libp2p host (real
 * Ed25519 + ECVRF, the Falcon-512 wallets of SPEC §3). AME_BENCH_QUICK=1 (or `--quick`) runs a smoke version with
 * n = 6 only and short windows; AME_BENCH_BLOCK_KIB sets the block limit (default: the ledger's, 1 MiB).
 */
import { availableParallelism, loadavg } from 'node:os';
import { defaultParams } from '../../node/ledger/index.ts';
import { clientAccount, clientAuthorization, benchGenesis, chainLoad, channelOpenTx, PAYEES } from './consensus-load.ts';
import { compareLeaders, type CompareResult, type Figures } from './consensus-compare.ts';
import { ThreadPool, type BenchThread } from './consensus-threads.ts';
import type { WindowResult } from './consensus-manager.ts';
import { byPayee, runUnity, type UnityResult } from './consensus-unity.ts';
import type { Signed, SignRequest } from './consensus-worker.ts';
import { ratio, type Bench, type BenchResult } from './harness.ts';
import { mean, percentile } from './stats.ts';

const QUICK = process.env['AME_BENCH_QUICK'] === '1' || process.argv.includes('--quick');
/** `AME_BENCH_SIZES=16` (comma-separated) runs only those ring sizes: a diagnostic, not the bench's figures. */
const SIZES = process.env['AME_BENCH_SIZES']?.split(',').map(Number) ?? (QUICK ? [6] : [6, 16]);
/** The ledger's default block limit (1 MiB), or AME_BENCH_BLOCK_KIB. */
const BLOCK_LIMIT = process.env['AME_BENCH_BLOCK_KIB'] === undefined ? defaultParams.blockLimitBytes : BigInt(Number(process.env['AME_BENCH_BLOCK_KIB']) * 1024);
const CORES = availableParallelism();
const IDLE = { warmMs: 1_000, windowMs: QUICK ? 2_000 : 6_000 };
const LIGHT = { ratePerS: Number(process.env['AME_BENCH_LIGHT_TPS'] ?? 4), warmMs: QUICK ? 1_000 : 2_000, windowMs: QUICK ? 3_000 : 12_000 };
const FULL = { warmMs: QUICK ? 2_000 : 5_000, windowMs: QUICK ? 6_000 : 30_000 };
/** Time per ceiling measurement: one thread alone, then one per core at once. */
const VERIFY_MS = QUICK ? { one: 500, all: 1_000 } : { one: 2_000, all: 3_000 };
/** The load is signed ahead for this share of the ceiling (tps above it would run the settles out early). */
const SIGN_FOR_SHARE = 1;
const COMPARE = { byzantine: 1, acpHeights: QUICK ? 6 : 30, pbftHeights: QUICK ? 30 : 200, ledRounds: QUICK ? 2 : 12 };

const log = (line: string) => void process.stdout.write(`${line}\n`);

interface Verified {
  readonly settles: number;
  readonly ms: number;
  readonly cpuMs: number;
}

/**
 * Settles per second this machine verifies (3 signatures each): one thread per core at once (wall time: what the
 * cores delivered, other work on the machine included), one thread alone, and per CPU-second of a verifying thread
 * (what one core can do when it is ours).
 */
async function measureCeiling(crypto: readonly BenchThread[], sample: readonly Uint8Array[]): Promise<{ all: number; one: number; perCpuS: number }> {
  await Promise.all(crypto.map((c) => c.call('prepare', sample)));
  const one = await crypto[0]!.call<Verified>('verify', { ms: VERIFY_MS.one });
  const each = await Promise.all(crypto.map((c) => c.call<Verified>('verify', { ms: VERIFY_MS.all })));
  const all = each.reduce((sum, r) => sum + (r.settles * 1000) / r.ms, 0);
  const cpu = [one, ...each].reduce((a, r) => ({ settles: a.settles + r.settles, cpuMs: a.cpuMs + r.cpuMs }), { settles: 0, cpuMs: 0 });
  return { all, one: (one.settles * 1000) / one.ms, perCpuS: (cpu.settles * 1000) / cpu.cpuMs };
}

/** Round latencies of one phase, pooled over the managers: p50, p99, mean, samples. */
function roundFigures(into: Record<string, number>, key: string, windows: readonly WindowResult[]): void {
  const rounds = windows.flatMap((w) => w.rounds);
  into[`${key}_p50_ms`] = percentile(rounds, 50);
  into[`${key}_p99_ms`] = percentile(rounds, 99);
  into[`${key}_mean_ms`] = mean(rounds);
  into[`${key}_samples`] = rounds.length;
  into[`${key}_manager_busy`] = mean(windows.map((w) => w.busy));
  into[`${key}_managers_cores`] = windows.reduce((a, w) => a + w.cores, 0);
}

/** Where the managers' CPU time went in one phase, per manager (means over the ring). */
function workFigures(into: Record<string, number>, key: string, windows: readonly WindowResult[]): void {
  const sum = (f: (w: WindowResult) => number) => windows.reduce((a, w) => a + f(w), 0);
  const applies = sum((w) => w.work.applies);
  const rounds = sum((w) => w.rounds.length + 1);
  into[`${key}_builds_per_applied_block`] = sum((w) => w.work.builds) / Math.max(1, applies);
  into[`${key}_failed_builds_per_applied_block`] = sum((w) => w.work.buildErrors) / Math.max(1, applies);
  into[`${key}_build_cpu_ms_per_applied_block`] = sum((w) => w.work.buildMs) / Math.max(1, applies);
  into[`${key}_apply_cpu_ms_per_block`] = sum((w) => w.work.applyMs) / Math.max(1, applies);
  into[`${key}_admit_cpu_ms_per_tx`] = sum((w) => w.work.admitMs) / Math.max(1, sum((w) => w.work.admissions));
  into[`${key}_vrf_verifies_per_round`] = sum((w) => w.work.vrfVerifies) / Math.max(1, rounds);
  // Shares of the managers' CPU time.
  const ms = sum((w) => w.cores * w.ms);
  into[`${key}_share_build`] = sum((w) => w.work.buildMs) / ms;
  into[`${key}_share_apply`] = sum((w) => w.work.applyMs) / ms;
  into[`${key}_share_admit`] = sum((w) => w.work.admitMs) / ms;
  into[`${key}_share_vrf`] = sum((w) => w.work.vrfVerifyMs + w.work.vrfProveMs) / ms;
}

/** Figures of one manager ring: rounds, throughput next to its ceiling, where the managers' time went. */
function unityFigures(figures: Record<string, number>, ratios: Record<string, number>, n: number, u: UnityResult, verifyRate: number, settleBytes: number): void {
  figures[`startup_s_n${n}`] = u.startMs / 1000;
  roundFigures(figures, `round_idle_n${n}`, u.idle.windows);
  if (u.light !== undefined) {
    roundFigures(figures, `round_n${n}`, u.light.windows);
    figures[`round_p50_ms_n${n}`] = figures[`round_n${n}_p50_ms`]!;
    figures[`round_p99_ms_n${n}`] = figures[`round_n${n}_p99_ms`]!;
    workFigures(figures, `light_n${n}`, u.light.windows);
  }
  figures[`ceiling_tps_n${n}`] = verifyRate / n;
  if (u.full === undefined) return;
  const full = u.full.windows;
  // From the first to the last block applied in the window (a manager that applied fewer than two: the window's).
  const tps = percentile(
    full.map((w) => w.blockRate ?? (w.settles * 1000) / w.ms),
    50,
  );
  figures[`tps_window_n${n}`] = percentile(
    full.map((w) => (w.settles * 1000) / w.ms),
    50,
  );
  const blocks = mean(full.map((w) => w.blocks));
  const settles = mean(full.map((w) => w.settles));
  roundFigures(figures, `round_full_load_n${n}`, full);
  figures[`tps_n${n}`] = tps;
  ratios[`tps_vs_ceiling_n${n}`] = ratio(tps, verifyRate / n);
  figures[`settles_per_block_n${n}`] = blocks > 0 ? settles / blocks : 0;
  figures[`block_fill_n${n}`] = blocks > 0 ? (settles * settleBytes) / blocks / Number(BLOCK_LIMIT) : 0;
  figures[`full_load_window_s_n${n}`] = mean(full.map((w) => w.ms)) / 1000;
  figures[`backlog_mean_n${n}`] = u.full.backlogMean;
  figures[`blocks_skipped_n${n}`] = full.reduce((a, w) => a + w.skipped, 0) / n;
  figures[`refused_n${n}`] = Object.values(u.refused).reduce((a, b) => a + b, 0);
  workFigures(figures, `full_n${n}`, full);
  // One settle's CPU cost at one manager under full load (admission + its share of building and applying blocks).
  const perBlock = Math.max(1, figures[`settles_per_block_n${n}`]!);
  figures[`full_n${n}_manager_cpu_ms_per_settle`] =
    figures[`full_n${n}_admit_cpu_ms_per_tx`]! +
    (figures[`full_n${n}_build_cpu_ms_per_applied_block`]! + figures[`full_n${n}_apply_cpu_ms_per_block`]!) / perBlock;
}

export const bench: Bench = {
  name: 'consensus',
  async run(): Promise<BenchResult> {
    const began = performance.now();
    const loadStart = loadavg()[0]!;
    const figures: Record<string, number> = {};
    const ratios: Record<string, number> = {};
    const client = clientAccount();
    const authorization = clientAuthorization(client, Date.now());
    const geneses = SIZES.map((n) => benchGenesis(n, BLOCK_LIMIT, client.address));
    const loads = geneses.map((g) => chainLoad(g, client.address));
    const pool = new ThreadPool();
    // The first ring's threads start (and load their modules) with the crypto helpers, which are among them.
    const crypto = (await pool.take(Math.max(CORES, SIZES[0]!))).slice(0, CORES);
    try {
      // A sample of the very settles the rings carry (payees' Falcon keys are made in the threads, ~0.2 s each).
      const payeesOf = (w: number) => Array.from({ length: PAYEES }, (_, p) => p).filter((p) => p % CORES === w);
      const sign = (counts: number[]) =>
        Promise.all(crypto.map((c, w) => c.call<Signed[]>('sign', { chains: loads, payees: payeesOf(w), counts, authorization } satisfies SignRequest)));
      const sample = (await sign(loads.map(() => 4))).flatMap((perChain) => perChain[0]!.settles.flat());
      const ceiling = await measureCeiling(crypto, sample);
      const settleBytes = mean(sample.map((tx) => tx.length));
      Object.assign(figures, {
        verify_settles_per_s: ceiling.all,
        verify_settles_per_s_one_core: ceiling.one,
        verify_settles_per_cpu_s: ceiling.perCpuS,
        verify_cpu_ms_per_settle: 1000 / ceiling.perCpuS,
        settle_tx_bytes: settleBytes,
        block_limit_bytes: Number(BLOCK_LIMIT),
      });
      log(`signature ceiling: ${ceiling.all.toFixed(0)} settles/s on ${CORES} cores (${ceiling.one.toFixed(0)} on one); a settle is ${settleBytes.toFixed(0)} bytes`);

      // Enough signed settles for the light phase and for the full phase at SIGN_FOR_SHARE of the ceiling.
      // At most 32 nonces per payee ahead of finality: a manager still applying the last block sees one block's
      // worth fewer spent, and admits a payee's transaction at most maxNonceAhead (64) past its spent nonces.
      const backlog = Math.min(3 * Math.floor(Number(BLOCK_LIMIT) / settleBytes), PAYEES * 32);
      const counts = SIZES.map((n) => {
        const light = (LIGHT.ratePerS * (LIGHT.warmMs + LIGHT.windowMs + 2_000)) / 1000;
        const full = (SIGN_FOR_SHARE * ceiling.all * (FULL.warmMs + FULL.windowMs)) / n / 1000;
        return Math.ceil((light + full + backlog) / PAYEES);
      });
      const signStart = performance.now();
      const signed = await sign(counts);
      log(`signed ${counts.map((c, i) => `${c * PAYEES} settles for n = ${SIZES[i]}`).join(', ')} in ${((performance.now() - signStart) / 1000).toFixed(1)} s`);
      const addresses = await Promise.all(crypto.map((c, w) => c.call<string[]>('addresses', { payees: payeesOf(w) })));
      const payees = Array.from({ length: PAYEES }, (_, p) => addresses[p % CORES]![Math.floor(p / CORES)]!);

      for (const [c, n] of SIZES.entries()) {
        const { registrations, settles } = byPayee(signed, c, CORES);
        const plan = { n, genesis: geneses[c]!, payees, client: client.address, registrations, settles, log };
        const unity = await runUnity({ ...plan, channelOpen: channelOpenTx(loads[c]!, client), idle: IDLE, light: LIGHT, full: { ...FULL, backlog } }, pool);
        // A ring that failed (no progress within the warm-up's time) keeps the figures of the phases it measured.
        if (unity.failure !== undefined) figures[`failed_n${n}`] = 1;
        // The ceiling again right after the ring stopped (work of others on a shared machine comes and goes): the
        // ring's ceiling is the mean of the measurements before and after it.
        const after = await measureCeiling(crypto, sample);
        figures[`verify_settles_per_s_after_n${n}`] = after.all;
        unityFigures(figures, ratios, n, unity, (ceiling.all + after.all) / 2, settleBytes);
        // The same comparison per core actually used: settles final per second per core the managers' threads got,
        // next to a core's verification rate / n. Immune to other work on the machine, which takes cores from both.
        const cores = figures[`round_full_load_n${n}_managers_cores`];
        if (cores !== undefined) {
          ratios[`tps_per_core_vs_ceiling_per_core_n${n}`] = ratio(figures[`tps_n${n}`]! / cores, (ceiling.perCpuS + after.perCpuS) / 2 / n);
        }
        if (Object.keys(unity.refused).length > 0) log(`n = ${n}: submissions refused: ${JSON.stringify(unity.refused)}`);
      }
      // SPEC §7's comparison is at n = 6 (a diagnostic run without that size skips it).
      if (SIZES.includes(6)) compareFigures(figures, ratios, 6, await compareLeaders({ n: 6, ...COMPARE, log }, pool));
    } finally {
      await pool.close();
    }
    // BENCH.md's keys are always there: a figure a failed ring could not measure is NaN (null in the JSON).
    for (const key of ['round_p50_ms_n6', 'round_p99_ms_n6', 'round_p50_ms_n16']) figures[key] ??= Number.NaN;
    for (const key of ['tps_vs_ceiling_n6', 'tps_vs_ceiling_n16', 'byzantine_vs_faultfree', 'pbft_byzantine_vs_faultfree']) ratios[key] ??= Number.NaN;
    figures['bench_s'] = (performance.now() - began) / 1000;
    // Other work on a shared machine takes cores from the rings: its load, for reading the figures.
    figures['load_avg_1m_start'] = loadStart;
    figures['load_avg_1m_end'] = loadavg()[0]!;
    log('whitepaper estimate: 5.7 s per agreement, about 1,000–5,000 tps');
    return {
      figures,
      ratios,
      targets: {
        round_p50_ms_n6: '≤ 300',
        tps_vs_ceiling_n6: '≥ 0.5',
        tps_vs_ceiling_n16: '≥ 0.5',
        byzantine_vs_faultfree: '≤ 1.5',
        pbft_byzantine_vs_faultfree: '≥ 3',
      },
    };
  },
};

/** SPEC §7's comparison: each protocol's rounds led by the silent member next to its fault-free rounds. */
function compareFigures(figures: Record<string, number>, ratios: Record<string, number>, n: number, { acp, pbft }: CompareResult): void {
  const each = (name: string, f: Figures) => {
    figures[`${name}_faultfree_mean_ms_n${n}`] = f.faultFreeMeanMs;
    figures[`${name}_faultfree_p50_ms_n${n}`] = f.faultFreeP50Ms;
    figures[`${name}_byzantine_led_mean_ms_n${n}`] = f.ledMeanMs;
    figures[`${name}_byzantine_led_rounds_n${n}`] = f.ledRounds;
    figures[`${name}_byzantine_other_mean_ms_n${n}`] = f.otherMeanMs;
  };
  each('acp', acp);
  each('pbft', pbft);
  figures[`pbft_calibration_p99_ms_n${n}`] = pbft.calibrationP99Ms;
  figures[`pbft_view_timeout_ms_n${n}`] = pbft.viewTimeoutMs;
  figures[`pbft_faultfree_rounds_over_timeout_n${n}`] = pbft.viewChanges;
  ratios['byzantine_vs_faultfree'] = ratio(acp.ledMeanMs, acp.faultFreeMeanMs);
  ratios['pbft_byzantine_vs_faultfree'] = ratio(pbft.ledMeanMs, pbft.faultFreeMeanMs);
}
