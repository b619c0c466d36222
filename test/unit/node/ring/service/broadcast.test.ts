import { afterEach, describe, expect, it } from 'vitest';
import { simRing, type SimRing } from '../../../../support/ring-sim.ts';

let ring: SimRing | undefined;
afterEach(async () => {
  await ring?.stop();
  ring = undefined;
});

describe('two-hop broadcast', () => {
  for (const unities of [9, 10, 16]) {
    it(`reaches every server of ${unities} Unities exactly once, with about one message per server`, async () => {
      ring = await simRing({ unities, serversPerUnity: 6 });
      const heard = new Map<number, number>();
      ring.servers.forEach((server, i) =>
        server.broadcaster.on('news', (payload, origin) => {
          expect(new TextDecoder().decode(payload)).toBe('epoch party');
          expect(origin).toBe(ring!.peers[4]!.self.id);
          heard.set(i, (heard.get(i) ?? 0) + 1);
        }),
      );
      const before = ring.net.stats().requests;
      ring.servers[4]!.broadcaster.send('news', new TextEncoder().encode('epoch party'));
      await ring.net.clock.advance(1_000);
      expect(heard.size).toBe(ring.servers.length);
      expect([...heard.values()].every((n) => n === 1)).toBe(true);
      // One message per server reached, give or take: each server is told once by a sibling or as its Unity's
      // first contact, and a few siblings are told twice (then drop it as seen).
      const sent = ring.net.stats().requests - before;
      expect(sent).toBeLessThan(2 * ring.servers.length);
    });
  }
});
