import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THRESHOLDS,
  initialGestureState,
  nextDeadline,
  stepGesture,
  validateThresholds,
  type Gesture,
  type GestureInput,
  type GestureThresholds,
} from '../../../hal/button-gestures.ts';

/**
 * Feeds edges the way gesture-detector.ts does: before each edge, every deadline that falls due is ticked; after
 * the last edge, time runs on to `end`.
 */
function run(edges: GestureInput[], end: number, t: GestureThresholds = DEFAULT_THRESHOLDS): Gesture[] {
  let state = initialGestureState(0);
  const out: Gesture[] = [];
  const feed = (input: GestureInput) => {
    const r = stepGesture(state, input, t);
    state = r.state;
    out.push(...r.gestures);
  };
  const tickUntil = (limit: number) => {
    let previous = -Infinity;
    for (let d = nextDeadline(state, t); d !== null && d <= limit; d = nextDeadline(state, t)) {
      // A deadline that does not move after its tick would spin the detector's timer forever.
      if (d <= previous) throw new Error(`deadline ${d} did not advance after its tick`);
      previous = d;
      feed({ kind: 'tick', at: d });
    }
  };
  for (const e of edges) {
    tickUntil(e.at);
    feed(e);
  }
  tickUntil(end);
  return out;
}

const press = (at: number): GestureInput => ({ kind: 'press', at });
const release = (at: number): GestureInput => ({ kind: 'release', at });
const kinds = (g: Gesture[]) => g.map((x) => x.kind);

describe('button gestures (SPEC §9: short press identifies, a 10 s hold resets)', () => {
  it('a short press is identify, timed from the press to the release', () => {
    const g = run([press(1000), release(1300)], 5000);
    expect(g).toEqual([{ kind: 'identify', at: 1300, pressedAt: 1000, durationMs: 300 }]);
  });

  it('a 10 s hold warns at 2 s and fires the reset at 10 s, while still held', () => {
    const g = run([press(0)], 10_000);
    expect(g).toEqual([
      { kind: 'hold-warning', at: 2000, pressedAt: 0 },
      { kind: 'factory-reset', at: 10_000, pressedAt: 0 },
    ]);
    // Releasing afterwards adds nothing.
    expect(run([press(0), release(15_000)], 20_000)).toHaveLength(2);
  });

  it('released between 2 s and 10 s: warned, then cancelled — neither identify nor reset', () => {
    expect(kinds(run([press(0), release(9_999)], 20_000))).toEqual(['hold-warning', 'hold-cancelled']);
    expect(kinds(run([press(0), release(1_999)], 20_000))).toEqual(['identify']);
    expect(kinds(run([press(0), release(2_000)], 20_000))).toEqual(['hold-warning', 'hold-cancelled']);
  });

  it('contact bounce is ignored: chatter shorter than 50 ms neither presses nor ends a hold', () => {
    // A 30 ms blip is no press at all.
    expect(run([press(100), release(130)], 5000)).toEqual([]);
    // Chatter at the start of a real press: the press begins at the last edge of the chatter.
    expect(run([press(0), release(5), press(12), release(20), press(25), release(600)], 5000)).toEqual([
      { kind: 'identify', at: 600, pressedAt: 25, durationMs: 575 },
    ]);
    // A 20 ms drop in the middle of a 10 s hold does not restart it.
    expect(kinds(run([press(0), release(6000), press(6020)], 10_000))).toEqual(['hold-warning', 'factory-reset']);
  });

  it('gestures do not depend on ticks arriving: edges alone classify the press the same way', () => {
    let state = initialGestureState();
    const out: Gesture[] = [];
    for (const input of [press(0), release(12_000), press(20_000)]) {
      const r = stepGesture(state, input);
      state = r.state;
      out.push(...r.gestures);
    }
    expect(kinds(out)).toEqual(['hold-warning', 'factory-reset']);
  });

  it('an edge stamped earlier than one already seen is taken as happening now', () => {
    const g = run([press(1000), release(900)], 5000);
    expect(g).toEqual([]); // a 0 ms press is bounce
  });

  it('thresholds must be ordered', () => {
    expect(validateThresholds(DEFAULT_THRESHOLDS)).toBeNull();
    expect(validateThresholds({ debounceMs: 50, shortMaxMs: 20_000, holdMs: 10_000 })).toMatch(/shortMaxMs < holdMs/);
    expect(validateThresholds({ debounceMs: -1, shortMaxMs: 2, holdMs: 3 })).toMatch(/non-negative/);
  });

  /** Reference model, written independently: keep the raw edges that stayed put for debounceMs, collapse repeats. */
  function confirmedPresses(edges: GestureInput[], end: number, t: GestureThresholds): { from: number; to: number | null }[] {
    const stable: { level: boolean; at: number }[] = [];
    edges.forEach((e, i) => {
      // Confirmed when the next edge (or the end of the run) is debounceMs or more later.
      const until = edges[i + 1]?.at ?? end;
      if (until - e.at >= t.debounceMs) {
        const level = e.kind === 'press';
        if ((stable.at(-1)?.level ?? false) !== level) stable.push({ level, at: e.at });
      }
    });
    const presses: { from: number; to: number | null }[] = [];
    for (const s of stable) {
      if (s.level) presses.push({ from: s.at, to: null });
      else presses.at(-1)!.to = s.at;
    }
    return presses;
  }

  it('property: every confirmed press gets exactly one classification, by its length, never identify and reset both', () => {
    const t: GestureThresholds = { debounceMs: 50, shortMaxMs: 2000, holdMs: 10_000 };
    const gaps = fc.array(fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1500, max: 14_000 })), {
      minLength: 1,
      maxLength: 30,
    });
    fc.assert(
      fc.property(gaps, fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 15_000 })), (gapList, tail) => {
        // Alternating edges with strictly increasing times (a line's level alternates).
        let at = 0;
        const edges: GestureInput[] = gapList.map((gap, i) => {
          at += gap + 1;
          return i % 2 === 0 ? press(at) : release(at);
        });
        const end = at + tail;
        const gestures = run(edges, end, t);
        const presses = confirmedPresses(edges, end, t);
        const byPress = new Map<number, Gesture[]>();
        for (const g of gestures) byPress.set(g.pressedAt, [...(byPress.get(g.pressedAt) ?? []), g]);
        // Every gesture belongs to a press the reference model also sees.
        expect([...byPress.keys()].sort((a, b) => a - b)).toEqual(
          presses.filter((p) => byPress.has(p.from)).map((p) => p.from),
        );
        // A release still inside its debounce window at the end has not ended the press, but the button was let go
        // then: a reset is due only if the hold reached holdMs before that raw release.
        const last = edges.at(-1)!;
        const pendingRelease = last.kind === 'release' && end - last.at < t.debounceMs ? last.at : undefined;
        for (const p of presses) {
          const got = kinds(byPress.get(p.from) ?? []);
          const held = (p.to ?? pendingRelease ?? end) - p.from;
          expect(got.includes('identify') && got.includes('factory-reset')).toBe(false);
          if (p.to === null) {
            // Still held at the end (or release not yet confirmed): only the hold gestures due so far.
            expect(got.filter((k) => k === 'identify' || k === 'hold-cancelled')).toEqual([]);
            expect(got.includes('factory-reset')).toBe(held >= t.holdMs);
          } else if (held < t.shortMaxMs) {
            expect(got).toEqual(['identify']);
          } else if (held < t.holdMs) {
            expect(got).toEqual(['hold-warning', 'hold-cancelled']);
          } else {
            expect(got).toEqual(['hold-warning', 'factory-reset']);
            const reset = byPress.get(p.from)!.find((g) => g.kind === 'factory-reset')!;
            // Fired while still held, no earlier than 10 s in.
            expect(reset.at).toBeGreaterThanOrEqual(p.from + t.holdMs);
            expect(reset.at).toBeLessThanOrEqual(p.to);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
