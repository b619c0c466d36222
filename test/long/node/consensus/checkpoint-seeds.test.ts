/**
 * Checkpoint catch-up at scale: for each seed one honest node is stopped while the others run past everyone's keep
 * window, then restarted from its anchor or wiped (genesis); a third of the seeds have a Byzantine checkpoint
 * forger. Every run must be safe and live, and the restarted node must catch up by a checkpoint, decide nothing
 * in the gap and finalise the ring's blocks after it (restartProblems). AME_CONSENSUS_SEED=<n> replays one seed.
 */
import { describe, expect, it } from 'vitest';
import { vrfProofToHash, vrfProve, vrfVerify } from '../../../../node/crypto/vrf.ts';
import { decodeAcpMessage, encodeAcpMessage } from '../../../../node/consensus/codec.ts';
import { restartProblems, restartScenario } from '../../../../node/consensus/sim/restart-scenario.ts';
import type { AcpScenario } from '../../../../node/consensus/sim/run-acp.ts';
import { runChecked, seedsToRun } from '../../../support/consensus-scenarios.ts';

function run(scenario: AcpScenario, totals: { forged: number; adopted: number; finals: number }): void {
  const r = runChecked(scenario);
  expect(restartProblems(scenario, r)).toEqual([]);
  totals.forged += r.checkpoints.forged;
  totals.adopted += r.restart!.stats.adopted;
  totals.finals += r.restart!.finalsAfter;
}

describe('ACP checkpoint catch-up (long)', () => {
  it('40 fast-suite seeds at n = 4…13: restarted from the anchor or wiped, with and without a checkpoint forger', () => {
    const started = performance.now();
    const totals = { forged: 0, adopted: 0, finals: 0 };
    const seeds = seedsToRun(Array.from({ length: 40 }, (_, i) => 30_000 + i));
    for (const seed of seeds) {
      const from = seed % 2 === 0 ? 'anchor' : 'genesis';
      run(restartScenario(seed, from, { forger: seed % 3 === 0 }), totals);
    }
    console.log(
      `ACP checkpoints, long: ${seeds.length} seeds, ${totals.adopted} checkpoints adopted, ${totals.forged} forged ones ` +
        `rejected, ${totals.finals} final blocks after them, ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    if (seeds.length > 1) expect(totals.forged).toBeGreaterThan(0);
  });

  it('2 real-crypto seeds (Ed25519 + ECVRF + CBOR codec)', () => {
    const started = performance.now();
    const totals = { forged: 0, adopted: 0, finals: 0 };
    const real = { suite: 'real' as const, vrf: { prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash }, wire: { encode: encodeAcpMessage, decode: decodeAcpMessage } };
    for (const seed of seedsToRun([31_000, 31_001])) {
      const from = seed % 2 === 0 ? 'anchor' : 'genesis';
      run({ ...restartScenario(seed, from, { forger: seed === 31_001, sizes: [4, 7] }), ...real }, totals);
    }
    console.log(`ACP checkpoints, long, real crypto: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  });
});
