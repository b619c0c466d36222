import { afterEach, describe, expect, it } from 'vitest';
import { Ed25519KeyPair, sha256, toHex, utf8, vrfProofToHash, vrfProve, vrfVerify } from '../../../../node/crypto/index.ts';
import type { Anchor } from '../../../../node/consensus/acp/chain.ts';
import { anchorOf } from '../../../../node/consensus/acp/checkpoint.ts';
import { AcpNode } from '../../../../node/consensus/acp/node.ts';
import { DEFAULT_ACP_PARAMS } from '../../../../node/consensus/acp/params.ts';
import { realSuite } from '../../../../node/consensus/crypto-suite.ts';
import { createReactor, type Reactor } from '../../../../node/consensus/reactor.ts';
import type { Decide } from '../../../../node/consensus/types.ts';
import { createHost, systemClock, type Host } from '../../../../node/net/index.ts';
import { until } from '../../../support/ring-net.ts';

// Six manager servers on libp2p (127.0.0.1, port 0), each an AcpNode (Ed25519 + ECVRF) behind the reactor, keeping
// only KEEP heights of rounds (2 × KEEP of blocks): a member stopped for longer can only come back by a checkpoint.
const N = 6;
const KEEP = 3;
const connections = { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 256 };

interface Member {
  /** Height → final block id hex (every incarnation). */
  readonly finals: Map<number, string>;
  /** Heights of checkpoints it adopted. */
  readonly checkpoints: number[];
  /** What the application persists: the anchor of its latest final decision. */
  anchor: Anchor | undefined;
  node: AcpNode;
  reactor: Reactor;
}

interface Ring {
  readonly hosts: Host[];
  readonly members: Member[];
  readonly live: Set<number>;
  readonly conflicts: string[];
  stopMember(i: number): void;
  restartMember(i: number, anchor: Anchor | undefined): void;
  stop(): Promise<void>;
}

const running: Ring[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function startRing(tag: string): Promise<Ring> {
  const seeds = Array.from({ length: N }, (_, i) => sha256(utf8(`acp checkpoint test ${tag} ${i}`)));
  const hosts = seeds.map((seed) => createHost({ nodeKey: Ed25519KeyPair.fromSeed(seed), connections }));
  await Promise.all(hosts.map((h) => h.start()));
  for (const h of hosts) h.rpc.handle('test/ping', async () => new Uint8Array(0));
  await Promise.all(hosts.flatMap((a) => hosts.map((b) => (a === b ? undefined : a.rpc.request(b.peer, 'test/ping', new Uint8Array(0))))));

  const peers = hosts.map((h) => h.peer);
  const keys = seeds.map((seed) => realSuite({ prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash }).keysFromSeed(seed));
  const ringMembers = keys.map((k) => ({ publicKey: k.publicKey, reputation: 1 }));
  const genesis = { id: sha256(utf8(`genesis ${tag}`)), seed: sha256(utf8(`rs0 ${tag}`)) };
  const conflicts: string[] = [];
  const live = new Set<number>();
  const members: Member[] = [];

  const incarnation = (i: number, anchor: Anchor | undefined): { node: AcpNode; reactor: Reactor } => {
    const suite = realSuite({ prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash });
    const node = new AcpNode({
      index: i,
      members: ringMembers,
      keys: keys[i]!,
      suite,
      params: DEFAULT_ACP_PARAMS,
      genesis,
      keepHeights: KEEP,
      ...(anchor !== undefined ? { anchor } : {}),
    });
    const onDecide = (d: Decide): void => {
      if (d.decision !== 'final') return;
      const m = members[i]!;
      const id = toHex(d.id);
      const before = m.finals.get(d.height);
      if (before !== undefined && before !== id) conflicts.push(`member ${i} height ${d.height}`);
      m.finals.set(d.height, id);
      if (d.via === 'checkpoint') m.checkpoints.push(d.height);
      const a = anchorOf(d);
      if (a !== undefined && a.height > (m.anchor?.height ?? -1)) m.anchor = a;
    };
    const nextValue = (height: number) => ({ valueHash: sha256(utf8(`value ${tag} ${i} ${height}`)), size: 100 + i });
    return { node, reactor: createReactor({ node, rpc: hosts[i]!.rpc, clock: systemClock, peers, nextValue, onDecide }) };
  };

  for (let i = 0; i < N; i++) members.push({ finals: new Map(), checkpoints: [], anchor: undefined, ...incarnation(i, undefined) });
  const ring: Ring = {
    hosts,
    members,
    live,
    conflicts,
    stopMember: (i) => {
      members[i]!.reactor.stop();
      live.delete(i);
    },
    restartMember: (i, anchor) => {
      Object.assign(members[i]!, incarnation(i, anchor));
      live.add(i);
      members[i]!.reactor.start();
    },
    stop: async () => {
      for (const m of members) m.reactor.stop();
      await Promise.all(hosts.map((h) => h.stop()));
    },
  };
  running.push(ring);
  for (let i = 0; i < N; i++) {
    live.add(i);
    members[i]!.reactor.start();
  }
  return ring;
}

/** The highest h such that member i holds final blocks at every height from `from` to h. */
function prefixFrom(ring: Ring, i: number, from: number): number {
  let h = from - 1;
  while (ring.members[i]!.finals.has(h + 1)) h += 1;
  return h;
}

const minPrefix = (ring: Ring): number => Math.min(...[...ring.live].map((i) => prefixFrom(ring, i, 1)));

/** Safety: at every height, every member that finalised it holds the same block. */
function expectAgreement(ring: Ring): void {
  expect(ring.conflicts).toEqual([]);
  const heights = new Set(ring.members.flatMap((m) => [...m.finals.keys()]));
  for (const h of heights) {
    const ids = new Set(ring.members.flatMap((m) => (m.finals.has(h) ? [m.finals.get(h)!] : [])));
    expect(ids.size, `height ${h}`).toBe(1);
  }
}

/** Stops member `who`, lets the others run past everyone's keep window, restarts it and waits for it to catch up. */
async function stopAndRejoin(ring: Ring, who: number, from: 'anchor' | 'genesis'): Promise<string> {
  await until(() => minPrefix(ring) >= 3, 20_000, 'six members to finalise heights 1…3');
  ring.stopMember(who);
  const anchor = ring.members[who]!.anchor;
  const stoppedAt = anchor?.height ?? 0;
  expect(stoppedAt).toBeGreaterThanOrEqual(3);
  const t0 = Date.now();
  const target = stoppedAt + 2 * KEEP + 6;
  await until(() => minPrefix(ring) >= target, 30_000, `five members to finalise up to height ${target}`);
  const ranFor = Date.now() - t0;

  const t1 = Date.now();
  ring.restartMember(who, from === 'anchor' ? anchor : undefined);
  const m = ring.members[who]!;
  await until(() => m.checkpoints.length > 0 && prefixFrom(ring, who, m.checkpoints[0]!) >= m.checkpoints[0]! + 3, 30_000, `member ${who} to catch up`);
  const caughtUp = Date.now() - t1;
  const cp = m.checkpoints[0]!;
  // It needed the checkpoint: its next height had been pruned everywhere. Nothing between its anchor and the
  // checkpoint was decided, and from the checkpoint on it finalises the others' blocks.
  expect(cp).toBeGreaterThan(stoppedAt + 2 * KEEP);
  for (let h = stoppedAt + 1; h < cp; h++) expect(m.finals.has(h), `height ${h}`).toBe(false);
  const others = [...ring.live].filter((i) => i !== who);
  await until(() => others.every((i) => prefixFrom(ring, i, 1) >= cp + 3), 20_000, 'the others to reach the same heights');
  expectAgreement(ring);
  expect(m.node.checkpointStats()).toMatchObject({ adopted: 1, forged: 0 });
  return `member ${who} (${from}) stopped at ${stoppedAt}, others ran to ${target} in ${ranFor} ms, checkpoint at ${cp}, caught up in ${caughtUp} ms`;
}

describe('ACP checkpoint catch-up over libp2p (six managers on loopback)', () => {
  it('a member restarted from its persisted anchor rejoins by checkpoint and finalises the same blocks', async () => {
    const ring = await startRing('anchor');
    console.log(await stopAndRejoin(ring, 5, 'anchor'));
  });

  it('a wiped member (genesis) rejoins by checkpoint and finalises the same blocks', async () => {
    const ring = await startRing('wiped');
    console.log(await stopAndRejoin(ring, 2, 'genesis'));
  });
});
