/**
 * Lazy VRF checks (docs/consensus.md "Lazy VRF checks"): while the committee is the whole ring a proposal's VRF
 * output is read from its proof and verified only where it is used — the step-1 vote, the leader ranking, the
 * block (its seed). A forged proof is caught where it would matter; honest rounds verify fewer proofs.
 */
import { describe, expect, it } from 'vitest';
import { AcpNode } from '../../../../node/consensus/acp/node.ts';
import { DEFAULT_ACP_PARAMS } from '../../../../node/consensus/acp/params.ts';
import { fastSuite, type CryptoSuite } from '../../../../node/consensus/crypto-suite.ts';
import { proposalId, signingBytes } from '../../../../node/consensus/sign-bytes.ts';
import type { AcpMessage, AcpOutput, Proposal, Vote } from '../../../../node/consensus/types.ts';
import { toHex } from '../../../../node/crypto/index.ts';
import { seededRandom } from '../../../../node/net/sim/index.ts';

/** A fast suite that counts full VRF verifications. */
function countingSuite(): { suite: CryptoSuite; verifies: () => number } {
  const inner = fastSuite();
  let verifies = 0;
  const suite: CryptoSuite = {
    ...inner,
    keysFromSeed: (seed) => inner.keysFromSeed(seed),
    vrfVerify: (pk, proof, alpha) => {
      verifies += 1;
      return inner.vrfVerify(pk, proof, alpha);
    },
  };
  return { suite, verifies: () => verifies };
}

function ring(n: number, label = 'lazy-vrf') {
  const random = seededRandom(label);
  const { suite, verifies } = countingSuite();
  const keys = Array.from({ length: n }, () => suite.keysFromSeed(random.bytes(32)));
  const members = keys.map((k) => ({ publicKey: k.publicKey, reputation: 1 }));
  const genesis = { id: random.bytes(32), seed: random.bytes(32) };
  const nodes = keys.map((k, index) => new AcpNode({ index, members, keys: k, suite, params: DEFAULT_ACP_PARAMS, genesis }));
  return { suite, keys, nodes, verifies };
}

const broadcasts = (outputs: readonly AcpOutput[]): AcpMessage[] =>
  outputs.flatMap((o) => (o.kind === 'broadcast' ? [o.message] : []));

/** Each node's round-1 proposal (value of `size` bytes), as it broadcast it. */
function proposalsOf(r: ReturnType<typeof ring>, sizes: readonly number[]): Proposal[] {
  return r.nodes.map((node, i) => {
    node.handle({ kind: 'value', valueHash: new Uint8Array(32).fill(i + 1), size: sizes[i]!, height: 1 });
    const p = broadcasts(node.handle({ kind: 'start' })).find((m): m is Proposal => m.kind === 'proposal');
    if (p === undefined) throw new Error(`node ${i} did not propose`);
    return p;
  });
}

/** The same proposal with another VRF proof, signed again by its sender (a Byzantine member forging its claim). */
function forged(r: ReturnType<typeof ring>, p: Proposal, size: number): Proposal {
  const vrfProof = new Uint8Array(64); // claims output 0…0: the lowest there is, so it would rank first
  const unsigned = { ...p, size, vrfProof, sig: new Uint8Array(0) };
  return { ...unsigned, sig: r.keys[p.from]!.sign(signingBytes(unsigned, r.suite.hash)) };
}

function deliver(node: AcpNode, messages: readonly AcpMessage[]): AcpMessage[] {
  return messages.flatMap((message) => broadcasts(node.handle({ kind: 'message', message })));
}

describe('ACP lazy VRF checks', () => {
  it('a proposal whose VRF proof is forged gets no vote, however large, and the largest valid one does', () => {
    const r = ring(4);
    const [, p1, p2, p3] = proposalsOf(r, [10, 20, 30, 40]);
    const bad = forged(r, p1!, 1_000);
    const sent = deliver(r.nodes[0]!, [bad, p2!, p3!]);
    const vote = sent.find((m): m is Vote => m.kind === 'vote' && m.step === 1);
    expect(vote).toBeDefined();
    expect(toHex(vote!.id)).not.toBe(toHex(proposalId(bad, r.suite.hash)));
    expect(toHex(vote!.id)).toBe(toHex(proposalId(p3!, r.suite.hash)));
  });

  it('honest rounds verify fewer proofs than they receive: only the vote’s pick (and ranking, when it decides)', () => {
    const r = ring(6);
    const proposals = proposalsOf(r, [5, 5, 5, 5, 5, 50]);
    const before = r.verifies();
    const sent = deliver(r.nodes[0]!, proposals.slice(1));
    expect(sent.some((m) => m.kind === 'vote')).toBe(true);
    // Five proposals from others arrived; the vote verified its pick only.
    expect(r.verifies() - before).toBe(1);
  });

  it('proposals that arrive with valid proofs are not refused for being unchecked: every node decides the same', () => {
    const r = ring(4);
    const proposals = proposalsOf(r, [7, 8, 9, 10]);
    const votes = r.nodes.map((node, i) => deliver(node, proposals.filter((_, j) => j !== i)).find((m): m is Vote => m.kind === 'vote'));
    const ids = new Set(votes.map((v) => (v === undefined ? 'none' : toHex(v.id))));
    expect(ids).toEqual(new Set([toHex(proposalId(proposals[3]!, r.suite.hash))]));
  });
});

describe('ACP lazy VRF checks, leader ranking', () => {
  it('a forged lowest claim does not keep an honest node from leading: the ranking verifies the claims ahead of it', () => {
    // A ring where node 0's output is the second lowest of the valid ones (nodes 0, 2, 3): it leads, unless an
    // unverified claim from node 1 that ranks first pushed it to third place.
    let found: { r: ReturnType<typeof ring>; proposals: Proposal[] } | undefined;
    for (let k = 0; k < 64 && found === undefined; k++) {
      const r = ring(4, `lazy-vrf/leader/${k}`);
      const proposals = proposalsOf(r, [10, 10, 10, 10]);
      const claim = (i: number) => toHex(r.suite.vrfClaim(r.keys[i]!.publicKey, proposals[i]!.vrfProof, new Uint8Array())!);
      const ranked = [0, 2, 3].sort((a, b) => (claim(a) < claim(b) ? -1 : 1));
      if (ranked[1] === 0) found = { r, proposals };
    }
    expect(found).toBeDefined();
    const { r, proposals } = found!;
    const node = r.nodes[0]!;
    const sent = deliver(node, [forged(r, proposals[1]!, 10), proposals[2]!, proposals[3]!]);
    const vote1 = sent.find((m): m is Vote => m.kind === 'vote' && m.step === 1)!;
    // The votes of nodes 2 and 3 for the same value end both reduction steps (quorum 3 of 4 with node 0's own).
    const votesOf = (step: 1 | 2) =>
      [2, 3].map((from) => {
        const unsigned = { kind: 'vote' as const, step, height: 1, from, id: vote1.id, sig: new Uint8Array(0) };
        return { ...unsigned, sig: r.keys[from]!.sign(signingBytes(unsigned, r.suite.hash)) };
      });
    sent.push(...deliver(node, votesOf(1)), ...deliver(node, votesOf(2)));
    expect(sent.some((m) => m.kind === 'preprepare')).toBe(true);
  });
});
