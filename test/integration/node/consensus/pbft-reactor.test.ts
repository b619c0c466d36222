import { afterEach, describe, expect, it } from 'vitest';
import { Ed25519KeyPair, sha256, toHex, utf8, vrfProofToHash, vrfProve, vrfVerify } from '../../../../node/crypto/index.ts';
import { realSuite } from '../../../../node/consensus/crypto-suite.ts';
import { encodePbftMessage, PBFT_CODEC, PBFT_METHOD } from '../../../../node/consensus/pbft/codec.ts';
import { PbftNode } from '../../../../node/consensus/pbft/node.ts';
import { leaderOf } from '../../../../node/consensus/pbft/types.ts';
import { createConsensusReactor, type Reactor } from '../../../../node/consensus/reactor.ts';
import type { Decide } from '../../../../node/consensus/types.ts';
import { createHost, NetError, systemClock, type Host } from '../../../../node/net/index.ts';
import { until } from '../../../support/ring-net.ts';

// The single-leader PBFT baseline over the same generic reactor as ACP: six libp2p hosts on 127.0.0.1, one
// PbftNode each (real Ed25519 suite), messages on `pbft/msg`.
const N = 6;
const VIEW_TIMEOUT_MS = 1_000;
const connections = { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 256 };

interface Decided {
  readonly value: string;
  readonly view: number;
}

class PbftRing {
  readonly hosts: Host[];
  readonly reactors: Reactor[] = [];
  /** Per member: height → what it decided there. */
  readonly decided: Map<number, Decided>[];
  readonly live = new Set<number>();
  readonly tag: string;

  constructor(tag: string) {
    this.tag = tag;
    this.hosts = Array.from({ length: N }, (_, i) =>
      createHost({ nodeKey: Ed25519KeyPair.fromSeed(sha256(utf8(`pbft reactor ${tag} host ${i}`))), connections }),
    );
    this.decided = this.hosts.map(() => new Map<number, Decided>());
  }

  async start(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.start()));
    // Open every connection before the first height, so the first rounds do not pay for dialling.
    for (const h of this.hosts) h.rpc.handle('test/hello', async () => new Uint8Array(0));
    await Promise.all(this.hosts.flatMap((a) => this.hosts.filter((b) => b !== a).map((b) => a.rpc.request(b.peer, 'test/hello', new Uint8Array(0)))));
    const suite = realSuite({ prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash });
    const keys = this.hosts.map((_, i) => suite.keysFromSeed(sha256(utf8(`pbft reactor ${this.tag} key ${i}`))));
    const peers = this.hosts.map((h) => h.peer);
    for (const [i, host] of this.hosts.entries()) {
      const node = new PbftNode({
        index: i,
        publicKeys: keys.map((k) => k.publicKey),
        keys: keys[i]!,
        // Every member checks every signature itself.
        suite: realSuite({ prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash }),
        params: { viewTimeoutMs: VIEW_TIMEOUT_MS },
        genesisId: sha256(utf8(`pbft reactor ${this.tag} genesis`)),
      });
      const record = (d: Decide): void => {
        if (d.valueHash !== undefined) this.decided[i]!.set(d.height, { value: toHex(d.valueHash), view: d.round });
      };
      const nextValue = (height: number) => ({ valueHash: sha256(utf8(`${this.tag} ${i} ${height}`)), size: 1 });
      this.reactors.push(
        createConsensusReactor({ node, codec: PBFT_CODEC, rpc: host.rpc, clock: systemClock, peers, nextValue, onDecide: record }),
      );
    }
    this.reactors.forEach((r, i) => {
      this.live.add(i);
      r.start();
    });
  }

  /** The highest h such that every live member decided every height 1…h. */
  prefix(): number {
    return Math.min(
      ...[...this.live].map((i) => {
        let h = 0;
        while (this.decided[i]!.has(h + 1)) h += 1;
        return h;
      }),
    );
  }

  /** Safety: at every height, all members that decided it (stopped ones included) decided the same value. */
  agreement(): string[] {
    const conflicts: string[] = [];
    const heights = new Set(this.decided.flatMap((m) => [...m.keys()]));
    for (const h of heights) {
      const values = new Set(this.decided.flatMap((m) => (m.has(h) ? [m.get(h)!.value] : [])));
      if (values.size !== 1) conflicts.push(`height ${h}: ${values.size} values`);
    }
    return conflicts;
  }

  async stopMember(i: number): Promise<void> {
    this.live.delete(i);
    this.reactors[i]?.stop();
    await this.hosts[i]!.stop();
  }

  async stop(): Promise<void> {
    for (const r of this.reactors) r.stop();
    await Promise.all(this.hosts.map((h) => h.stop()));
  }
}

const rings: PbftRing[] = [];
afterEach(async () => {
  await Promise.all(rings.splice(0).map((r) => r.stop()));
});

describe('PBFT baseline over the consensus reactor (six hosts on loopback)', () => {
  it('decides the same values everywhere, refuses bad requests, and changes view past a stopped leader', async () => {
    const ring = new PbftRing('a');
    rings.push(ring);
    await ring.start();
    await until(() => ring.prefix() >= 12, 20_000, 'six members to decide heights 1…12');
    expect(ring.agreement()).toEqual([]);
    // Fault-free: heights are decided in view 0 on the value of the member leading them (a view change needs a
    // member stalled for a whole second, which a loaded machine may still cause once in a while).
    let inViewZero = 0;
    for (let h = 1; h <= 12; h++) {
      const d = ring.decided[0]!.get(h)!;
      if (d.view > 0) continue;
      inViewZero += 1;
      const leader = leaderOf(h, 0, N);
      const candidates = [h - 1, h].map((k) => toHex(sha256(utf8(`a ${leader} ${k}`))));
      expect(candidates, `value of height ${h}`).toContain(d.value);
    }
    expect(inViewZero).toBeGreaterThanOrEqual(10);

    // A body that does not decode and a sync in another member's name are BAD_REQUEST; a non-member UNAUTHORIZED.
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (e instanceof NetError ? e.code : String(e)),
      );
    const target = ring.hosts[3]!.peer;
    const rejected = ring.reactors[3]!.stats().rejected;
    expect(await codeOf(ring.hosts[2]!.rpc.request(target, PBFT_METHOD, Uint8Array.of(0xa1, 0x00)))).toBe('BAD_REQUEST');
    const spoofed = encodePbftMessage({ kind: 'sync', from: 4, height: 1 });
    expect(await codeOf(ring.hosts[2]!.rpc.request(target, PBFT_METHOD, spoofed))).toBe('BAD_REQUEST');
    const outsider = createHost({ nodeKey: Ed25519KeyPair.fromSeed(sha256(utf8('pbft outsider'))), connections });
    await outsider.start();
    try {
      const own = encodePbftMessage({ kind: 'sync', from: 0, height: 1 });
      expect(await codeOf(outsider.rpc.request(target, PBFT_METHOD, own))).toBe('UNAUTHORIZED');
    } finally {
      await outsider.stop();
    }
    expect(ring.reactors[3]!.stats().rejected - rejected).toBe(3);

    // Stop the member leading the next height: each height it would lead in view 0 now ends in a view change.
    const stopped = leaderOf(ring.prefix() + 1, 0, N);
    await ring.stopMember(stopped);
    const base = ring.prefix();
    const t0 = Date.now();
    await until(() => ring.prefix() >= base + 2 * N + 1, 30_000, `five members to decide ${2 * N + 1} more heights`);
    const elapsed = Date.now() - t0;
    expect(ring.agreement()).toEqual([]);
    const led = [];
    for (let h = base + 2; h <= base + 2 * N + 1; h++) if (leaderOf(h, 0, N) === stopped) led.push(h);
    expect(led.length).toBe(2);
    for (const h of led) {
      for (const i of ring.live) expect(ring.decided[i]!.get(h)!.view, `member ${i}, height ${h}`).toBeGreaterThanOrEqual(1);
    }
    expect(ring.reactors[(stopped + 1) % N]!.stats().failed).toBeGreaterThan(0);
    console.log(`pbft reactor: ${base} heights before stopping member ${stopped}, ${2 * N + 1} more in ${elapsed} ms (view changes at ${led.join(', ')})`);
  });
});
