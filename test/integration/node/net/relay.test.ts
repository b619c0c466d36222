/**
 * Circuit relay v2 on real hosts (docs/net.md "Relays and NAT"): a relay server, a host that listens only through it
 * (no direct address at all, as a device behind NAT), and a client that reaches that host by its /p2p-circuit
 * address alone — RLDP requests both ways, larger than libp2p's default relay data limit, over the relayed connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCircuitAddr, isPublicAddr, NetError, type Host } from '../../../../node/net/index.ts';
import { bytes, Hosts, str, text } from './fixtures.ts';

const hosts = new Hosts();
let relay: Host;
let hidden: Host;
let client: Host;

beforeAll(async () => {
  relay = await hosts.start(71, { nat: { relayServer: {} } });
  const at = relay.peer.addrs.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${relay.id}`));
  hidden = await hosts.start(72, { listen: [], nat: { relays: at, dcutr: true } });
  client = await hosts.start(73, { listen: [], nat: { relayDial: true } });
}, 30_000);
afterAll(() => hosts.stopAll());

describe('circuit relay', () => {
  it('advertises the /p2p-circuit address the reservation gave, and nothing direct', () => {
    expect(hidden.peer.addrs.length).toBeGreaterThan(0);
    expect(hidden.peer.addrs.every((a) => isCircuitAddr(a) && a.includes(`/p2p/${relay.id}/p2p-circuit`))).toBe(true);
  });

  it('carries RLDP requests to the hidden host and back, beyond the default relay data limit', async () => {
    hidden.rpc.handle('echo', async (body) => body);
    client.rpc.handle('hello', async () => text('from the client'));
    const big = bytes(512 * 1024, 3);
    for (let i = 0; i < 4; i++) expect((await client.rpc.request(hidden.peer, 'echo', big)).length).toBe(big.length);
    expect(str(await client.rpc.request(hidden.peer, 'echo', text('small')))).toBe('small');
    // The hidden host answers on the connection the client opened through the relay.
    expect(str(await hidden.rpc.request(client.peer, 'hello', new Uint8Array()))).toBe('from the client');
    const conn = client.libp2p.getConnections().find((c) => c.remotePeer.toString() === hidden.id);
    expect(conn?.remoteAddr.toString()).toContain('/p2p-circuit');
  });

  it('fails start with UNAVAILABLE when no relay gives a reservation', async () => {
    const dead = `/ip4/127.0.0.1/tcp/9/p2p/${relay.id}`;
    const error = await hosts.start(74, { listen: [], nat: { relays: [dead] }, connections: { dialTimeoutMs: 2000 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetError);
    expect((error as NetError).code).toBe('UNAVAILABLE');
  });
});

describe('isPublicAddr', () => {
  it('tells internet addresses from private, loopback, CGNAT and link-local ones', () => {
    expect(isPublicAddr('/ip4/8.8.8.8/tcp/1')).toBe(true);
    expect(isPublicAddr('/ip6/2001:db8::1/tcp/1')).toBe(true);
    for (const a of ['/ip4/127.0.0.1/tcp/1', '/ip4/10.1.2.3/tcp/1', '/ip4/172.20.0.1/tcp/1', '/ip4/192.168.1.2/tcp/1', '/ip4/100.64.0.1/tcp/1', '/ip4/169.254.1.1/tcp/1', '/ip6/fd00::1/tcp/1', '/ip6/fe80::1/tcp/1', '/dns4/example.com/tcp/1']) {
      expect(isPublicAddr(a), a).toBe(false);
    }
  });
});
