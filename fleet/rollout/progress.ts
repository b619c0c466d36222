/** The live view of a rollout: per phase counts, the state, and why it aborted. Derived, never stored. */
import type { AbortInfo, RolloutSnapshot, RolloutState } from './snapshot.ts';

export type PhaseState = 'waiting' | 'active' | 'passed' | 'aborted';

/** Counts are disjoint and sum to `total`; `reverted` counts devices sent back (any of the others). */
export interface PhaseProgress {
  readonly name: string;
  readonly state: PhaseState;
  readonly total: number;
  readonly pending: number;
  readonly lockedWaiting: number;
  readonly inFlight: number;
  readonly healthy: number;
  readonly failed: number;
  readonly reverted: number;
}

export interface RolloutProgress {
  readonly id: string;
  readonly release: string;
  readonly state: RolloutState;
  /** The active phase's name; null once done. */
  readonly phase: string | null;
  readonly phases: readonly PhaseProgress[];
  /** Devices in flight across the fleet (never above plan.concurrency). */
  readonly inFlight: number;
  readonly abort: AbortInfo | null;
}

function phaseState(s: RolloutSnapshot, k: number): PhaseState {
  if (k < s.phase) return 'passed';
  if (k > s.phase) return 'waiting';
  return s.state === 'aborted' ? 'aborted' : 'active';
}

export function progressOf(s: RolloutSnapshot): RolloutProgress {
  const phases = s.plan.phases.map((p, k) => {
    const c = { pending: 0, lockedWaiting: 0, inFlight: 0, healthy: 0, failed: 0, reverted: 0, total: 0 };
    for (const d of s.devices) {
      if (d.phase !== k) continue;
      c.total++;
      if (d.reverted) c.reverted++;
      if (d.status === 'pending') {
        if (d.lockedWaiting) c.lockedWaiting++;
        else c.pending++;
      } else if (d.status === 'in-flight') c.inFlight++;
      else if (d.status === 'failed') c.failed++;
      else c.healthy++;
    }
    return { name: p.name, state: phaseState(s, k), ...c };
  });
  return {
    id: s.id,
    release: s.plan.release,
    state: s.state,
    phase: s.plan.phases[s.phase]?.name ?? null,
    phases,
    inFlight: phases.reduce((n, p) => n + p.inFlight, 0),
    abort: s.abort,
  };
}
