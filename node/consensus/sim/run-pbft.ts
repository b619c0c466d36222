/**
 * Runs n nodes of the single-leader PBFT baseline for a span of virtual time from one seed, on the simulator's
 * network (network.ts) with its Byzantine kinds (pbft-byzantine.ts), judged by the same SafetyChecker and the
 * same liveness rule as ACP: after the partition heals, every honest node keeps finalising.
 */
import { seededRandom } from '../../net/sim/index.ts';
import { fastSuite, realSuite, type CryptoSuite, type VrfImplementation } from '../crypto-suite.ts';
import { PbftNode } from '../pbft/node.ts';
import { DEFAULT_PBFT_PARAMS, pbftQuorum, type PbftEvent, type PbftMessage, type PbftParams } from '../pbft/types.ts';
import { writer } from '../sign-bytes.ts';
import type { Decide } from '../types.ts';
import { SafetyChecker, type Violation } from './checker.ts';
import { SimLoop, type NetworkFaults } from './network.ts';
import { PbftByzantine, type PbftByzantineKind, type PbftTransmission } from './pbft-byzantine.ts';
import { DEFAULT_FAULTS } from './run-acp.ts';
import { mean, percentile } from './stats.ts';
import { carryOut, DecideTimes, livenessOf, shuffledOrder, startNodes, withPartition } from './timing.ts';

export interface PbftScenario {
  readonly seed: number;
  readonly n: number;
  /** One entry per Byzantine node; which nodes are Byzantine is drawn from the seed unless `byzantineNodes`. */
  readonly byzantine: readonly PbftByzantineKind[];
  readonly byzantineNodes?: readonly number[];
  readonly durationMs: number;
  readonly suite?: 'fast' | 'real';
  readonly vrf?: VrfImplementation;
  readonly wire?: { encode(m: PbftMessage): Uint8Array; decode(b: Uint8Array): PbftMessage };
  readonly faults?: Partial<NetworkFaults>;
  readonly partition?: { readonly startMs: number; readonly endMs: number };
  readonly params?: Partial<PbftParams>;
}

export interface PbftReport {
  readonly seed: number;
  readonly n: number;
  readonly f: number;
  readonly suite: string;
  readonly byzantineNodes: readonly number[];
  readonly heights: number;
  readonly finalised: number;
  /** Decisions reached in a view above 0 (after at least one view change). */
  readonly viewChanged: number;
  readonly roundMeanMs: number;
  readonly roundP99Ms: number;
  /** Height → mean round time over the honest nodes (virtual ms). */
  readonly latencyByHeight: ReadonlyMap<number, number>;
  readonly messages: number;
  readonly violations: readonly Violation[];
  readonly liveness: { readonly ok: boolean; readonly detail: string };
  readonly ok: boolean;
}

export function runPbft(s: PbftScenario): PbftReport {
  const random = seededRandom(`pbft/${s.seed}`);
  const params: PbftParams = { ...DEFAULT_PBFT_PARAMS, ...s.params };
  const suite: CryptoSuite = s.suite === 'real' && s.vrf !== undefined ? realSuite(s.vrf, { memoize: true }) : fastSuite();
  const keyRandom = random.fork('keys');
  const keys = Array.from({ length: s.n }, () => suite.keysFromSeed(keyRandom.bytes(32)));
  const publicKeys = keys.map((k) => k.publicKey);
  const genesisId = suite.hash(writer().text('genesis').u32(s.seed).done());
  const order = shuffledOrder(random.fork('byzantine'), s.n);
  const chosen = s.byzantineNodes ?? order;
  const byzKind = new Map<number, PbftByzantineKind>();
  s.byzantine.forEach((kind, i) => byzKind.set(chosen[i]!, kind));
  const honest = order.filter((i) => !byzKind.has(i));
  const nodes = keys.map((k, index) => new PbftNode({ index, publicKeys, keys: k, suite, params, genesisId }));
  const behaviours = new Map<number, PbftByzantine>();
  for (const [index, kind] of byzKind) {
    behaviours.set(index, new PbftByzantine(kind, { index, n: s.n, keys: keys[index]!, suite, random: random.fork(`byz/${index}`) }));
  }
  const loop = new SimLoop(random.fork('net'), withPartition({ ...DEFAULT_FAULTS, ...s.faults }, order, s.partition));
  const checker = new SafetyChecker(pbftQuorum(params, s.n));
  const valueRandom = random.fork('values');
  const times = new DecideTimes();
  const lastFinalAt = new Map<number, number>();
  let viewChanged = 0;

  const transmit = (i: number, message: PbftMessage, to: readonly number[]): void => {
    const list: PbftTransmission[] = behaviours.get(i)?.transmit(message, to) ?? [{ to, message }];
    for (const t of list) {
      const bytes = s.wire?.encode(t.message);
      for (const j of t.to) {
        if (j === i) continue;
        loop.send(i, j, 0, () => {
          if (byzKind.get(j) !== 'silent') dispatch(j, { kind: 'message', message: bytes !== undefined ? s.wire!.decode(bytes) : t.message });
        });
      }
    }
  };

  const feedValue = (i: number): void => {
    const valueHash = suite.hash(writer().text('value').u32(s.seed).u32(i).bytes(valueRandom.bytes(8)).done());
    dispatch(i, { kind: 'value', valueHash, size: 0 });
  };

  const onDecide = (i: number, d: Decide): void => {
    if (byzKind.has(i)) return;
    times.record(i, d.height, loop.now);
    lastFinalAt.set(i, loop.now);
    if (d.round > 0 && i === honest[0]) viewChanged += 1;
    checker.onDecide(i, d);
  };

  function dispatch(i: number, event: PbftEvent): void {
    const sink = {
      transmit: (m: PbftMessage, to: readonly number[] | 'all') => transmit(i, m, to === 'all' ? order.filter((j) => j !== i) : to),
      dispatch: (e: PbftEvent) => dispatch(i, e),
      decide: (d: Decide) => onDecide(i, d),
    };
    if (carryOut(loop, nodes[i]!.handle(event), sink) && !byzKind.has(i)) feedValue(i);
  }

  startNodes(loop, s.n, (i) => byzKind.get(i) === 'silent', (i) => {
    feedValue(i);
    dispatch(i, { kind: 'start' });
  });
  loop.run(s.durationMs);
  checker.finish();

  const rounds = times.rounds();
  const liveFrom = Math.max(
    s.partition === undefined ? 0 : s.partition.endMs + 4 * params.viewTimeoutMs,
    s.durationMs - 8 * params.viewTimeoutMs - 1000,
  );
  const liveness = livenessOf(honest, lastFinalAt, liveFrom);
  return {
    seed: s.seed,
    n: s.n,
    f: s.byzantine.length,
    suite: suite.name,
    byzantineNodes: [...byzKind.keys()],
    heights: Math.max(0, ...honest.map((i) => nodes[i]!.height)),
    finalised: checker.finalChain().size,
    viewChanged,
    roundMeanMs: mean(rounds),
    roundP99Ms: percentile(rounds, 99),
    latencyByHeight: times.byHeight(),
    messages: loop.messages,
    violations: checker.violations,
    liveness,
    ok: checker.violations.length === 0 && liveness.ok,
  };
}
