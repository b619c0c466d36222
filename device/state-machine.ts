/**
 * The agent's states (SPEC.md §9) as a pure transition function over typed events:
 *
 *   booting ─┬─ first boot ─→ provisioning ─→ connecting ─→ registering ─→ serving ─→ promoted
 *            └─ later boots ──────────────────↗                              │  ↑         │  ↑
 *                                                                            ↓  │         ↓  │
 *                                                                     degraded (reasons; resumes where it left)
 *   any state ─ failed(reason) ─→ error          any state ─ restart(reason) ─→ booting (factory reset)
 *
 * An event the current state does not accept is a bug in the caller, refused with DeviceError BAD_TRANSITION
 * rather than ignored, so a driver that lost track of the state fails a test instead of showing a wrong LED.
 */
import type { AgentStateName } from '../hal/index.ts';
import { DeviceError } from './errors.ts';

export type { AgentStateName };

export type AgentState =
  | { readonly name: 'booting' }
  | { readonly name: 'provisioning' }
  | { readonly name: 'connecting' }
  | { readonly name: 'registering' }
  | { readonly name: 'serving' }
  | { readonly name: 'promoted' }
  /** Still serving, with problems; `resume` is where it goes back to once they clear. */
  | { readonly name: 'degraded'; readonly reasons: readonly string[]; readonly resume: 'serving' | 'promoted' }
  /** Not serving until a restart (a reboot, or a factory reset). */
  | { readonly name: 'error'; readonly reason: string };

export type AgentEvent =
  | { readonly kind: 'booted'; readonly firstBoot: boolean }
  | { readonly kind: 'provisioned' }
  | { readonly kind: 'connected' }
  | { readonly kind: 'registered' }
  | { readonly kind: 'promoted' }
  | { readonly kind: 'degraded'; readonly reasons: readonly string[] }
  | { readonly kind: 'recovered' }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'restart'; readonly reason: string };

export const INITIAL_STATE: AgentState = { name: 'booting' };

function refuse(state: AgentState, event: AgentEvent, why = 'not accepted'): never {
  throw new DeviceError('BAD_TRANSITION', `${why} in state ${state.name}`, { field: event.kind });
}

export function transition(state: AgentState, event: AgentEvent): AgentState {
  switch (event.kind) {
    case 'booted':
      if (state.name !== 'booting') return refuse(state, event);
      return event.firstBoot ? { name: 'provisioning' } : { name: 'connecting' };
    case 'provisioned':
      return state.name === 'provisioning' ? { name: 'connecting' } : refuse(state, event);
    case 'connected':
      return state.name === 'connecting' ? { name: 'registering' } : refuse(state, event);
    case 'registered':
      return state.name === 'registering' ? { name: 'serving' } : refuse(state, event);
    case 'promoted':
      if (state.name === 'serving') return { name: 'promoted' };
      // Promotion decided while degraded: it still happened, and shows once the problems clear.
      if (state.name === 'degraded' && state.resume === 'serving') return { ...state, resume: 'promoted' };
      return refuse(state, event);
    case 'degraded': {
      if (event.reasons.length === 0) return refuse(state, event, 'degraded without a reason');
      if (state.name === 'serving' || state.name === 'promoted') return { name: 'degraded', reasons: [...event.reasons], resume: state.name };
      if (state.name === 'degraded') return { ...state, reasons: [...event.reasons] };
      return refuse(state, event);
    }
    case 'recovered':
      return state.name === 'degraded' ? { name: state.resume } : refuse(state, event);
    case 'failed':
      if (event.reason === '') return refuse(state, event, 'failed without a reason');
      return state.name === 'error' ? refuse(state, event, 'already failed') : { name: 'error', reason: event.reason };
    case 'restart':
      return { name: 'booting' };
    default:
      return refuse(state, event as AgentEvent, 'unknown event');
  }
}

/** Whether the node is earning in this state (the states the supervisor's degraded checks apply to). */
export function isServing(state: AgentState): boolean {
  return state.name === 'serving' || state.name === 'promoted' || state.name === 'degraded';
}

/** One line for the console and logs: "degraded (free space …; temperature …)". */
export function describeState(state: AgentState): string {
  if (state.name === 'degraded') return `degraded (${state.reasons.join('; ')})`;
  if (state.name === 'error') return `error (${state.reason})`;
  return state.name;
}
