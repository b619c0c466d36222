/**
 * Holds the agent's state, applies events through the pure transition function, shows each state's LED pattern
 * and tells listeners. Listeners run synchronously after the LED is set, so what a test observes in a listener is
 * what the box shows.
 */
import type { Logger } from 'pino';
import type { LedDriver } from './led-driver.ts';
import { describeState, INITIAL_STATE, transition, type AgentEvent, type AgentState } from './state-machine.ts';

export type StateListener = (state: AgentState, previous: AgentState, event: AgentEvent) => void;

export interface StateDriver {
  state(): AgentState;
  /** Applies the event; DeviceError BAD_TRANSITION (and nothing changes) when the state does not accept it. */
  dispatch(event: AgentEvent): AgentState;
  onChange(listener: StateListener): () => void;
  /** Resolves when the state named is entered (at once if it is the current one). */
  when(name: AgentState['name']): Promise<AgentState>;
}

export function createStateDriver(options: { led: LedDriver; logger?: Logger; initial?: AgentState }): StateDriver {
  const { led, logger } = options;
  let current = options.initial ?? INITIAL_STATE;
  const listeners = new Set<StateListener>();
  led.show(current.name);

  const driver: StateDriver = {
    state: () => current,
    dispatch(event) {
      const previous = current;
      current = transition(current, event);
      led.show(current.name);
      if (previous.name !== current.name || current.name === 'degraded') {
        const level = current.name === 'error' ? 'error' : current.name === 'degraded' ? 'warn' : 'info';
        logger?.[level]({ state: current.name, from: previous.name, event: event.kind }, `state: ${describeState(current)}`);
      }
      for (const listener of [...listeners]) listener(current, previous, event);
      return current;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    when(name) {
      if (current.name === name) return Promise.resolve(current);
      return new Promise((resolve) => {
        const off = driver.onChange((state) => {
          if (state.name !== name) return;
          off();
          resolve(state);
        });
      });
    },
  };
  return driver;
}
