/**
 * The proposal wait ends early once every member of a whole-ring committee proposed on the node's head
 * (docs/consensus.md "Proposal wait"); with a member silent, or with a sampled committee, it runs its full length.
 */
import { describe, expect, it } from 'vitest';
import { AcpNode } from '../../../../node/consensus/acp/node.ts';
import { DEFAULT_ACP_PARAMS, DEFAULT_VALUE_WAIT_MS } from '../../../../node/consensus/acp/params.ts';
import { runAcp } from '../../../../node/consensus/sim/run-acp.ts';
import { acpRing } from './acp-ring.ts';

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

describe('ACP proposal wait deferred for the node’s own value', () => {
  const timersOf = (outputs: readonly { kind: string }[]) =>
    outputs.filter((o): o is { kind: 'set-timer'; name: string; delayMs: number; height: number } => o.kind === 'set-timer');

  it('a node without its value when the round starts waits for it, bounded by valueWaitMs, then for proposals', () => {
    const ring = acpRing(4);
    const node = new AcpNode(ring.config(0));
    // Its last value was for an earlier round: the round arms only the bound on waiting for one, and SBR.
    node.handle({ kind: 'value', valueHash: new Uint8Array(32).fill(9), size: 10, height: 0 });
    const start = timersOf(node.handle({ kind: 'start' }));
    expect(start.map((t) => [t.name, t.delayMs])).toEqual([
      ['value', WAIT + DEFAULT_VALUE_WAIT_MS],
      ['sbr', DEFAULT_ACP_PARAMS.sbrMs],
    ]);
    // The value for this round comes: the proposal wait starts now, and the node proposes.
    const out = node.handle({ kind: 'value', valueHash: new Uint8Array(32).fill(1), size: 10, height: node.height });
    expect(timersOf(out).map((t) => [t.name, t.delayMs])).toEqual([['proposal', WAIT]]);
    expect(out.some((o) => o.kind === 'broadcast' && o.message.kind === 'proposal')).toBe(true);
  });

  it('a value tagged with another round does not start the wait, and the bound ends it', () => {
    const ring = acpRing(4);
    const node = new AcpNode(ring.config(0));
    node.handle({ kind: 'value', valueHash: new Uint8Array(32).fill(9), size: 10, height: 0 });
    node.handle({ kind: 'start' });
    const stale = node.handle({ kind: 'value', valueHash: new Uint8Array(32).fill(1), size: 10, height: node.height + 5 });
    expect(timersOf(stale)).toEqual([]);
    const epoch = 1;
    const ended = node.handle({ kind: 'timer', name: 'value', height: node.height, epoch });
    expect(ended.some((o) => o.kind === 'broadcast' && o.message.kind === 'vote')).toBe(true);
  });

  it('a node whose value is ready at the round start arms the plain proposal wait', () => {
    const ring = acpRing(4);
    const node = new AcpNode(ring.config(0));
    node.handle({ kind: 'value', valueHash: new Uint8Array(32).fill(1), size: 10 });
    const start = timersOf(node.handle({ kind: 'start' }));
    expect(start.map((t) => t.name)).toEqual(['proposal', 'sbr']);
  });
});
