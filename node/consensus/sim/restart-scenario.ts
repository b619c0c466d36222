/**
 * Scenarios of a node that is stopped while the ring runs on for more heights than anyone keeps, then restarted
 * from its anchor or wiped: it can only catch up by a checkpoint. A seed names the whole scenario (ring size,
 * Byzantine nodes — a checkpoint forger among them when asked —, keep window, faults, stop and restart times).
 */
import { seededRandom } from '../../net/sim/index.ts';
import { KEEP_HEIGHTS } from '../acp/node.ts';
import { quorumOf, DEFAULT_ACP_PARAMS } from '../acp/params.ts';
import { BYZANTINE_KINDS, type ByzantineKind } from './byzantine.ts';
import type { AcpReport, AcpScenario } from './run-acp.ts';

export interface RestartShape {
  readonly sizes?: readonly number[];
  /** One Byzantine node is a checkpoint forger (needs n ≥ 7: the ring keeps a quorum without the stopped node). */
  readonly forger?: boolean;
}

export function restartScenario(seed: number, from: 'anchor' | 'genesis', shape: RestartShape = {}): AcpScenario {
  const r = seededRandom(`restart-scenario/${seed}/${from}`);
  const sizes = shape.sizes ?? (shape.forger === true ? [7, 10, 13] : [4, 5, 6, 7, 10]);
  const n = sizes[r.int(sizes.length)]!;
  // Without the stopped node the ring must still hold a quorum of honest nodes (Byzantine ones may be silent).
  const maxF = Math.min(Math.floor((n - 1) / 3), n - quorumOf(DEFAULT_ACP_PARAMS, n) - 1);
  const f = shape.forger === true ? Math.max(1, maxF) : r.int(maxF + 1);
  const byzantine: ByzantineKind[] = Array.from({ length: f }, (_, i) =>
    i === 0 && shape.forger === true ? 'checkpoint-forger' : BYZANTINE_KINDS[r.int(BYZANTINE_KINDS.length)]!,
  );
  const keepHeights = 2 + r.int(4);
  const stopMs = 1000 + r.int(2000);
  // Enough heights for everyone to prune what the stopped node would need (blocks are kept 2 × keep heights).
  const heights = 2 * keepHeights + 4;
  return {
    seed,
    n,
    byzantine,
    // Rounds take 0.3–0.6 s here: the restart comes when the others are `heights` ahead, and the run goes on for
    // 12 s after it (the liveness rule wants a final block in the last four SBRs, 8 s). An upper bound:
    durationMs: stopMs + heights * 1500 + 12_000,
    keepHeights,
    restart: { stopMs, heights, from, runAfterMs: 12_000 },
    faults: { minDelayMs: 1, maxDelayMs: 10 + r.int(60), dropRate: r.next() * 0.03, duplicateRate: r.next() * 0.03 },
  };
}

/**
 * What a restart run must show besides safety and liveness: the ring had pruned past the stopped node's next height,
 * the node caught up by a checkpoint at or above the ring's final height when it came back, after it decided nothing
 * between its anchor and the checkpoint (before it, evidence that reached it — a replayed decision — may have
 * finalised some), and finalised at least five blocks above it. Empty: all good.
 */
export function restartProblems(scenario: AcpScenario, report: AcpReport): string[] {
  const re = report.restart;
  if (re?.restartedAtMs === undefined) return [`seed ${scenario.seed}: the ring never got far enough to restart the node`];
  const keep = scenario.keepHeights ?? KEEP_HEIGHTS;
  const problems: string[] = [];
  if (re.ringFinalAtRestart <= re.anchorHeight + 2 * keep + 2) problems.push('the ring had not moved past the keep window');
  if (re.checkpointHeight === undefined || re.checkpointHeight < re.ringFinalAtRestart) problems.push('no checkpoint at the ring height');
  if (re.decidedInGap !== 0) problems.push(`${re.decidedInGap} decisions below the checkpoint after it`);
  if (re.finalsAfter < 5) problems.push(`only ${re.finalsAfter} final blocks after the checkpoint`);
  return problems.map((p) => `seed ${scenario.seed} n=${report.n} from ${re.from}: ${p} (${JSON.stringify(re)})`);
}
