import { describe, expect, it } from 'vitest';
import type { Decide } from '../../../../node/consensus/types.ts';
import { NOTHING } from '../../../../node/manager/build.ts';
import { IdlePacer } from '../../../../node/manager/idle.ts';
import { SimClock } from '../../../../node/net/sim/clock.ts';

const decide = (valueHash: Uint8Array | undefined): Decide => ({
  kind: 'decide',
  height: 1,
  round: 1,
  id: new Uint8Array(32),
  prev: new Uint8Array(32),
  valueHash,
  decision: 'final',
  via: 'certificate',
});

function pacer(after: number) {
  const clock = new SimClock();
  const refreshed: number[] = [];
  const p = new IdlePacer({ clock, refresh: () => refreshed.push(clock.now()), after, delayMs: 400 });
  return { clock, refreshed, p };
}

describe('IdlePacer', () => {
  it('holds a round’s value back only after `after` empty final rounds in a row, and only while the pool is empty', async () => {
    const { clock, refreshed, p } = pacer(3);
    p.settled(decide(undefined));
    p.settled(decide(NOTHING));
    expect(p.hold(5, 0)).toBe(false);
    p.settled(decide(undefined));
    expect(p.hold(5, 1)).toBe(false);
    expect(p.hold(5, 0)).toBe(true);
    expect(p.hold(5, 0)).toBe(true);
    // After the delay consensus is asked again, and the value is given.
    await clock.runUntil(399);
    expect(refreshed).toEqual([]);
    await clock.runUntil(400);
    expect(refreshed).toEqual([400]);
    expect(p.hold(5, 0)).toBe(false);
    // The next round is held again.
    expect(p.hold(6, 0)).toBe(true);
    expect(p.held).toBe(2);
  });

  it('a round that held a block ends the idle spell', () => {
    const { p } = pacer(2);
    p.settled(decide(NOTHING));
    p.settled(decide(NOTHING));
    expect(p.idle).toBe(true);
    p.settled(decide(new Uint8Array(32).fill(7)));
    expect(p.idle).toBe(false);
    expect(p.hold(9, 0)).toBe(false);
  });
});
