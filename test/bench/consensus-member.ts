/**
 * A member of a consensus-only ring in a worker thread of the consensus bench: ACP (`AcpNode`) or the PBFT
 * baseline (`PbftNode`) over the generic reactor on this thread's libp2p host, with opaque values (no ledger), so
 * both protocols run under the same conditions for SPEC §7's Byzantine-leader comparison. One host serves several
 * runs; each run has its own keys and genesis, so no message of an earlier run counts in a later one.
 *
 * The Byzantine member is silent whenever it leads:
 * - ACP: it takes part normally until its state machine leads a parallel PBFT instance (it is about to send a
 *   pre-prepare); from then on it sends nothing more at that height. The heights where that happened are the
 *   rounds it led.
 * - PBFT: it sends nothing in the views it leads (its pre-prepare or new-view and its own votes there), as the
 *   simulator's `silent-leader`; it leads view 0 of the heights h with h mod n = its index.
 */
import { AcpNode } from '../../node/consensus/acp/node.ts';
import { DEFAULT_ACP_PARAMS } from '../../node/consensus/acp/params.ts';
import { realSuite } from '../../node/consensus/crypto-suite.ts';
import { PBFT_CODEC } from '../../node/consensus/pbft/codec.ts';
import { PbftNode } from '../../node/consensus/pbft/node.ts';
import { leaderOf, type PbftMessage } from '../../node/consensus/pbft/types.ts';
import { ACP_CODEC, createConsensusReactor, type MessageCodec, type Reactor, type ReactorNode } from '../../node/consensus/reactor.ts';
import type { AcpMessage, ConsensusOutput, Decide } from '../../node/consensus/types.ts';
import { sha256, utf8, vrfProofToHash, vrfProve, vrfVerify } from '../../node/crypto/index.ts';
import { type Host, type PeerRef, systemClock } from '../../node/net/index.ts';
import { connectAll } from './consensus-threads.ts';

export type Protocol = 'acp' | 'pbft';

export interface RunRequest {
  readonly protocol: Protocol;
  /** Names this run's keys, genesis and values. */
  readonly tag: string;
  readonly index: number;
  readonly peers: readonly PeerRef[];
  readonly byzantine: boolean;
  /** PBFT only. */
  readonly viewTimeoutMs?: number;
}

export interface RunResult {
  /** [height, ms]: when this member first decided each height (tentative or final), on its monotonic clock. */
  readonly decided: [number, number][];
  /** ACP: the heights at which this (Byzantine) member led an instance and fell silent. */
  readonly led: number[];
}

/** `node`, with every broadcast or send of a message `drop` picks left out. */
function filtered<M>(node: ReactorNode<M>, drop: (m: M) => boolean): ReactorNode<M> {
  const keep = (o: ConsensusOutput<M>) => (o.kind !== 'broadcast' && o.kind !== 'send') || !drop(o.message);
  return {
    index: node.index,
    get height() {
      return node.height;
    },
    handle: (event) => node.handle(event).filter(keep),
  };
}

/** The height an ACP message speaks for (status and sync speak for none). */
function acpHeight(m: AcpMessage): number | undefined {
  if (m.kind === 'decision') return m.block.height;
  return m.kind === 'status' || m.kind === 'sync' ? undefined : m.height;
}

/** ACP, silent from the moment it leads an instance until the next height. */
function acpSilentWhenLeading(node: AcpNode, led: Set<number>): ReactorNode<AcpMessage> {
  return filtered(node, (m) => {
    if (m.kind === 'preprepare') led.add(m.height);
    const h = acpHeight(m);
    return h !== undefined && led.has(h);
  });
}

/** PBFT, silent in the views it leads. */
function pbftSilentWhenLeading(node: PbftNode, n: number): ReactorNode<PbftMessage> {
  return filtered(node, (m) => {
    if (m.kind === 'decision' || m.kind === 'sync') return false;
    const speaking = m.kind === 'new-view' ? m.prePrepare : m;
    return leaderOf(speaking.height, speaking.view, n) === node.index;
  });
}

export function memberHandlers(host: Host) {
  let reactor: Reactor | undefined;
  let decided = new Map<number, number>();
  let led = new Set<number>();

  const start = <M>(node: ReactorNode<M>, codec: MessageCodec<M>, r: RunRequest) => {
    const onDecide = (d: Decide): void => {
      if (!decided.has(d.height)) decided.set(d.height, performance.now());
    };
    const nextValue = (height: number) => ({ valueHash: sha256(utf8(`${r.tag} value ${r.index} ${height}`)), size: 1000 + r.index });
    reactor = createConsensusReactor({ node, codec, rpc: host.rpc, clock: systemClock, peers: r.peers, nextValue, onDecide });
    reactor.start();
  };

  return {
    peer: () => host.peer,
    connect: async ({ peers }: { peers: PeerRef[] }) => {
      await connectAll(host, peers);
      return true;
    },
    run: (r: RunRequest) => {
      decided = new Map();
      led = new Set();
      const suite = realSuite({ prove: vrfProve, verify: vrfVerify, proofToHash: vrfProofToHash });
      const keys = r.peers.map((_, i) => suite.keysFromSeed(sha256(utf8(`${r.tag} key ${i}`))));
      const common = { index: r.index, keys: keys[r.index]!, suite };
      if (r.protocol === 'acp') {
        const members = keys.map((k) => ({ publicKey: k.publicKey, reputation: 1 }));
        const genesis = { id: sha256(utf8(`${r.tag} genesis`)), seed: sha256(utf8(`${r.tag} rs0`)) };
        const node = new AcpNode({ ...common, members, params: DEFAULT_ACP_PARAMS, genesis });
        start(r.byzantine ? acpSilentWhenLeading(node, led) : node, ACP_CODEC, r);
      } else {
        const params = { viewTimeoutMs: r.viewTimeoutMs ?? 1_000 };
        const node = new PbftNode({ ...common, publicKeys: keys.map((k) => k.publicKey), params, genesisId: sha256(utf8(`${r.tag} genesis`)) });
        start(r.byzantine ? pbftSilentWhenLeading(node, r.peers.length) : node, PBFT_CODEC, r);
      }
      return true;
    },
    /** The highest h such that this member decided every height 1…h. */
    status: () => {
      let h = 0;
      while (decided.has(h + 1)) h += 1;
      return h;
    },
    /** How many rounds this member led (and fell silent in) so far. */
    led: () => led.size,
    halt: (): RunResult => {
      reactor?.stop();
      reactor = undefined;
      return { decided: [...decided], led: [...led] };
    },
    stop: async () => {
      reactor?.stop();
      await host.stop();
      return true;
    },
  };
}
