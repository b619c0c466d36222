/** A peer that goes away and comes back on a new port under the same key is reached again. */
import { afterAll, expect, it } from 'vitest';
import { failure, Hosts, str, text } from './fixtures.ts';

const hosts = new Hosts();
afterAll(() => hosts.stopAll());

it('fails requests typed while the peer is down and succeeds again once it is back at new addresses', async () => {
  const client = await hosts.start(41);
  const first = await hosts.start(42);
  first.rpc.handle('echo', async (body) => body);
  first.rpc.handle('hang', () => new Promise(() => {}));
  expect(str(await client.rpc.request(first.peer, 'echo', text('one')))).toBe('one');
  const oldPeer = first.peer;

  const hanging = failure(client.rpc.request(oldPeer, 'hang', new Uint8Array(1)));
  await new Promise((r) => setTimeout(r, 50));
  await first.stop();
  const inFlight = await hanging;
  expect(['CLOSED', 'UNAVAILABLE']).toContain(inFlight.code);
  const whileDown = await failure(client.rpc.request(oldPeer, 'echo', text('two'), { timeoutMs: 3000 }));
  expect(['UNAVAILABLE', 'CLOSED']).toContain(whileDown.code);
  expect(whileDown.remote).toBe(false);

  const second = await hosts.start(42);
  second.rpc.handle('echo', async (body) => body);
  expect(second.id).toBe(first.id);
  expect(second.peer.addrs).not.toEqual(oldPeer.addrs);
  expect(str(await client.rpc.request(second.peer, 'echo', text('three')))).toBe('three');
  expect(client.rldpStats(second.id)?.streams).toBe(1);
});
