import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type CommitWrite, GroupCommit } from '../../../../node/store/service-log-group-commit.ts';

/** A fake transaction that numbers entries by the first byte and records each call. */
function recordingWrite(): { write: CommitWrite; calls: number[][]; fail: (error: Error | undefined) => void } {
  const calls: number[][] = [];
  let failure: Error | undefined;
  const write: CommitWrite = (encoded, _sealAll, alongside) => {
    // Inside the transaction, before the entries.
    for (const run of alongside) run();
    calls.push(encoded.map((bytes) => bytes[0] as number));
    if (failure !== undefined) throw failure;
    return {
      appended: encoded.map((bytes) => ({ seq: bytes[0] as number, time: 0, hash: new Uint8Array(32) })),
      sealed: [],
    };
  };
  return { write, calls, fail: (error) => (failure = error) };
}

const entry = (n: number): Uint8Array => Uint8Array.of(n);

describe('service-log group commit', () => {
  it('writes the entries queued in one turn in one call on the next turn, in call order', async () => {
    const { write, calls } = recordingWrite();
    const group = new GroupCommit(write);
    const promises = [1, 2, 3].map((n) => group.enqueue(entry(n)));
    expect(group.pending).toBe(3);
    expect(calls).toEqual([]);
    const results = await Promise.all(promises);
    expect(calls).toEqual([[1, 2, 3]]);
    expect(results.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(group.pending).toBe(0);
  });

  it('writes waiting entries ahead of a direct write and returns only the direct ones', async () => {
    const { write, calls } = recordingWrite();
    const group = new GroupCommit(write);
    const waiting = group.enqueue(entry(1));
    const { appended } = group.writeWith([entry(2), entry(3)], false);
    expect(calls).toEqual([[1, 2, 3]]);
    expect(appended.map((r) => r.seq)).toEqual([2, 3]);
    await expect(waiting).resolves.toMatchObject({ seq: 1 });
    await nextTurn();
    expect(calls).toHaveLength(1); // the next turn finds nothing left to write
  });

  it('rejects the whole group with the failed write and empties the queue', async () => {
    const { write, fail } = recordingWrite();
    const group = new GroupCommit(write);
    const promises = [1, 2].map((n) => group.enqueue(entry(n)));
    fail(new Error('disk full'));
    expect(() => group.writeWith([entry(3)], false)).toThrow('disk full');
    for (const promise of promises) await expect(promise).rejects.toThrow('disk full');
    expect(group.pending).toBe(0);
  });

  it('writes nothing on the next turn after cancelTimer', async () => {
    const { write, calls } = recordingWrite();
    const group = new GroupCommit(write);
    const waiting = group.enqueue(entry(1));
    group.cancelTimer();
    await nextTurn();
    expect(calls).toEqual([]);
    group.flush();
    expect(calls).toEqual([[1]]);
    await expect(waiting).resolves.toMatchObject({ seq: 1 });
  });

  it("runs staged writes and an entry's alongside in the transaction that takes the entries, before them", async () => {
    const { write, calls } = recordingWrite();
    const group = new GroupCommit(write);
    const order: string[] = [];
    const staged = group.stage(() => order.push(`stage (after ${calls.length} writes)`));
    const appended = group.enqueue(entry(1), () => order.push(`archive 1 (after ${calls.length} writes)`));
    expect(group.pending).toBe(2);
    // Whoever writes the group takes them along: here a direct write (a seal), before the next turn.
    group.writeWith([entry(2)], true);
    expect(order).toEqual(['stage (after 0 writes)', 'archive 1 (after 0 writes)']);
    expect(calls).toEqual([[1, 2]]);
    await expect(staged).resolves.toBeUndefined();
    await expect(appended).resolves.toMatchObject({ seq: 1 });
    await nextTurn();
    expect(calls).toHaveLength(1);
  });

  it('fails the whole group, entries and staged writes alike, when a staged write throws', async () => {
    const { write, calls } = recordingWrite();
    const group = new GroupCommit(write);
    const staged = group.stage(() => undefined);
    const failing = group.enqueue(entry(1), () => {
      throw new Error('archive full');
    });
    const other = group.enqueue(entry(2));
    await expect(failing).rejects.toThrow('archive full');
    await expect(staged).rejects.toThrow('archive full');
    await expect(other).rejects.toThrow('archive full');
    expect(calls).toEqual([]);
    expect(group.pending).toBe(0);
  });
});
