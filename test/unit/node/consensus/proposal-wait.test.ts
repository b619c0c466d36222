/**
 * The proposal wait ends early once every member of a whole-ring committee proposed on the node's head
 * (docs/consensus.md "Proposal wait"); with a member silent, or with a sampled committee, it runs its full length.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ACP_PARAMS } from '../../../../node/consensus/acp/params.ts';
import { runAcp } from '../../../../node/consensus/sim/run-acp.ts';

const CLEAN = { minDelayMs: 2, maxDelayMs: 40, dropRate: 0, duplicateRate: 0 };
const WAIT = DEFAULT_ACP_PARAMS.proposalWaitMs;

describe('ACP proposal wait', () => {
  it('ends when every member of a whole-ring committee has proposed: fault-free rounds are shorter than the wait', () => {
    const r = runAcp({ seed: 11, n: 6, byzantine: [], durationMs: 6000, faults: CLEAN });
    expect(r.ok).toBe(true);
    expect(r.finalised).toBeGreaterThan(20);
    // Two message delays to propose and vote, at most 40 ms each, then the early reduction steps.
    expect(r.roundMeanMs).toBeLessThan(WAIT);
  });

  it('runs its full length while a member stays silent', () => {
    const r = runAcp({ seed: 11, n: 6, byzantine: ['silent'], durationMs: 6000, faults: CLEAN });
    expect(r.ok).toBe(true);
    expect(r.roundMeanMs).toBeGreaterThan(WAIT);
  });

  it('runs its full length with a sampled final committee, whose members are unknown until they reveal themselves', () => {
    const r = runAcp({ seed: 11, n: 24, byzantine: [], durationMs: 6000, faults: CLEAN });
    expect(r.ok).toBe(true);
    expect(r.roundMeanMs).toBeGreaterThan(WAIT);
  });
});
