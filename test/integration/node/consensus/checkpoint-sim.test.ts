import { describe, expect, it } from 'vitest';
import { vrfProofToHash, vrfProve, vrfVerify } from '../../../../node/crypto/vrf.ts';
import { decodeAcpMessage, encodeAcpMessage } from '../../../../node/consensus/codec.ts';
import { restartProblems, restartScenario } from '../../../../node/consensus/sim/restart-scenario.ts';
import type { AcpReport, AcpScenario } from '../../../../node/consensus/sim/run-acp.ts';
import { runChecked, seedsToRun } from '../../../support/consensus-scenarios.ts';

const SIZES = [4, 5, 7];
const real = { suite: 'real' as const, vrf: { prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash }, wire: { encode: encodeAcpMessage, decode: decodeAcpMessage } };

/** Safe and live (the restarted node included), and caught up by a checkpoint as restartProblems requires. */
function runRestart(scenario: AcpScenario): AcpReport {
  const r = runChecked(scenario);
  expect(restartProblems(scenario, r)).toEqual([]);
  return r;
}

describe('ACP checkpoint catch-up in the simulator', () => {
  it('a node restarted from its anchor catches up by checkpoint and finalises the same blocks as the others', () => {
    for (const seed of seedsToRun([1, 2, 3])) runRestart(restartScenario(seed, 'anchor', { sizes: SIZES }));
  });

  it('a wiped node (genesis) catches up the same way', () => {
    for (const seed of seedsToRun([1, 2, 3])) runRestart(restartScenario(seed, 'genesis', { sizes: SIZES }));
  });

  it('with the real crypto suite and every message through the codec', () => {
    for (const seed of seedsToRun([5])) {
      expect(runRestart({ ...restartScenario(seed, 'genesis', { sizes: [4] }), ...real }).suite).toBe('real');
    }
  });

  it('forged checkpoints from a Byzantine member are rejected and counted; the restarted node still catches up', () => {
    let forged = 0;
    let unsolicited = 0;
    for (const seed of seedsToRun([2, 8, 10])) {
      for (const from of ['anchor', 'genesis'] as const) {
        const scenario = restartScenario(seed, from, { forger: true, sizes: [7] });
        expect(scenario.byzantine).toContain('checkpoint-forger');
        const r = runRestart(scenario);
        forged += r.checkpoints.forged;
        unsolicited += r.checkpoints.unsolicited;
        // Only the restarted node ever adopts a checkpoint: forgeries never move anyone's final head.
        expect(r.checkpoints.adopted).toBe(r.restart!.stats.adopted);
      }
    }
    console.log(`forged checkpoints rejected: ${forged}, unsolicited ones dropped unchecked: ${unsolicited}`);
    if (process.env['AME_CONSENSUS_SEED'] === undefined) expect(forged).toBeGreaterThan(0);
  });
});
