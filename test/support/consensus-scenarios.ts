/**
 * Scenario generation for the consensus simulator's integration and long tests: a seed names one scenario
 * (ring size, Byzantine kinds, partition, faults, crypto suite), so a failing seed replays with
 * AME_CONSENSUS_SEED=<n>.
 */
import { vrfProofToHash, vrfProve, vrfVerify } from '../../node/crypto/vrf.ts';
import { decodeAcpMessage, encodeAcpMessage } from '../../node/consensus/codec.ts';
import { BYZANTINE_KINDS, type ByzantineKind } from '../../node/consensus/sim/byzantine.ts';
import { replayHint, runAcp, type AcpReport, type AcpScenario } from '../../node/consensus/sim/run-acp.ts';
import { seededRandom } from '../../node/net/sim/index.ts';
import { decodePbftMessage, encodePbftMessage } from '../../node/consensus/pbft/codec.ts';
import { PBFT_BYZANTINE_KINDS, type PbftByzantineKind } from '../../node/consensus/sim/pbft-byzantine.ts';
import { runPbft, type PbftReport, type PbftScenario } from '../../node/consensus/sim/run-pbft.ts';

export interface ScenarioShape {
  readonly sizes: readonly number[];
  readonly durationMs: number;
  readonly real?: boolean;
}

export function scenarioFor(seed: number, shape: ScenarioShape): AcpScenario {
  const r = seededRandom(`scenario/${seed}`);
  const n = shape.sizes[r.int(shape.sizes.length)]!;
  const maxF = Math.floor((n - 1) / 3);
  // Mostly the worst case f = ⌊(n−1)/3⌋; sometimes fewer.
  const f = r.next() < 0.7 ? maxF : r.int(maxF + 1);
  const first = r.int(BYZANTINE_KINDS.length);
  const byzantine: ByzantineKind[] = Array.from({ length: f }, (_, i) =>
    r.next() < 0.5 ? BYZANTINE_KINDS[(first + i) % BYZANTINE_KINDS.length]! : BYZANTINE_KINDS[first]!,
  );
  const partitioned = r.next() < 0.35;
  const partition = partitioned ? { startMs: 300 + r.int(1500), endMs: 2500 + r.int(2500) } : undefined;
  const durationMs = shape.durationMs + (partition?.endMs ?? 0);
  return {
    seed,
    n,
    byzantine,
    durationMs,
    faults: { minDelayMs: 1, maxDelayMs: 10 + r.int(80), dropRate: r.next() * 0.05, duplicateRate: r.next() * 0.05 },
    ...(partition !== undefined ? { partition } : {}),
    ...(shape.real === true
      ? { suite: 'real' as const, vrf: { prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash }, wire: { encode: encodeAcpMessage, decode: decodeAcpMessage } }
      : {}),
  };
}

export function describeReport(r: AcpReport): string {
  const base = `seed ${r.seed} n=${r.n} f=${r.f} ${r.suite}: heights ${r.heights}, final ${r.finalised} + ${r.empty} empty, tentative ${r.tentative}`;
  return `${base}, round mean ${r.roundMeanMs.toFixed(0)} ms p99 ${r.roundP99Ms.toFixed(0)} ms`;
}

/** Runs a scenario; on failure the message carries the replay hint. */
export function runChecked(scenario: AcpScenario): AcpReport {
  const report = runAcp(scenario);
  if (!report.ok) {
    const why = [...report.violations.map((v) => `${v.kind}@${v.height}: ${v.detail}`), report.liveness.ok ? '' : report.liveness.detail]
      .filter(Boolean)
      .join('; ');
    throw new Error(`${replayHint(scenario.seed)} failed (${describeReport(report)}): ${why} — byzantine ${scenario.byzantine.join(',')}`);
  }
  return report;
}

/** The seeds to run: AME_CONSENSUS_SEED=<n> narrows any list to that one seed. */
export function seedsToRun(all: readonly number[]): readonly number[] {
  const only = process.env['AME_CONSENSUS_SEED'];
  return only === undefined ? all : [Number(only)];
}

/** The PBFT baseline's scenario of a seed: ring size, Byzantine kinds (silent when leading among them), partition, faults. */
export function pbftScenarioFor(seed: number, shape: ScenarioShape): PbftScenario {
  const r = seededRandom(`pbft-scenario/${seed}`);
  const n = shape.sizes[r.int(shape.sizes.length)]!;
  const maxF = Math.floor((n - 1) / 3);
  const f = r.next() < 0.7 ? maxF : r.int(maxF + 1);
  const first = r.int(PBFT_BYZANTINE_KINDS.length);
  const byzantine: PbftByzantineKind[] = Array.from({ length: f }, (_, i) => PBFT_BYZANTINE_KINDS[(first + i) % PBFT_BYZANTINE_KINDS.length]!);
  const partition = r.next() < 0.35 ? { startMs: 300 + r.int(1500), endMs: 2500 + r.int(2500) } : undefined;
  return {
    seed,
    n,
    byzantine,
    durationMs: shape.durationMs + (partition?.endMs ?? 0),
    faults: { minDelayMs: 1, maxDelayMs: 10 + r.int(80), dropRate: r.next() * 0.05, duplicateRate: r.next() * 0.05 },
    params: { viewTimeoutMs: 300 + r.int(300) },
    ...(partition !== undefined ? { partition } : {}),
    ...(shape.real === true
      ? { suite: 'real' as const, vrf: { prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash }, wire: { encode: encodePbftMessage, decode: decodePbftMessage } }
      : {}),
  };
}

/** Runs a PBFT scenario; on failure the message carries the replay hint. */
export function runPbftChecked(scenario: PbftScenario): PbftReport {
  const r = runPbft(scenario);
  if (!r.ok) {
    const why = [...r.violations.map((v) => `${v.kind}@${v.height}: ${v.detail}`), r.liveness.ok ? '' : r.liveness.detail].filter(Boolean).join('; ');
    throw new Error(`${replayHint(scenario.seed)} PBFT failed (seed ${r.seed} n=${r.n} f=${r.f}, heights ${r.heights}): ${why} — byzantine ${scenario.byzantine.join(',')}`);
  }
  return r;
}
