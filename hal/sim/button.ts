/** The simulated button: a test (or the dashboard) presses it; edges carry the injected clock's time. */
import type { Clock } from '../clock.ts';
import type { ButtonEvent, ButtonPort } from '../ports.ts';

export interface SimButton extends ButtonPort {
  press(): void;
  release(): void;
  /** Every edge emitted, in order. */
  events(): readonly ButtonEvent[];
}

export function createSimButton(clock: Clock): SimButton {
  const listeners = new Set<(event: ButtonEvent) => void>();
  const events: ButtonEvent[] = [];
  let pressed = false;
  const edge = (kind: ButtonEvent['kind']) => {
    // Repeated presses without a release are not edges: a real line cannot go low twice.
    if ((kind === 'press') === pressed) return;
    pressed = kind === 'press';
    const event: ButtonEvent = { kind, at: clock.now() };
    events.push(event);
    for (const listener of [...listeners]) listener(event);
  };
  return {
    kind: 'sim',
    start: async () => {},
    stop: async () => {},
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    isPressed: () => pressed,
    press: () => edge('press'),
    release: () => edge('release'),
    events: () => [...events],
  };
}
