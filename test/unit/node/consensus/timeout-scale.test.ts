/**
 * ACP timeouts that adapt to how long rounds take (docs/consensus.md "Timeouts that adapt"): a node's timeout scale
 * grows after its rounds that end tentative (or final but empty with a proposal on offer), is capped, shrinks back to
 * exactly 1 after final rounds, and multiplies every timer the node sets; in the simulator a ring whose rounds need
 * longer than SBR finalises values again only with it.
 */
import { describe, expect, it } from 'vitest';
import { AcpNode } from '../../../../node/consensus/acp/node.ts';
import { checkParams, DEFAULT_ACP_PARAMS, DEFAULT_VALUE_WAIT_MS } from '../../../../node/consensus/acp/params.ts';
import { DEFAULT_MAX_TIMEOUT_SCALE, TIMEOUT_DECAY, TIMEOUT_GROWTH, TimeoutScale } from '../../../../node/consensus/acp/timeouts.ts';
import { runAcp } from '../../../../node/consensus/sim/run-acp.ts';
import { emptyId, proposalId, signingBytes } from '../../../../node/consensus/sign-bytes.ts';
import type { AcpOutput, Commit, Prepare, Proposal } from '../../../../node/consensus/types.ts';
import { acpRing, type AcpRing } from './acp-ring.ts';

const { proposalWaitMs: WAIT, stepTimeoutMs: STEP, sbrMs: SBR } = DEFAULT_ACP_PARAMS;

const timers = (outputs: readonly AcpOutput[]): [string, number][] =>
  outputs.flatMap((o) => (o.kind === 'set-timer' ? [[o.name, o.delayMs] as [string, number]] : []));

/** A lone node of a 4-ring (nobody answers it), its value ready, started. */
function loneNode(params: Partial<typeof DEFAULT_ACP_PARAMS> = {}): { ring: AcpRing; node: AcpNode; epoch: () => number; start: AcpOutput[] } {
  const ring = acpRing(4, { params });
  const node = new AcpNode(ring.config(0));
  node.handle({ kind: 'value', valueHash: new Uint8Array(32).fill(1), size: 10 });
  let epoch = 1;
  const start = node.handle({ kind: 'start' });
  return { ring, node, epoch: () => epoch++, start };
}

/** Member `from`'s proposal at the node's current round, on the node's head. */
function proposalOf(ring: AcpRing, node: AcpNode, from: number): Proposal {
  const head = node.store.headFor(node.height);
  const { proof } = ring.keys[from]!.vrfProve(node.committeeFor(head.nextSeed, node.height).alpha);
  const unsigned = { kind: 'proposal' as const, height: node.height, from, prev: head.id, valueHash: new Uint8Array(32).fill(from + 1), size: 50, vrfProof: proof };
  return { ...unsigned, sig: ring.keys[from]!.sign(signingBytes(unsigned, ring.suite.hash)) };
}

/** Commits of members 1–3 (a quorum of 4) for the empty block of the node's current round. */
function emptyCommits(ring: AcpRing, node: AcpNode): Commit[] {
  const id = emptyId(node.height, node.store.headFor(node.height).id, ring.suite.hash);
  return [1, 2, 3].map((from) => {
    const unsigned = { kind: 'commit' as const, height: node.height, from, id };
    return { ...unsigned, sig: ring.keys[from]!.sign(signingBytes(unsigned, ring.suite.hash)) };
  });
}

describe('TimeoutScale', () => {
  it('grows ×1.5 per tentative round up to the cap, and back to exactly 1 after final rounds', () => {
    const s = new TimeoutScale(8);
    expect(s.value).toBe(1);
    s.grow();
    expect(s.value).toBe(TIMEOUT_GROWTH);
    s.grow();
    expect(s.value).toBe(TIMEOUT_GROWTH ** 2);
    for (let i = 0; i < 10; i++) s.grow();
    expect(s.value).toBe(8);
    let rounds = 0;
    while (s.value > 1) {
      s.shrink();
      rounds += 1;
    }
    expect(s.value).toBe(1);
    expect(rounds).toBe(Math.ceil(Math.log(8) / Math.log(TIMEOUT_DECAY)));
    s.shrink();
    expect(s.value).toBe(1);
  });

  it('scales delays to whole milliseconds, and leaves them exactly as they are at 1', () => {
    const s = new TimeoutScale(8);
    expect(s.of(SBR)).toBe(SBR);
    expect(s.of(333)).toBe(333);
    s.grow();
    expect(s.of(SBR)).toBe(3000);
    expect(s.of(333)).toBe(500);
  });

  it('maxTimeoutScale is checked: a finite number of at least 1', () => {
    for (const bad of [0.5, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => checkParams({ ...DEFAULT_ACP_PARAMS, maxTimeoutScale: bad }, 4)).toThrow(/maxTimeoutScale/);
    }
    expect(() => checkParams({ ...DEFAULT_ACP_PARAMS, maxTimeoutScale: 1 }, 4)).not.toThrow();
    expect(DEFAULT_ACP_PARAMS.maxTimeoutScale ?? DEFAULT_MAX_TIMEOUT_SCALE).toBe(8);
  });
});

/** A round that fails at SBR after the node heard from members 1 and 2 (with itself a quorum of 4): its outputs. */
function failRound(ring: AcpRing, node: AcpNode, epoch: number): AcpOutput[] {
  for (const from of [1, 2]) node.handle({ kind: 'message', message: proposalOf(ring, node, from) });
  return node.handle({ kind: 'timer', name: 'sbr', height: node.height, epoch });
}

describe('ACP node timers under the timeout scale', () => {
  it('a ring that never goes tentative keeps today’s timers', () => {
    const { node, start } = loneNode();
    expect(node.timeoutScale).toBe(1);
    expect(timers(start)).toEqual([
      ['proposal', WAIT],
      ['sbr', SBR],
    ]);
  });

  it('after a tentative round the next round’s proposal wait, step timeouts and SBR are ×1.5', () => {
    const { ring, node, epoch } = loneNode();
    const atSbr = failRound(ring, node, epoch());
    expect(atSbr.some((o) => o.kind === 'decide' && o.decision === 'tentative')).toBe(true);
    expect(node.timeoutScale).toBe(1.5);
    expect(node.height).toBe(2);
    expect(timers(atSbr)).toEqual([
      ['proposal', 1.5 * WAIT],
      ['sbr', 1.5 * SBR],
    ]);
    const e = epoch();
    // Alone, the node votes for its own proposal when the wait ends; neither step reaches a quorum.
    expect(timers(node.handle({ kind: 'timer', name: 'proposal', height: 2, epoch: e }))).toEqual([['step1', 1.5 * STEP]]);
    expect(timers(node.handle({ kind: 'timer', name: 'step1', height: 2, epoch: e }))).toEqual([['step2', 1.5 * STEP]]);
  });

  it('a tentative round that heard from fewer than a quorum of members (a partition) leaves the scale alone', () => {
    const { ring, node, epoch } = loneNode();
    node.handle({ kind: 'message', message: proposalOf(ring, node, 1) });
    const atSbr = node.handle({ kind: 'timer', name: 'sbr', height: 1, epoch: epoch() });
    expect(atSbr.some((o) => o.kind === 'decide' && o.decision === 'tentative')).toBe(true);
    expect(node.timeoutScale).toBe(1);
    expect(timers(atSbr)).toEqual([
      ['proposal', WAIT],
      ['sbr', SBR],
    ]);
  });

  it('the bound on waiting for the node’s own value scales too', () => {
    const ring = acpRing(4);
    const node = new AcpNode(ring.config(0));
    node.handle({ kind: 'value', valueHash: new Uint8Array(32).fill(9), size: 10, height: 0 });
    node.handle({ kind: 'start' });
    expect(timers(failRound(ring, node, 1))).toEqual([
      ['value', 1.5 * (WAIT + DEFAULT_VALUE_WAIT_MS)],
      ['sbr', 1.5 * SBR],
    ]);
  });

  it('a round final with the empty block grows the scale when a proposal came in after the node voted, else shrinks it', () => {
    for (const late of [true, false]) {
      const { ring, node, epoch } = loneNode();
      failRound(ring, node, epoch());
      expect(node.timeoutScale).toBe(1.5);
      const e = epoch();
      const voted = node.handle({ kind: 'timer', name: 'proposal', height: 2, epoch: e });
      expect(voted.some((o) => o.kind === 'broadcast' && o.message.kind === 'vote')).toBe(true);
      if (late) node.handle({ kind: 'message', message: proposalOf(ring, node, 1) });
      let decided: AcpOutput[] = [];
      for (const c of emptyCommits(ring, node)) decided = [...decided, ...node.handle({ kind: 'message', message: c })];
      expect(decided.some((o) => o.kind === 'decide' && o.decision === 'final' && o.height === 2 && o.valueHash === undefined)).toBe(true);
      expect(node.height).toBe(3);
      expect(node.timeoutScale).toBe(late ? 1.5 * TIMEOUT_GROWTH : 1.5 / TIMEOUT_DECAY);
    }
  });

  it('a proposal that came before the vote does not count as late', () => {
    const { ring, node, epoch } = loneNode();
    failRound(ring, node, epoch());
    node.handle({ kind: 'message', message: proposalOf(ring, node, 1) });
    node.handle({ kind: 'timer', name: 'proposal', height: 2, epoch: epoch() });
    for (const c of emptyCommits(ring, node)) node.handle({ kind: 'message', message: c });
    expect(node.height).toBe(3);
    expect(node.timeoutScale).toBe(1.5 / TIMEOUT_DECAY);
  });

  it('final rounds bring the scale back to exactly 1, and the timers to today’s', () => {
    const { ring, node, epoch } = loneNode();
    for (let i = 0; i < 4; i++) failRound(ring, node, epoch());
    expect(node.timeoutScale).toBe(TIMEOUT_GROWTH ** 4);
    let finals = 0;
    let last: AcpOutput[] = [];
    while (node.timeoutScale > 1) {
      last = [];
      for (const c of emptyCommits(ring, node)) last = [...last, ...node.handle({ kind: 'message', message: c })];
      finals += 1;
    }
    expect(finals).toBe(Math.ceil(Math.log(TIMEOUT_GROWTH ** 4) / Math.log(TIMEOUT_DECAY)));
    expect(node.timeoutScale).toBe(1);
    expect(timers(last)).toEqual([
      ['proposal', WAIT],
      ['sbr', SBR],
    ]);
  });

  it('a running round overtaken by others’ tentative block (a prepared block at its height) grows the scale', () => {
    const { ring, node } = loneNode();
    const proposal = proposalOf(ring, node, 1);
    node.handle({ kind: 'message', message: proposalOf(ring, node, 2) });
    const id = proposalId(proposal, ring.suite.hash);
    const prepares: Prepare[] = [1, 2, 3].map((from) => {
      const unsigned = { kind: 'prepare' as const, height: 1, from, leader: 1, id };
      return { ...unsigned, sig: ring.keys[from]!.sign(signingBytes(unsigned, ring.suite.hash)) };
    });
    node.handle({ kind: 'message', message: proposal });
    node.handle({ kind: 'message', message: { kind: 'status', from: 1, blocks: [{ height: 1, prev: proposal.prev, proposal, prepares }] } });
    expect(node.height).toBe(2);
    expect(node.timeoutScale).toBe(TIMEOUT_GROWTH);
  });

  // Cap 3: six tentative rounds in a row stop at 3; cap 1: the timers stay fixed however many rounds go tentative.
  it.each([3, 1])('is capped by maxTimeoutScale (%d)', (cap) => {
    const { ring, node, epoch } = loneNode({ maxTimeoutScale: cap });
    let last: AcpOutput[] = [];
    for (let h = 1; h <= 6; h++) last = failRound(ring, node, epoch());
    expect(node.timeoutScale).toBe(cap);
    expect(timers(last)).toEqual([
      ['proposal', cap * WAIT],
      ['sbr', cap * SBR],
    ]);
  });
});

describe('ACP timeout scale in the simulator', () => {
  it('a partition that leaves no side a quorum keeps today’s SBR on both sides; the scale is exactly 1 again after healing', () => {
    const r = runAcp({
      seed: 3,
      n: 4,
      byzantine: [],
      durationMs: 20_000,
      faults: { minDelayMs: 2, maxDelayMs: 20, dropRate: 0, duplicateRate: 0 },
      partition: { startMs: 100, endMs: 10_000 },
    });
    expect(r.ok).toBe(true);
    // Tentative rounds every 2 s through the 10 s partition; at most the round it cut grew the scale.
    expect(r.tentative).toBeGreaterThanOrEqual(4);
    expect(r.timeoutScale.max).toBeLessThanOrEqual(TIMEOUT_GROWTH);
    expect(r.timeoutScale.end).toBe(1);
  });

  // Links of 400–600 ms: proposals arrive after the 200 ms proposal wait, votes after the 200 ms step timeouts, and
  // six message delays (≈ 3 s) do not fit in SBR. Fixed timeouts: every round votes before the proposals are in and
  // ends empty, nearly all of them tentative (31 heights, 26 tentative). Scaled: the waits grow until proposals and
  // votes meet; 8 values final among 20 heights, 3 tentative rounds.
  const slow = (maxTimeoutScale: number) =>
    runAcp({
      seed: 5,
      n: 4,
      byzantine: [],
      durationMs: 60_000,
      faults: { minDelayMs: 400, maxDelayMs: 600, dropRate: 0, duplicateRate: 0 },
      params: { maxTimeoutScale },
    });

  it('rounds longer than SBR: fixed timeouts finalise no value in 60 virtual seconds, scaled ones do', () => {
    const fixed = slow(1);
    expect(fixed.ok).toBe(true);
    expect(fixed.finalised).toBe(0);
    expect(fixed.tentative).toBeGreaterThan(fixed.heights / 2);
    expect(fixed.timeoutScale.max).toBe(1);

    const scaled = slow(DEFAULT_MAX_TIMEOUT_SCALE);
    expect(scaled.ok).toBe(true);
    expect(scaled.finalised).toBeGreaterThanOrEqual(5);
    expect(scaled.tentative).toBeLessThan(scaled.heights / 4);
    expect(scaled.timeoutScale.max).toBeGreaterThan(2);
    expect(scaled.timeoutScale.max).toBeLessThanOrEqual(DEFAULT_MAX_TIMEOUT_SCALE);
  });

  it('is deterministic per seed', () => {
    const a = slow(DEFAULT_MAX_TIMEOUT_SCALE);
    const b = slow(DEFAULT_MAX_TIMEOUT_SCALE);
    expect([a.heights, a.finalised, a.empty, a.tentative, a.messages, a.timeoutScale]).toEqual([
      b.heights,
      b.finalised,
      b.empty,
      b.tentative,
      b.messages,
      b.timeoutScale,
    ]);
  });
});
