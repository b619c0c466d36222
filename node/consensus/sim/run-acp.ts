/**
 * Runs n ACP nodes for a span of virtual time from one seed, with Byzantine nodes and a faulty network, and
 * judges the run: safety (SafetyChecker), and liveness — after the partition heals (or from the start), every
 * honest node keeps finalising. The report carries the figures of docs/consensus.md.
 */
import { toHex } from '../../crypto/index.ts';
import { seededRandom } from '../../net/sim/index.ts';
import { fastSuite, realSuite, type CryptoSuite, type NodeKeys, type VrfImplementation } from '../crypto-suite.ts';
import { AcpNode } from '../acp/node.ts';
import type { Anchor } from '../acp/chain.ts';
import { anchorOf, buildCheckpoint, type CheckpointStats } from '../acp/checkpoint.ts';
import { Committee, type Member } from '../acp/committee.ts';
import { DEFAULT_ACP_PARAMS, quorumOf, type AcpParams } from '../acp/params.ts';
import { emptyId, writer } from '../sign-bytes.ts';
import type { AcpEvent, AcpMessage, Decide } from '../types.ts';
import { ByzantineBehaviour, type ByzantineKind, type Transmission } from './byzantine.ts';
import { SafetyChecker, type Violation } from './checker.ts';
import { SimLoop, type NetworkFaults } from './network.ts';
import { badCommitteeOdds, mean, percentile } from './stats.ts';
import { carryOut, DecideTimes, livenessOf, shuffledOrder, startNodes, withPartition } from './timing.ts';

export interface AcpScenario {
  readonly seed: number;
  readonly n: number;
  /** One entry per Byzantine node; which nodes are Byzantine is drawn from the seed. */
  readonly byzantine: readonly ByzantineKind[];
  readonly durationMs: number;
  readonly suite?: 'fast' | 'real';
  /** Needed for the real suite: the ECVRF of node/crypto/vrf.ts. */
  readonly vrf?: VrfImplementation;
  /** Round-trip every message through the CBOR codec (decoders of untrusted input). */
  readonly wire?: { encode(m: AcpMessage): Uint8Array; decode(b: Uint8Array): AcpMessage };
  readonly faults?: Partial<NetworkFaults>;
  /** Splits the ring in two for [startMs, endMs). */
  readonly partition?: { readonly startMs: number; readonly endMs: number };
  readonly params?: Partial<AcpParams>;
  readonly countEquivocations?: boolean;
  /** The nodes' keep window (AcpNodeConfig.keepHeights). */
  readonly keepHeights?: number;
  /**
   * One honest node is stopped at `stopMs` (it misses everything) and started again as a new AcpNode — from the
   * anchor of its last final decision (what an application persists), or wiped (genesis) — once every other honest
   * node has finalised `heights` heights above that anchor. The run then ends `runAfterMs` later (or at
   * durationMs), and liveness is judged at that end.
   */
  readonly restart?: {
    readonly stopMs: number;
    readonly heights: number;
    readonly from: 'anchor' | 'genesis';
    readonly runAfterMs: number;
  };
}

export interface RestartFigures {
  readonly node: number;
  readonly from: 'anchor' | 'genesis';
  /** When it restarted (virtual ms); undefined: the ring never got far enough. */
  readonly restartedAtMs: number | undefined;
  /** The anchor it restarted from (0: genesis). */
  readonly anchorHeight: number;
  /** The highest height any honest node had finalised when it restarted. */
  readonly ringFinalAtRestart: number;
  /** The first checkpoint it adopted, if any. */
  readonly checkpointHeight: number | undefined;
  /** Final decisions it output after the checkpoint at heights between its anchor and the checkpoint (none). */
  readonly decidedInGap: number;
  /** Final decisions it output after restarting but before the checkpoint (from evidence that reached it). */
  readonly decidedBefore: number;
  /** Final decisions it output after restarting above the checkpoint (or its anchor). */
  readonly finalsAfter: number;
  readonly stats: CheckpointStats;
}

export interface CommitteeFigures {
  readonly rounds: number;
  readonly thirdByzantine: number;
  readonly noIntersection: number;
  readonly expectedThird: number;
  readonly expectedNoIntersection: number;
}

export interface AcpReport {
  readonly seed: number;
  readonly n: number;
  readonly f: number;
  readonly suite: string;
  readonly heights: number;
  readonly finalised: number;
  readonly empty: number;
  readonly tentative: number;
  readonly roundMeanMs: number;
  readonly roundP99Ms: number;
  /** Height → mean round time over the honest nodes (virtual ms). */
  readonly latencyByHeight: ReadonlyMap<number, number>;
  /** Height → the parallel leaders with a valid output had every final-committee member proposed. */
  readonly leadersByHeight: ReadonlyMap<number, readonly number[]>;
  readonly byzantineNodes: readonly number[];
  readonly messages: number;
  readonly violations: readonly Violation[];
  readonly excusedConflicts: number;
  readonly liveness: { readonly ok: boolean; readonly detail: string };
  readonly committees?: CommitteeFigures;
  /** Checkpoint counters summed over the honest nodes (as they are at the end of the run). */
  readonly checkpoints: CheckpointStats;
  readonly restart?: RestartFigures;
  /** The honest nodes' timeout scales (acp/timeouts.ts): the highest any reached, the highest at the end. */
  readonly timeoutScale: { readonly max: number; readonly end: number };
  /** No violation and live. */
  readonly ok: boolean;
}

export const DEFAULT_FAULTS: NetworkFaults = { minDelayMs: 2, maxDelayMs: 40, dropRate: 0.01, duplicateRate: 0.02 };

export function replayHint(seed: number): string {
  return `AME_CONSENSUS_SEED=${seed}`;
}

export function runAcp(s: AcpScenario): AcpReport {
  const random = seededRandom(`acp/${s.seed}`);
  const params: AcpParams = { ...DEFAULT_ACP_PARAMS, ...s.params };
  const suite: CryptoSuite =
    s.suite === 'real' && s.vrf !== undefined ? realSuite(s.vrf, { memoize: true }) : fastSuite();
  const keyRandom = random.fork('keys');
  const keys: NodeKeys[] = Array.from({ length: s.n }, () => suite.keysFromSeed(keyRandom.bytes(32)));
  const members: Member[] = keys.map((k) => ({ publicKey: k.publicKey, reputation: 1 }));
  const genesis = { id: suite.hash(writer().text('genesis').u32(s.seed).done()), seed: random.fork('rs0').bytes(32) };
  const order = shuffledOrder(random.fork('byzantine'), s.n);
  const byzKind = new Map<number, ByzantineKind>();
  s.byzantine.forEach((kind, i) => byzKind.set(order[i]!, kind));
  const honest = order.filter((i) => !byzKind.has(i));

  const makeNode = (index: number, anchor?: Anchor): AcpNode =>
    new AcpNode({
      index,
      members,
      keys: keys[index]!,
      suite,
      params,
      genesis,
      ...(anchor !== undefined ? { anchor } : {}),
      ...(s.keepHeights !== undefined ? { keepHeights: s.keepHeights } : {}),
      ...(s.countEquivocations === true ? { countEquivocations: true } : {}),
    });
  const nodes = keys.map((_, index) => makeNode(index));
  const quorum = quorumOf(params, s.n);
  const behaviours = new Map<number, ByzantineBehaviour>();
  for (const [index, kind] of byzKind) {
    behaviours.set(
      index,
      new ByzantineBehaviour(kind, {
        index,
        n: s.n,
        keys: keys[index]!,
        suite,
        random: random.fork(`byz/${index}`),
        emptyIdAt: (h) => emptyId(h, nodes[index]!.store.headFor(h).id, suite.hash),
        lateMs: params.sbrMs * 0.6,
        checkpoint: () => buildCheckpoint(nodes[index]!.store, index),
        finalHeight: () => nodes[index]!.store.bestFinal.height,
        quorum,
      }),
    );
  }

  const loop = new SimLoop(random.fork('net'), withPartition({ ...DEFAULT_FAULTS, ...s.faults }, order, s.partition));
  const committeeBad = new Map<number, { third: boolean; noIntersection: boolean }>();
  const checker = new SafetyChecker(quorum, (h) => {
    const c = committeeBad.get(h);
    return c !== undefined && (c.third || c.noIntersection);
  });
  const valueRandom = random.fork('values');
  const times = new DecideTimes();
  const leadersByHeight = new Map<number, number[]>();
  const lastFinalAt = new Map<number, number>();
  const tentativeHeights = new Set<number>();
  let maxScale = 1;
  const sampled = s.n > params.fullCommitteeUpTo;

  const evaluateCommittee = (node: number, d: Decide): void => {
    if (committeeBad.has(d.height)) return;
    const block = nodes[node]!.store.get(toHex(d.id));
    if (block?.seed === undefined) return;
    const c = new Committee(members, block.seed, d.height, params, suite);
    let size = 0;
    let bad = 0;
    const outputs: { i: number; hex: string }[] = [];
    for (const i of c.potential) {
      const output = keys[i]!.vrfProve(c.alpha).output;
      if (!c.selects(output)) continue;
      size += 1;
      outputs.push({ i, hex: toHex(output) });
      if (byzKind.has(i)) bad += 1;
    }
    // The valid-output leaders of stage 4.1 had every final-committee member proposed (a silent one included).
    outputs.sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : a.i - b.i));
    leadersByHeight.set(d.height, outputs.slice(0, params.validLeaders).map((o) => o.i));
    // Judged by the specified quorum rule, so a deliberately lowered quorum is not an excuse.
    const { quorumOverride: _lowered, ...spec } = params;
    const specQuorum = quorumOf(spec, s.n);
    committeeBad.set(d.height, { third: 3 * bad >= size, noIntersection: !c.full && bad >= 2 * specQuorum - size });
  };

  const feedValue = (i: number): void => {
    const valueHash = suite.hash(writer().text('value').u32(s.seed).u32(i).bytes(valueRandom.bytes(8)).done());
    dispatch(i, { kind: 'value', valueHash, size: 1 + valueRandom.int(5000) });
  };

  // The restarted node: down while stopped; each incarnation's timers die with it.
  const restarted = s.restart === undefined ? undefined : honest[honest.length - 1];
  const down = new Set<number>();
  const generation = Array.from({ length: s.n }, () => 0);
  let persisted: Anchor | undefined;
  const others = honest.filter((i) => i !== restarted);
  const after = { anchorHeight: 0, ringFinal: 0, checkpoint: undefined as number | undefined, decided: [] as number[], before: 0, at: undefined as number | undefined };
  let phase: 'running' | 'down' | 'restarting' | 'up' = 'running';
  const restartNode = (): void => {
    if (s.restart === undefined || restarted === undefined) return;
    phase = 'up';
    const anchor = s.restart.from === 'anchor' ? persisted : undefined;
    Object.assign(after, { anchorHeight: anchor?.height ?? 0, at: loop.now });
    after.ringFinal = Math.max(...others.map((i) => nodes[i]!.store.bestFinal.height));
    down.delete(restarted);
    nodes[restarted] = makeNode(restarted, anchor);
    feedValue(restarted);
    dispatch(restarted, { kind: 'start' });
  };

  const onDecide = (i: number, d: Decide): void => {
    if (byzKind.has(i)) return;
    if (i === restarted) {
      const anchor = anchorOf(d);
      if (anchor !== undefined && anchor.height > (persisted?.height ?? -1)) persisted = anchor;
      if (phase === 'up' && d.decision === 'final') {
        if (d.via === 'checkpoint') after.checkpoint ??= d.height;
        else if (after.checkpoint === undefined) after.before += 1;
        else after.decided.push(d.height);
      }
    }
    times.record(i, d.height, loop.now);
    maxScale = Math.max(maxScale, nodes[i]!.timeoutScale);
    if (d.decision === 'tentative') tentativeHeights.add(d.height);
    else {
      lastFinalAt.set(i, loop.now);
      evaluateCommittee(i, d);
    }
    checker.onDecide(i, d);
    if (phase === 'down' && d.decision === 'final') {
      const target = (persisted?.height ?? 0) + s.restart!.heights;
      if (others.every((j) => nodes[j]!.store.bestFinal.height >= target)) {
        phase = 'restarting';
        loop.at(0, restartNode);
      }
    }
  };

  const transmit = (i: number, message: AcpMessage, to: readonly number[] | 'all'): void => {
    const behaviour = behaviours.get(i);
    const list: Transmission[] = behaviour
      ? behaviour.transmit(message, to)
      : [{ to: to === 'all' ? order.filter((j) => j !== i) : to, message, extraDelayMs: 0 }];
    for (const t of list) {
      const wire = s.wire;
      const bytes = wire?.encode(t.message);
      for (const j of t.to) {
        if (j === i) continue;
        loop.send(i, j, t.extraDelayMs, () => deliver(j, bytes !== undefined ? wire!.decode(bytes) : t.message));
      }
    }
  };

  const deliver = (j: number, message: AcpMessage): void => {
    if (byzKind.get(j) === 'silent' || down.has(j)) return;
    behaviours.get(j)?.observe(message);
    dispatch(j, { kind: 'message', message });
  };

  function dispatch(i: number, event: AcpEvent): void {
    if (down.has(i)) return;
    const g = generation[i];
    const sink = {
      transmit: (m: AcpMessage, to: readonly number[] | 'all') => transmit(i, m, to),
      dispatch: (e: AcpEvent) => {
        if (generation[i] === g) dispatch(i, e);
      },
      decide: (d: Decide) => onDecide(i, d),
    };
    if (carryOut(loop, nodes[i]!.handle(event), sink)) feedValue(i);
  }

  startNodes(loop, s.n, (i) => byzKind.get(i) === 'silent', (i) => {
    feedValue(i);
    dispatch(i, { kind: 'start' });
  });
  if (s.restart !== undefined && restarted !== undefined) {
    loop.at(s.restart.stopMs, () => {
      down.add(restarted);
      generation[restarted]! += 1;
      phase = 'down';
    });
  }
  const endAt = (): number => Math.min(s.durationMs, after.at === undefined ? Infinity : after.at + s.restart!.runAfterMs);
  loop.run(s.durationMs, () => after.at !== undefined && loop.now >= endAt());
  const endMs = endAt();
  checker.finish();

  // Figures.
  const finalChain = checker.finalChain();
  let empty = 0;
  for (const [h, idHex] of finalChain) {
    const block = nodes[honest[0] ?? 0]!.store.get(idHex) ?? nodes.map((nd) => nd.store.get(idHex)).find((b) => b);
    if (block !== undefined && block.proposal === undefined && h > 0) empty += 1;
  }
  const rounds = times.rounds();
  const healAt = s.partition?.endMs ?? 0;
  // Keeps finalising: a final block after the partition heals, and within the last four SBRs of the run.
  const liveFrom = Math.max(s.partition === undefined ? 0 : healAt + params.sbrMs, endMs - 4 * params.sbrMs);
  const liveness = livenessOf(honest, lastFinalAt, liveFrom);
  let committees: CommitteeFigures | undefined;
  if (sampled) {
    const m = Math.min(params.potentialSize, s.n);
    const odds = badCommitteeOdds(s.n, s.byzantine.length, m, params.expectedFinalSize / m, quorum);
    const evaluated = [...committeeBad.values()];
    committees = {
      rounds: evaluated.length,
      thirdByzantine: evaluated.filter((c) => c.third).length,
      noIntersection: evaluated.filter((c) => c.noIntersection).length,
      expectedThird: odds.thirdByzantine,
      expectedNoIntersection: odds.noHonestIntersection,
    };
  }
  const heights = Math.max(0, ...honest.map((i) => nodes[i]!.height));
  const checkpoints = sumStats(honest.map((i) => nodes[i]!.checkpointStats()));
  const restart: RestartFigures | undefined =
    s.restart === undefined || restarted === undefined
      ? undefined
      : {
          node: restarted,
          from: s.restart.from,
          restartedAtMs: after.at,
          anchorHeight: after.anchorHeight,
          ringFinalAtRestart: after.ringFinal,
          checkpointHeight: after.checkpoint,
          decidedInGap: after.decided.filter((h) => h > after.anchorHeight && h < (after.checkpoint ?? 0)).length,
          decidedBefore: after.before,
          finalsAfter: after.decided.filter((h) => h > (after.checkpoint ?? after.anchorHeight)).length,
          stats: nodes[restarted]!.checkpointStats(),
        };
  return {
    seed: s.seed,
    n: s.n,
    f: s.byzantine.length,
    suite: suite.name,
    heights,
    finalised: finalChain.size - empty,
    empty,
    tentative: tentativeHeights.size,
    roundMeanMs: mean(rounds),
    roundP99Ms: percentile(rounds, 99),
    latencyByHeight: times.byHeight(),
    leadersByHeight,
    byzantineNodes: [...byzKind.keys()],
    messages: loop.messages,
    violations: checker.violations,
    excusedConflicts: checker.excused.length,
    liveness,
    ...(committees !== undefined ? { committees } : {}),
    checkpoints,
    ...(restart !== undefined ? { restart } : {}),
    timeoutScale: { max: maxScale, end: Math.max(1, ...honest.map((i) => nodes[i]!.timeoutScale)) },
    ok: checker.violations.length === 0 && liveness.ok,
  };
}

function sumStats(all: readonly CheckpointStats[]): CheckpointStats {
  const sum = { served: 0, adopted: 0, stale: 0, unsolicited: 0, forged: 0, refused: 0 };
  for (const st of all) for (const k of Object.keys(sum) as (keyof CheckpointStats)[]) sum[k] += st[k];
  return sum;
}
