/**
 * A manager restarted on its data after the ring has moved past the rounds it keeps (ACP keep window lowered to
 * 3 rounds): its consensus adopts a certified checkpoint, its ledger catches up the blocks it missed from a member,
 * it signs nothing in the rounds it may have voted in before, and it agrees on the next block.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { submitTx } from '../../../../node/manager/index.ts';
import { TestUnity } from '../../../support/manager-unity.ts';
import { until } from '../../../support/ring-net.ts';

const running: TestUnity[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((u) => u.stop()));
});

describe('Manager Ring: restart past the consensus keep window', () => {
  it('catches up by checkpoint and ledger catch-up, then agrees on the next block', async () => {
    const unity = await TestUnity.start({ acpKeepHeights: 3 });
    running.push(unity);
    const first = unity.transfers(4);
    for (const [i, t] of first.entries()) await submitTx(unity.client.rpc, unity.host(i).peer, t.bytes);
    await unity.settle(first, 'the first transfers');

    await unity.stopMember(2);
    const missed = unity.transfers(4);
    for (const [i, t] of missed.entries()) await submitTx(unity.client.rpc, unity.host([0, 1, 3, 4][i]!).peer, t.bytes);
    await unity.settle([...first, ...missed], 'five managers to apply what manager 2 misses', [0, 1, 3, 4, 5]);
    // Well past its keep window: the others prune the rounds it would ask them for.
    const away = Number((await unity.server(0).head()).acpHeight);
    await until(() => Number(unity.server(0).head().acpHeight) > away + 12, 30_000, 'the ring to move on');

    const back = await unity.restart(2);
    const next = unity.transfers(2);
    for (const [i, t] of next.entries()) await submitTx(unity.client.rpc, unity.host([2, 5][i]!).peer, t.bytes);
    await unity.settle([...first, ...missed, ...next], 'the restarted manager to agree on the next block', [0, 1, 2, 3, 4, 5], 60_000);
    expect(back.stats().caughtUp, 'blocks it caught up from a member').toBeGreaterThanOrEqual(1);
    expect(back.stats().checkpoints, 'checkpoints its consensus adopted').toBeGreaterThanOrEqual(1);
    const silent = unity.logs.find((l) => l.member === 2 && l.msg === 'consensus rounds this node will not sign in');
    expect(Number(silent?.fields['silentThrough'])).toBeGreaterThan(away);
  }, 150_000);
});

describe('Manager Ring: every member restarts', () => {
  it('resumes after the consensus anchor each recorded, not through every round since the era began', async () => {
    const unity = await TestUnity.start();
    running.push(unity);
    const first = unity.transfers(4);
    for (const [i, t] of first.entries()) await submitTx(unity.client.rpc, unity.host(i).peer, t.bytes);
    await unity.settle(first, 'the first transfers');
    // Idle rounds decide too (the empty value): every one moves the anchor. (Idle rounds are paced: ≈ 0.8 s.)
    const before = Number(unity.server(0).head().acpHeight);
    await until(() => Number(unity.server(0).head().acpHeight) > before + 12, 45_000, 'the ring to run idle rounds');
    const stoppedAt = Number(unity.server(0).head().acpHeight);

    for (const k of unity.live) await unity.stopMember(k);
    for (let k = 0; k < 6; k++) await unity.restart(k);

    for (let k = 0; k < 6; k++) {
      const started = unity.logs.filter((l) => l.member === k && l.msg === 'consensus era started').at(-1);
      expect(Number(started?.fields['anchor']), `manager ${k} resumed from its anchor`).toBeGreaterThan(stoppedAt - 5);
    }
    // Without the anchor each would sit silent through the ≥ 12 rounds since the era began, 2 s (SBR) each.
    const next = unity.transfers(2);
    for (const [i, t] of next.entries()) await submitTx(unity.client.rpc, unity.host([0, 3][i]!).peer, t.bytes);
    await unity.settle([...first, ...next], 'the restarted ring to agree on the next block', [0, 1, 2, 3, 4, 5], 15_000);
  }, 150_000);
});
