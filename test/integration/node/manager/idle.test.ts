/**
 * An idle Unity paces its rounds (node/manager/idle.ts): after a run of empty rounds the managers hold their values back
 * a while when their pools are empty, and the first transaction submitted still becomes final promptly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { submitTx } from '../../../../node/manager/index.ts';
import { TestUnity } from '../../../support/manager-unity.ts';
import { until } from '../../../support/ring-net.ts';

const running: TestUnity[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((u) => u.stop()));
});

describe('Manager Ring: idle pacing', () => {
  it('holds values back while idle, still finalises its empty rounds, and a transfer ends the idle spell', async () => {
    const unity = await TestUnity.start();
    running.push(unity);
    await until(() => unity.live.every((k) => unity.server(k).stats().idleHeld > 3), 30_000, 'every manager to pace its idle rounds');
    // Paced rounds still end final (each member still proposes, late): the ring keeps finalising while idle.
    const finals = unity.server(0).stats().finals;
    await until(() => unity.server(0).stats().finals > finals + 2, 15_000, 'paced rounds to end final');
    const transfers = unity.transfers(2);
    for (const [i, t] of transfers.entries()) await submitTx(unity.client.rpc, unity.host([1, 4][i]!).peer, t.bytes);
    await unity.settle(transfers, 'the transfers submitted to an idle ring', [0, 1, 2, 3, 4, 5], 15_000);
    expect(unity.server(0).stats().invariantViolations).toBe(0);
  }, 90_000);
});
