import { describe, expect, it } from 'vitest';
import { SimClock, SimError } from '../../../../../node/net/sim/index.ts';
import { codeOf } from '../../../../support/error-code.ts';

describe('SimClock', () => {
  it('fires timers by due time, then in the order they were set', async () => {
    const clock = new SimClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`z@${clock.now()}`), 0);
    expect(await clock.run()).toBe(4);
    expect(fired).toEqual(['z@1000', 'a@1010', 'b@1020', 'c@1020']);
    expect(clock.now()).toBe(1020);
  });

  it('runs until a time, inclusive, and then stands at that time', async () => {
    const clock = new SimClock();
    const fired: number[] = [];
    for (const ms of [5, 10, 15]) clock.setTimeout(() => fired.push(ms), ms);
    expect(await clock.runUntil(10)).toBe(2);
    expect(fired).toEqual([5, 10]);
    expect(clock.now()).toBe(10);
    expect(clock.pending).toBe(1);
    await clock.advance(100);
    expect(clock.now()).toBe(110);
    expect(fired).toEqual([5, 10, 15]);
    expect(clock.nextAt()).toBeUndefined();
  });

  it('never fires a cleared timer', async () => {
    const clock = new SimClock();
    let fired = false;
    const timer = clock.setTimeout(() => (fired = true), 5);
    clock.setTimeout(() => {}, 7);
    clock.clearTimeout(timer);
    clock.clearTimeout(timer);
    expect(clock.pending).toBe(1);
    expect(clock.nextAt()).toBe(7);
    await clock.run();
    expect(fired).toBe(false);
  });

  it('lets promise chains woken by a timer finish before time moves on', async () => {
    const clock = new SimClock();
    const log: string[] = [];
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    const task = async (name: string, ms: number) => {
      await sleep(ms);
      log.push(`${name} woke at ${clock.now()}`);
      await Promise.resolve();
      await sleep(ms);
      log.push(`${name} done at ${clock.now()}`);
    };
    void task('slow', 30);
    void task('fast', 10);
    await clock.run();
    expect(log).toEqual(['fast woke at 10', 'fast done at 20', 'slow woke at 30', 'slow done at 60']);
  });

  it('rounds delays up to whole ms and treats negative or NaN delays as now', async () => {
    const clock = new SimClock();
    const times: number[] = [];
    clock.setTimeout(() => times.push(clock.now()), 0.2);
    clock.setTimeout(() => times.push(clock.now()), -5);
    clock.setTimeout(() => times.push(clock.now()), Number.NaN);
    await clock.run();
    expect(times).toEqual([0, 0, 1]);
  });

  it('turns a livelock into a BUSY error and refuses to run backwards', async () => {
    const clock = new SimClock();
    const tick = () => clock.setTimeout(tick, 1);
    tick();
    await expect(clock.run({ maxEvents: 100 })).rejects.toMatchObject({ code: 'BUSY' });
    await expect(clock.runUntil(clock.now() - 1)).rejects.toBeInstanceOf(SimError);
    expect(codeOf(() => new SimClock(-1), SimError)).toBe('BAD_ARGUMENT');
  });
});
