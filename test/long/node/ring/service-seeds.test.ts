/**
 * The ring service under many seeds on the simulator: random latencies, random writes from random servers,
 * servers of random Unities killed (never more than 2 of a key's 5 replicas at once, the guarantee of SPEC §5),
 * and every acknowledged value read back from a random live server in ≤ 2 hops. AME_RING_SEED=n runs one seed.
 */
import { describe, expect, it } from 'vitest';
import { uniformLatency, seededRandom } from '../../../../node/net/sim/index.ts';
import { contentKey } from '../../../../node/ring/records.ts';
import { encodeRingValue } from '../../../../node/ring/service/value.ts';
import { simRing } from '../../../support/ring-sim.ts';

const only = process.env['AME_RING_SEED'];
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: 24 }, (_, i) => 1000 + i);

describe(`ring service under ${seeds.length} seeds (AME_RING_SEED reproduces one)`, () => {
  it('keeps every acknowledged value readable through kills, borrows and merges', async () => {
    for (const seed of seeds) {
      const random = seededRandom(`ops ${seed}`);
      const ring = await simRing({ unities: 6, serversPerUnity: 6, seed, latency: uniformLatency(1, 40) });
      try {
        const stored: { key: Uint8Array; bytes: Uint8Array }[] = [];
        const alive = () => ring.servers.filter((_, i) => !dead.has(i));
        const dead = new Set<number>();
        for (let round = 0; round < 4; round++) {
          for (let i = 0; i < 15; i++) {
            const data = new TextEncoder().encode(`seed ${seed} round ${round} value ${i}`);
            const item = { key: contentKey(data), bytes: encodeRingValue({ kind: 'content', data }) };
            const from = alive()[random.int(alive().length)]!;
            await ring.drive(from.put(item.key, item.bytes));
            stored.push(item);
          }
          // Kill one server of a Unity that still has all six, so no key ever loses more than two replicas.
          const map = ring.authority.map();
          const whole = map.unities.filter((u) => u.servers.length === 6 && u.guests.length === 0);
          if (round < 3 && whole.length > 0) {
            const unity = whole[random.int(whole.length)]!;
            const id = unity.servers[random.int(6)]!.id;
            const victim = ring.peers.findIndex((p) => p.self.id === id);
            await ring.servers[victim]!.stop();
            ring.peers[victim]!.kill();
            dead.add(victim);
          }
          await ring.net.clock.advance(8_000);
          for (const item of stored) {
            const reader = alive()[random.int(alive().length)]!;
            const got = await ring.drive(reader.get(item.key));
            expect(got.result, `seed ${seed}`).toEqual(item.bytes);
            expect(got.located.path.length, `seed ${seed}`).toBeLessThanOrEqual(2);
          }
        }
      } finally {
        await ring.stop();
      }
    }
  }, 600_000);
});
