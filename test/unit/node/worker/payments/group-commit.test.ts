/**
 * GroupCommit: waiters before a flush share one write and resolve only after it; a failed write rejects them
 * all; a full group is written at once; the default scheduler flushes on the next event-loop turn.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GroupCommit, nextTurn } from '../../../../../node/worker/payments/group-commit.ts';
import { manualScheduler } from './payments-fixtures.ts';

function settledState(promise: Promise<unknown>): { readonly state: 'pending' | 'resolved' | 'rejected' } {
  const box: { state: 'pending' | 'resolved' | 'rejected' } = { state: 'pending' };
  promise.then(
    () => (box.state = 'resolved'),
    () => (box.state = 'rejected'),
  );
  return box;
}

describe('GroupCommit', () => {
  it('writes once for every waiter of a group, and resolves them only after the write', async () => {
    const sched = manualScheduler();
    let writes = 0;
    const group = new GroupCommit(() => void (writes += 1), sched.schedule, 100);
    const states = [group.wait(), group.wait(), group.wait()].map(settledState);
    await turn();
    expect(states.map((s) => s.state)).toEqual(['pending', 'pending', 'pending']);
    expect(group.pending).toBe(3);
    expect(writes).toBe(0);
    expect(sched.tick()).toBe(true);
    await turn();
    expect(writes).toBe(1);
    expect(states.map((s) => s.state)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(group.pending).toBe(0);
    expect(sched.armed).toBe(false);
  });

  it('rejects the whole group with the write error and rethrows it to a direct flush', async () => {
    const sched = manualScheduler();
    const group = new GroupCommit(() => {
      throw new Error('disk full');
    }, sched.schedule, 100);
    const waiting = [group.wait(), group.wait()];
    expect(() => group.flush()).toThrow('disk full');
    for (const w of waiting) await expect(w).rejects.toThrow('disk full');
    expect(sched.armed).toBe(false); // the direct flush cancelled the scheduled one
  });

  it('writes a full group at once without waiting for the scheduler', async () => {
    const sched = manualScheduler();
    let writes = 0;
    const group = new GroupCommit(() => void (writes += 1), sched.schedule, 2);
    const first = group.wait();
    expect(writes).toBe(0);
    const second = group.wait();
    expect(writes).toBe(1);
    await Promise.all([first, second]);
    expect(sched.armed).toBe(false);
  });

  it('flushes on the next turn by default', async () => {
    let writes = 0;
    const group = new GroupCommit(() => void (writes += 1), nextTurn, 100);
    const waiting = [group.wait(), group.wait()];
    expect(writes).toBe(0);
    await Promise.all(waiting);
    expect(writes).toBe(1);
  });

  it('refuses a group size below one', () => {
    expect(() => new GroupCommit(() => undefined, nextTurn, 0)).toThrow(RangeError);
  });
});
