import { describe, expect, it } from 'vitest';
import { SafetyChecker } from '../../../../node/consensus/sim/checker.ts';
import { runAcp } from '../../../../node/consensus/sim/run-acp.ts';
import type { Commit, Decide } from '../../../../node/consensus/types.ts';

const id = (b: number) => new Uint8Array(32).fill(b);
const cert = (h: number, b: number, n: number): Commit[] =>
  Array.from({ length: n }, (_, from) => ({ kind: 'commit', height: h, from, id: id(b), sig: new Uint8Array(32) }));
const final = (h: number, b: number, prev: number, signers = 3): Decide => ({
  kind: 'decide', height: h, round: h, id: id(b), prev: id(prev), valueHash: undefined, decision: 'final',
  via: 'certificate', certificate: cert(h, b, signers),
});

describe('the simulator safety checker', () => {
  it('accepts agreeing nodes and flags two values at one height', () => {
    const c = new SafetyChecker(3);
    c.onDecide(0, final(1, 1, 0));
    c.onDecide(1, final(1, 1, 0));
    expect(c.violations).toEqual([]);
    c.onDecide(2, final(1, 2, 0));
    expect(c.violations.map((v) => v.kind)).toEqual(['conflict']);
  });

  it('flags a certificate without a quorum of distinct signers', () => {
    const c = new SafetyChecker(3);
    c.onDecide(0, final(1, 1, 0, 2));
    expect(c.violations.map((v) => v.kind)).toEqual(['bad-certificate']);
  });

  it('flags a tentative block confirmed without a final successor, or by a successor that is not its child', () => {
    const c = new SafetyChecker(3);
    c.onDecide(0, { ...final(1, 5, 0), via: 'successor', by: 2, certificate: [] });
    c.onDecide(0, final(2, 6, 7));
    c.onDecide(1, { ...final(1, 5, 0), via: 'successor', by: 2 });
    c.finish();
    expect(c.violations.map((v) => v.kind).sort()).toEqual(['bad-confirmation', 'bad-confirmation']);
  });

  it('catches the deliberately broken variant: quorum lowered to n/2, a partition, an equivocating proposer', () => {
    let caught = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const r = runAcp({
        seed, n: 4, byzantine: ['equivocating-proposer'], durationMs: 6000,
        params: { quorumOverride: 2 }, partition: { startMs: 500, endMs: 3000 },
      });
      if (r.violations.some((v) => v.kind === 'conflict')) caught += 1;
    }
    expect(caught).toBeGreaterThanOrEqual(3);
  });

  it('the same scenarios with the specified quorum are safe', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const r = runAcp({
        seed, n: 4, byzantine: ['equivocating-proposer'], durationMs: 6000, partition: { startMs: 500, endMs: 3000 },
      });
      expect(r.violations).toEqual([]);
    }
  });
});
