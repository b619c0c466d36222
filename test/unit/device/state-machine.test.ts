import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOLD_WARNING_PATTERN, ManualClock, STATE_PATTERNS, createSimLed } from '../../../hal/index.ts';
import { DeviceError } from '../../../device/errors.ts';
import { createLedDriver } from '../../../device/led-driver.ts';
import { createStateDriver } from '../../../device/state-driver.ts';
import { INITIAL_STATE, describeState, transition, type AgentEvent, type AgentState } from '../../../device/state-machine.ts';
import { codeOf } from '../../support/error-code.ts';

const run = (events: AgentEvent[], from: AgentState = INITIAL_STATE) => events.reduce(transition, from);

describe('agent state machine', () => {
  it('first boot: booting → provisioning → connecting → registering → serving → promoted', () => {
    const seen: string[] = [];
    let s = INITIAL_STATE;
    for (const e of [{ kind: 'booted', firstBoot: true }, { kind: 'provisioned' }, { kind: 'connected' }, { kind: 'registered' }, { kind: 'promoted' }] as AgentEvent[]) {
      s = transition(s, e);
      seen.push(s.name);
    }
    expect(seen).toEqual(['provisioning', 'connecting', 'registering', 'serving', 'promoted']);
  });

  it('later boots skip provisioning', () => {
    expect(transition(INITIAL_STATE, { kind: 'booted', firstBoot: false })).toEqual({ name: 'connecting' });
  });

  it('degraded keeps its reasons and resumes where it left; a promotion while degraded shows after recovery', () => {
    const serving = run([{ kind: 'booted', firstBoot: false }, { kind: 'connected' }, { kind: 'registered' }]);
    const degraded = transition(serving, { kind: 'degraded', reasons: ['free-space: 10 MiB free'] });
    expect(degraded).toEqual({ name: 'degraded', reasons: ['free-space: 10 MiB free'], resume: 'serving' });
    expect(describeState(degraded)).toBe('degraded (free-space: 10 MiB free)');
    const promotedMeanwhile = transition(degraded, { kind: 'promoted' });
    expect(promotedMeanwhile).toEqual({ ...degraded, resume: 'promoted' });
    const updated = transition(promotedMeanwhile, { kind: 'degraded', reasons: ['temperature: 85 °C'] });
    expect(updated).toEqual({ name: 'degraded', reasons: ['temperature: 85 °C'], resume: 'promoted' });
    expect(transition(updated, { kind: 'recovered' })).toEqual({ name: 'promoted' });
  });

  it('any state fails into error with its reason; error is left only by a restart', () => {
    const error = transition({ name: 'registering' }, { kind: 'failed', reason: 'check: disk' });
    expect(error).toEqual({ name: 'error', reason: 'check: disk' });
    expect(codeOf(() => transition(error, { kind: 'connected' }), DeviceError)).toBe('BAD_TRANSITION');
    expect(codeOf(() => transition(error, { kind: 'failed', reason: 'again' }), DeviceError)).toBe('BAD_TRANSITION');
    expect(transition(error, { kind: 'restart', reason: 'factory reset' })).toEqual({ name: 'booting' });
  });

  it('refuses events the state does not accept, naming the event', () => {
    const cases: [AgentState, AgentEvent][] = [
      [{ name: 'booting' }, { kind: 'connected' }],
      [{ name: 'connecting' }, { kind: 'booted', firstBoot: true }],
      [{ name: 'connecting' }, { kind: 'provisioned' }],
      [{ name: 'registering' }, { kind: 'promoted' }],
      [{ name: 'promoted' }, { kind: 'promoted' }],
      [{ name: 'serving' }, { kind: 'recovered' }],
      [{ name: 'connecting' }, { kind: 'degraded', reasons: ['x'] }],
      [{ name: 'serving' }, { kind: 'degraded', reasons: [] }],
      [{ name: 'serving' }, { kind: 'failed', reason: '' }],
    ];
    for (const [state, event] of cases) {
      let caught: unknown;
      try {
        transition(state, event);
      } catch (error) {
        caught = error;
      }
      expect(caught, `${state.name} + ${event.kind}`).toBeInstanceOf(DeviceError);
      expect((caught as DeviceError).code).toBe('BAD_TRANSITION');
      expect((caught as DeviceError).field).toBe(event.kind);
    }
  });

  it('property: any event sequence gives a valid state or BAD_TRANSITION, and a refused event changes nothing', () => {
    const event: fc.Arbitrary<AgentEvent> = fc.oneof(
      fc.boolean().map((firstBoot) => ({ kind: 'booted' as const, firstBoot })),
      fc.constantFrom<AgentEvent>({ kind: 'provisioned' }, { kind: 'connected' }, { kind: 'registered' }, { kind: 'promoted' }, { kind: 'recovered' }),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }).map((reasons) => ({ kind: 'degraded' as const, reasons })),
      fc.string({ maxLength: 3 }).map((reason) => ({ kind: 'failed' as const, reason })),
      fc.constant<AgentEvent>({ kind: 'restart', reason: 'r' }),
    );
    const names = new Set(Object.keys(STATE_PATTERNS));
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        let state: AgentState = INITIAL_STATE;
        for (const e of events) {
          const before = state;
          try {
            state = transition(state, e);
          } catch (error) {
            expect(error).toBeInstanceOf(DeviceError);
            expect((error as DeviceError).code).toBe('BAD_TRANSITION');
            expect(state).toBe(before);
          }
          expect(names.has(state.name)).toBe(true);
          if (state.name === 'degraded') expect(state.reasons.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('state driver: each state shows its LED pattern', () => {
  it('sets the catalogue pattern on every transition and refuses a bad event without touching the LED', () => {
    const clock = new ManualClock();
    const led = createSimLed(clock);
    const driver = createStateDriver({ led: createLedDriver({ led }) });
    expect(led.pattern()).toBe(STATE_PATTERNS.booting);
    driver.dispatch({ kind: 'booted', firstBoot: true });
    expect(led.pattern()).toBe(STATE_PATTERNS.provisioning);
    expect(() => driver.dispatch({ kind: 'registered' })).toThrow(DeviceError);
    expect(driver.state().name).toBe('provisioning');
    expect(led.pattern()).toBe(STATE_PATTERNS.provisioning);
    driver.dispatch({ kind: 'failed', reason: 'no disk' });
    expect(led.pattern()).toBe(STATE_PATTERNS.error);
  });

  it('a hold override stays up across state changes and the latest state shows once it is lifted', () => {
    const clock = new ManualClock();
    const led = createSimLed(clock);
    const leds = createLedDriver({ led });
    const driver = createStateDriver({ led: leds, initial: { name: 'connecting' } });
    leds.holdWarning();
    driver.dispatch({ kind: 'connected' });
    expect(led.pattern()).toBe(HOLD_WARNING_PATTERN);
    leds.release();
    expect(led.pattern()).toBe(STATE_PATTERNS.registering);
  });

  it('when() resolves on entering the state', async () => {
    const clock = new ManualClock();
    const driver = createStateDriver({ led: createLedDriver({ led: createSimLed(clock) }) });
    const serving = driver.when('connecting');
    driver.dispatch({ kind: 'booted', firstBoot: false });
    await expect(serving).resolves.toEqual({ name: 'connecting' });
  });
});
