/**
 * A small ACP ring for unit tests: n nodes with the fast crypto suite on the simulator's loop, clean links (1–5 ms),
 * every decision recorded, a value fed to a node after each of its decisions.
 */
import { AcpNode, type AcpNodeConfig } from '../../../../node/consensus/acp/node.ts';
import { DEFAULT_ACP_PARAMS, type AcpParams } from '../../../../node/consensus/acp/params.ts';
import { fastSuite, type CryptoSuite, type NodeKeys } from '../../../../node/consensus/crypto-suite.ts';
import { SimLoop } from '../../../../node/consensus/sim/network.ts';
import { carryOut } from '../../../../node/consensus/sim/timing.ts';
import type { Member } from '../../../../node/consensus/acp/committee.ts';
import type { AcpEvent, AcpMessage, Decide } from '../../../../node/consensus/types.ts';
import { seededRandom } from '../../../../node/net/sim/index.ts';

export interface AcpRing {
  readonly suite: CryptoSuite;
  readonly keys: readonly NodeKeys[];
  readonly members: readonly Member[];
  readonly params: AcpParams;
  readonly genesis: { readonly id: Uint8Array; readonly seed: Uint8Array };
  readonly nodes: AcpNode[];
  readonly decides: Decide[][];
  run(ms: number): void;
  /** A config for a new node of this ring (same members and keys). */
  config(index: number, extra?: Partial<AcpNodeConfig>): AcpNodeConfig;
}

export function acpRing(n: number, options: { keepHeights?: number; params?: Partial<AcpParams>; seed?: number } = {}): AcpRing {
  const random = seededRandom(`acp-ring/${options.seed ?? 1}`);
  const suite = fastSuite();
  const keys = Array.from({ length: n }, () => suite.keysFromSeed(random.bytes(32)));
  const members = keys.map((k) => ({ publicKey: k.publicKey, reputation: 1 }));
  const params = { ...DEFAULT_ACP_PARAMS, ...options.params };
  const genesis = { id: random.bytes(32), seed: random.bytes(32) };
  const loop = new SimLoop(random.fork('net'), { minDelayMs: 1, maxDelayMs: 5, dropRate: 0, duplicateRate: 0 });
  const config = (index: number, extra: Partial<AcpNodeConfig> = {}): AcpNodeConfig => ({
    index,
    members,
    keys: keys[index]!,
    suite,
    params,
    genesis,
    ...(options.keepHeights !== undefined ? { keepHeights: options.keepHeights } : {}),
    ...extra,
  });
  const ring: AcpRing = {
    suite,
    keys,
    members,
    params,
    genesis,
    nodes: keys.map((_, i) => new AcpNode(config(i))),
    decides: keys.map(() => []),
    run: (ms) => loop.run(loop.now + ms),
    config,
  };
  const valueRandom = random.fork('values');
  const feed = (i: number): void => {
    dispatch(i, { kind: 'value', valueHash: valueRandom.bytes(32), size: 1 + valueRandom.int(100) });
  };
  const dispatch = (i: number, event: AcpEvent): void => {
    const sink = {
      transmit: (m: AcpMessage, to: readonly number[] | 'all') => {
        for (const j of to === 'all' ? ring.nodes.map((_, k) => k) : to) {
          if (j !== i) loop.send(i, j, 0, () => dispatch(j, { kind: 'message', message: m }));
        }
      },
      dispatch: (e: AcpEvent) => dispatch(i, e),
      decide: (d: Decide) => void ring.decides[i]!.push(d),
    };
    if (carryOut(loop, ring.nodes[i]!.handle(event), sink)) feed(i);
  };
  for (let i = 0; i < n; i++) {
    feed(i);
    dispatch(i, { kind: 'start' });
  }
  return ring;
}
