import { describe, expect, it } from 'vitest';
import { toHex } from '../../../../node/crypto/index.ts';
import { fastSuite } from '../../../../node/consensus/crypto-suite.ts';
import { ConsensusError } from '../../../../node/consensus/errors.ts';
import { decodePbftMessage, encodePbftMessage } from '../../../../node/consensus/pbft/codec.ts';
import { pbftBlockId, pbftSigningBytes } from '../../../../node/consensus/pbft/messages.ts';
import { PbftNode } from '../../../../node/consensus/pbft/node.ts';
import type { PbftMessage, PbftNewView, PbftOutput, PbftPrepare, PbftViewChange } from '../../../../node/consensus/pbft/types.ts';
import { jumpTarget, newViewValid } from '../../../../node/consensus/pbft/view-change.ts';
import type { Decide } from '../../../../node/consensus/types.ts';
import { seededRandom } from '../../../support/seeded.ts';

const N = 4;
const value = (b: number) => new Uint8Array(32).fill(b);

/** Four PBFT nodes on an in-memory FIFO network; `mute` nodes' outputs are dropped. */
function ring(mute: ReadonlySet<number> = new Set()) {
  const suite = fastSuite();
  const keys = Array.from({ length: N }, (_, i) => suite.keysFromSeed(new Uint8Array(32).fill(i + 1)));
  const publicKeys = keys.map((k) => k.publicKey);
  const nodes = keys.map((k, index) => new PbftNode({ index, publicKeys, keys: k, suite, params: { viewTimeoutMs: 100 }, genesisId: value(0) }));
  const decided: Decide[][] = nodes.map(() => []);
  const timers: { node: number; height: number; epoch: number }[][] = nodes.map(() => []);
  const sent: PbftMessage[] = [];
  const queue: { to: number; message: PbftMessage }[] = [];
  const take = (i: number, outs: PbftOutput[]) => {
    for (const o of outs) {
      if (o.kind === 'decide') decided[i]!.push(o);
      else if (o.kind === 'set-timer') timers[i]!.push({ node: i, height: o.height, epoch: o.epoch });
      else if (!mute.has(i)) {
        sent.push(o.message);
        if (o.kind === 'broadcast') for (let j = 0; j < N; j++) if (j !== i) queue.push({ to: j, message: o.message });
        if (o.kind === 'send') queue.push({ to: o.to, message: o.message });
      }
    }
  };
  const flush = (limit = 10_000) => {
    for (let k = 0; k < limit && queue.length > 0; k++) {
      const { to, message } = queue.shift()!;
      take(to, nodes[to]!.handle({ kind: 'message', message }));
    }
  };
  const fireLastTimers = () => {
    for (let i = 0; i < N; i++) {
      const t = timers[i]!.at(-1);
      if (t !== undefined) take(i, nodes[i]!.handle({ kind: 'timer', name: 'view', height: t.height, epoch: t.epoch }));
    }
  };
  nodes.forEach((nd, i) => take(i, nd.handle({ kind: 'value', valueHash: value(10 + i), size: 0 })));
  return { suite, keys, nodes, decided, sent, queue, take, flush, fireLastTimers, publicKeys };
}

describe('PBFT baseline state machine', () => {
  it('decides the leader’s value at each height with a commit quorum, the leader rotating with the height', () => {
    const r = ring();
    r.nodes.forEach((nd, i) => r.take(i, nd.handle({ kind: 'start' })));
    r.flush(2000);
    for (let i = 0; i < N; i++) {
      const [first, second] = r.decided[i]!;
      expect(first?.height).toBe(1);
      expect(toHex(first!.valueHash!)).toBe(toHex(value(11))); // (1 + 0) mod 4 leads height 1
      expect(second?.height).toBe(2);
      expect(toHex(second!.prev)).toBe(toHex(first!.id));
      expect(new Set(first!.certificate!.map((c) => c.from)).size).toBeGreaterThanOrEqual(3);
    }
    expect(new Set(r.decided.map((d) => toHex(d[0]!.id))).size).toBe(1);
  });

  it('replaces a silent leader by a view change and decides in view 1', () => {
    const r = ring(new Set([1]));
    r.nodes.forEach((nd, i) => r.take(i, nd.handle({ kind: 'start' })));
    r.flush();
    expect(r.decided.every((d) => d.length === 0)).toBe(true);
    r.fireLastTimers();
    r.flush(200);
    expect(r.sent.some((m) => m.kind === 'new-view' && m.prePrepare.from === 2)).toBe(true);
    for (const i of [0, 2, 3]) {
      expect(r.decided[i]![0]?.round).toBe(1);
      expect(toHex(r.decided[i]![0]!.valueHash!)).toBe(toHex(value(12)));
    }
  });

  it('re-proposes a prepared value after a view change, and a new-view that drops it is rejected', () => {
    // Height 1, view 0: leader 1 pre-prepares; prepares reach everyone, but no commit gets out.
    const r = ring();
    r.nodes.forEach((nd, i) => r.take(i, nd.handle({ kind: 'start' })));
    while (r.queue.length > 0) {
      const { to, message } = r.queue.shift()!;
      if (message.kind === 'commit') continue;
      r.take(to, r.nodes[to]!.handle({ kind: 'message', message }));
    }
    expect(r.decided.every((d) => d.length === 0)).toBe(true);
    r.fireLastTimers();
    r.flush(500);
    for (const d of r.decided) expect([d[0]?.round, toHex(d[0]!.valueHash!)]).toEqual([1, toHex(value(11))]);
    const vcs = r.sent.filter((m): m is PbftViewChange => m.kind === 'view-change' && m.view === 1);
    expect(vcs.length).toBe(N);
    expect(vcs.every((vc) => vc.prepared !== undefined && toHex(vc.prepared.valueHash) === toHex(value(11)))).toBe(true);
    const nv = r.sent.find((m): m is PbftNewView => m.kind === 'new-view');
    expect(toHex(nv!.prePrepare.valueHash)).toBe(toHex(value(11))); // not leader 2's own value(12)
    const verifier = { publicKeys: r.publicKeys, quorum: 3, suite: r.suite };
    expect(newViewValid(nv!, 1, N, verifier)).toBe(true);
    const unsigned = { ...nv!.prePrepare, valueHash: value(12) };
    const forged = { ...unsigned, sig: r.keys[2]!.sign(pbftSigningBytes(unsigned)) };
    expect(newViewValid({ ...nv!, prePrepare: forged }, 1, N, verifier)).toBe(false);
    expect(newViewValid({ ...nv!, viewChanges: nv!.viewChanges.slice(0, 2) }, 1, N, verifier)).toBe(false);
  });

  it('ignores forged and out-of-turn messages', () => {
    const r = ring();
    r.take(0, r.nodes[0]!.handle({ kind: 'start' }));
    const id = pbftBlockId(1, value(9), r.suite.hash);
    const unsigned = { kind: 'prepare' as const, height: 1, view: 0, from: 3, id };
    const forged: PbftPrepare = { ...unsigned, sig: r.keys[2]!.sign(pbftSigningBytes(unsigned)) };
    const ppOutOfTurn = { kind: 'preprepare' as const, height: 1, view: 0, from: 2, valueHash: value(9) };
    const outs = [
      ...r.nodes[0]!.handle({ kind: 'message', message: forged }),
      ...r.nodes[0]!.handle({ kind: 'message', message: { ...ppOutOfTurn, sig: r.keys[2]!.sign(pbftSigningBytes(ppOutOfTurn)) } }),
    ];
    expect(outs).toEqual([]);
  });

  it('joins the highest view that f + 1 members asked for, never a lower one', () => {
    expect(jumpTarget(new Map([[1, 5], [2, 3], [3, 9]]), 2, 0)).toBe(5);
    expect(jumpTarget(new Map([[1, 5]]), 2, 0)).toBeUndefined();
    expect(jumpTarget(new Map([[1, 5], [2, 3]]), 2, 4)).toBeUndefined();
  });
});

describe('PBFT wire codec', () => {
  it('round-trips the messages of a view change and rejects mutations with ConsensusError only', () => {
    const r = ring(new Set([1]));
    r.nodes.forEach((nd, i) => r.take(i, nd.handle({ kind: 'start' })));
    r.flush();
    r.fireLastTimers();
    r.flush(300);
    const kinds = new Set(r.sent.map((m) => m.kind));
    for (const k of ['view-change', 'new-view', 'prepare', 'commit', 'decision']) expect(kinds).toContain(k);
    for (const m of r.sent) {
      const bytes = encodePbftMessage(m);
      expect(encodePbftMessage(decodePbftMessage(bytes))).toEqual(bytes);
    }
    const good = encodePbftMessage(r.sent.find((m) => m.kind === 'new-view')!);
    const random = seededRandom(7);
    let rejected = 0;
    for (let i = 0; i < 1500; i++) {
      const b = Uint8Array.from(good.subarray(0, 1 + Math.floor(random() * good.length)));
      b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
      try {
        decodePbftMessage(b);
      } catch (e) {
        expect(e).toBeInstanceOf(ConsensusError);
        rejected += 1;
      }
    }
    expect(rejected).toBeGreaterThan(1000);
  });
});
