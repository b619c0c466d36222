import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HalError } from '../../../hal/errors.ts';
import { STATE_PATTERNS, IDENTIFY_PATTERN, HOLD_WARNING_PATTERN, RESET_ACK_PATTERN } from '../../../hal/led-catalogue.ts';
import { durationOf, isFinitePattern, MIN_STEP_MS, phaseAt, validatePattern, type LedPattern, type LedStep } from '../../../hal/led-pattern.ts';
import { codeOf } from '../../support/error-code.ts';

const code = (fn: () => unknown) => codeOf(fn, HalError);

describe('phaseAt', () => {
  it('off and on never change', () => {
    expect(phaseAt({ kind: 'off' }, 12345)).toEqual({ lit: false, nextInMs: null, finished: false });
    expect(phaseAt({ kind: 'on' }, 0)).toEqual({ lit: true, nextInMs: null, finished: false });
  });

  it('a blink is on for onMs, off for offMs, and tells when the next edge is', () => {
    const blink: LedPattern = { kind: 'blink', onMs: 100, offMs: 300 };
    expect(phaseAt(blink, 0)).toEqual({ lit: true, nextInMs: 100, finished: false });
    expect(phaseAt(blink, 99)).toEqual({ lit: true, nextInMs: 1, finished: false });
    expect(phaseAt(blink, 100)).toEqual({ lit: false, nextInMs: 300, finished: false });
    expect(phaseAt(blink, 399)).toMatchObject({ lit: false, nextInMs: 1 });
    expect(phaseAt(blink, 400)).toMatchObject({ lit: true, nextInMs: 100 });
    expect(phaseAt(blink, 4_000_050)).toMatchObject({ lit: true, nextInMs: 50 });
  });

  it('a counted blink ends off and says it finished', () => {
    const blink: LedPattern = { kind: 'blink', onMs: 50, offMs: 50, count: 3 };
    expect(phaseAt(blink, 249)).toMatchObject({ lit: true, finished: false });
    expect(phaseAt(blink, 299)).toMatchObject({ lit: false, finished: false });
    expect(phaseAt(blink, 300)).toEqual({ lit: false, nextInMs: null, finished: true });
    expect(durationOf(blink)).toBe(300);
  });

  it('matches a millisecond-by-millisecond expansion for random sequences', () => {
    const step = fc.record({ on: fc.boolean(), ms: fc.integer({ min: MIN_STEP_MS, max: 60 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }), (steps: LedStep[], repeat) => {
        const pattern: LedPattern = repeat === undefined ? { kind: 'sequence', steps } : { kind: 'sequence', steps, repeat };
        validatePattern(pattern);
        const expanded = steps.flatMap((s) => Array<boolean>(s.ms).fill(s.on));
        const cycles = repeat ?? 4;
        for (let t = 0; t < expanded.length * cycles + 30; t++) {
          const phase = phaseAt(pattern, t);
          const expected = repeat !== undefined && t >= expanded.length * repeat ? false : expanded[t % expanded.length]!;
          expect(phase.lit).toBe(expected);
          if (phase.nextInMs !== null) {
            // The level holds until the announced boundary.
            expect(phase.nextInMs).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('validatePattern', () => {
  it('refuses steps that are too short, empty sequences and bad counts, with BAD_PATTERN', () => {
    expect(code(() => validatePattern({ kind: 'blink', onMs: 5, offMs: 100 }))).toBe('BAD_PATTERN');
    expect(code(() => validatePattern({ kind: 'blink', onMs: 100, offMs: 100.5 }))).toBe('BAD_PATTERN');
    expect(code(() => validatePattern({ kind: 'blink', onMs: 100, offMs: 100, count: 0 }))).toBe('BAD_PATTERN');
    expect(code(() => validatePattern({ kind: 'sequence', steps: [] }))).toBe('BAD_PATTERN');
    expect(code(() => validatePattern({ kind: 'sequence', steps: [{ on: true, ms: 100 }], repeat: 1.5 }))).toBe('BAD_PATTERN');
    expect(code(() => validatePattern({ kind: 'sparkle' } as unknown as LedPattern))).toBe('BAD_PATTERN');
    expect(code(() => validatePattern({ kind: 'blink', onMs: 10, offMs: 10, count: 1 }))).toBeUndefined();
  });

  it('every catalogue pattern is valid; state patterns run forever, identify ends by itself', () => {
    for (const p of [...Object.values(STATE_PATTERNS), IDENTIFY_PATTERN, HOLD_WARNING_PATTERN, RESET_ACK_PATTERN]) validatePattern(p);
    for (const p of Object.values(STATE_PATTERNS)) expect(isFinitePattern(p)).toBe(false);
    expect(isFinitePattern(IDENTIFY_PATTERN)).toBe(true);
    expect(durationOf(IDENTIFY_PATTERN)).toBe(3000);
    // Every state looks different: no two state patterns are the same.
    const shapes = Object.values(STATE_PATTERNS).map((p) => JSON.stringify(p));
    expect(new Set(shapes).size).toBe(shapes.length);
  });
});
