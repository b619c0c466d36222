import { describe, expect, it } from 'vitest';
import { SimClock } from '../../../../node/net/sim/clock.ts';
import { BACKUP_SHARE, BACKUP_WAIT_MS, BuildTurn, primaryAt, roleAt } from '../../../../node/manager/turn.ts';

const HEAD = new Uint8Array(32).fill(7);
const OTHER_HEAD = new Uint8Array(32).fill(8);
const LIMIT = 1_048_576n;

describe('roleAt: builders in turn', () => {
  it('names one primary and one backup a round, each member in turn; everyone builds in a ring of two', () => {
    for (const n of [3, 6, 16]) {
      const primaries = new Array<number>(n).fill(0);
      const backups = new Array<number>(n).fill(0);
      for (let h = 0; h < 10 * n; h++) {
        const roles = Array.from({ length: n }, (_, i) => roleAt(h, i, n));
        expect(roles.filter((r) => r === 'primary')).toHaveLength(1);
        expect(roles.filter((r) => r === 'backup')).toHaveLength(1);
        expect(roles.indexOf('primary')).toBe(primaryAt(h, n));
        // The backup of round h is the primary of round h + 1.
        expect(roles.indexOf('backup')).toBe(primaryAt(h + 1, n));
        primaries[roles.indexOf('primary')]! += 1;
        backups[roles.indexOf('backup')]! += 1;
      }
      expect(new Set(primaries)).toEqual(new Set([10]));
      expect(new Set(backups)).toEqual(new Set([10]));
    }
    for (let h = 0; h < 5; h++) expect([roleAt(h, 0, 2), roleAt(h, 1, 2)]).toEqual(['primary', 'primary']);
  });
});

describe('BuildTurn', () => {
  const setup = () => {
    const clock = new SimClock();
    let refreshed = 0;
    const turn = new BuildTurn({ clock, refresh: () => void (refreshed += 1) });
    return { clock, turn, refreshed: () => refreshed };
  };

  it('the primary builds at once with the full limit; the others propose NOTHING with an empty pool', () => {
    const { turn } = setup();
    expect(turn.value(12, 0, 6, HEAD, false, true, LIMIT)).toEqual({ kind: 'build' });
    expect(turn.value(12, 1, 6, HEAD, false, false, LIMIT)).toEqual({ kind: 'nothing' });
    expect(turn.value(12, 3, 6, HEAD, false, false, LIMIT)).toEqual({ kind: 'nothing' });
  });

  it("a member out of turn waits for the primary's block, then proposes NOTHING", async () => {
    const { turn, clock, refreshed } = setup();
    expect(turn.value(12, 3, 6, HEAD, false, true, LIMIT)).toEqual({ kind: 'wait' });
    await clock.advance(10 * BACKUP_WAIT_MS);
    // It never builds on its own: ACP's value wait bounds the wait, not this.
    expect(turn.value(12, 3, 6, HEAD, false, true, LIMIT)).toEqual({ kind: 'wait' });
    expect(refreshed()).toBe(0);
    expect(turn.value(12, 3, 6, HEAD, true, true, LIMIT)).toEqual({ kind: 'nothing' });
  });

  it("the backup builds a capped block only when the primary's is still missing after BACKUP_WAIT_MS", async () => {
    const { turn, clock, refreshed } = setup();
    expect(turn.value(12, 1, 6, HEAD, false, true, LIMIT)).toEqual({ kind: 'wait' });
    await clock.advance(BACKUP_WAIT_MS - 1);
    expect(turn.value(12, 1, 6, HEAD, false, true, LIMIT)).toEqual({ kind: 'wait' });
    expect(refreshed()).toBe(0);
    await clock.advance(1);
    // The wait's timer asked for the value again.
    expect(refreshed()).toBe(1);
    const built = turn.value(12, 1, 6, HEAD, false, true, LIMIT);
    expect(built).toEqual({ kind: 'build', limitBytes: (LIMIT * BACKUP_SHARE.num) / BACKUP_SHARE.den });
    expect(built.kind === 'build' && built.limitBytes! < LIMIT).toBe(true);
  });

  it("the backup proposes NOTHING once the primary's block is here, and its wait starts again on a new head", async () => {
    const { turn, clock } = setup();
    expect(turn.value(12, 1, 6, HEAD, false, true, LIMIT)).toEqual({ kind: 'wait' });
    expect(turn.value(12, 1, 6, HEAD, true, true, LIMIT)).toEqual({ kind: 'nothing' });
    await clock.advance(BACKUP_WAIT_MS - 100);
    // Round 12 restarted on another head: a fresh wait.
    expect(turn.value(12, 1, 6, OTHER_HEAD, false, true, LIMIT)).toEqual({ kind: 'wait' });
    await clock.advance(BACKUP_WAIT_MS - 1);
    expect(turn.value(12, 1, 6, OTHER_HEAD, false, true, LIMIT)).toEqual({ kind: 'wait' });
    await clock.advance(1);
    expect(turn.value(12, 1, 6, OTHER_HEAD, false, true, LIMIT).kind).toBe('build');
  });
});
