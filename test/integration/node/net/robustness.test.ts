/**
 * One misbehaving peer costs only itself: malformed frames and floods drop or refuse that peer, unknown protocols are
 * refused by libp2p, a slow server keeps the sender's queue bounded — and the host keeps serving everyone else.
 */
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetError, type Host } from '../../../../node/net/index.ts';
import { Hosts, str, text, until } from './fixtures.ts';

const hosts = new Hosts();
let server: Host;
let good: Host;
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = await hosts.start(11);
  good = await hosts.start(12);
  server.rpc.handle('echo', async (body) => body);
  server.rpc.handle('slow', async (body, ctx) => {
    await new Promise((resolve) => {
      const t = setTimeout(resolve, 300);
      ctx.signal.addEventListener('abort', () => clearTimeout(t));
    });
    return body;
  });
});
afterAll(() => hosts.stopAll());

const connected = (from: Host, to: Host) => from.libp2p.getConnections(peerIdFromString(to.id)).length > 0;

async function stillServesOthers(): Promise<void> {
  const started = performance.now();
  expect(str(await good.rpc.request(server.peer, 'echo', text('ok'), { timeoutMs: 2000 }))).toBe('ok');
  expect(performance.now() - started).toBeLessThan(1000);
}

describe('malformed frames', () => {
  it.each([
    ['an unknown frame kind', [0, 0, 0, 2, 0x7f, 0]],
    ['a length prefix over the frame limit', [0xff, 0xff, 0xff, 0xff, 1]],
    ['a REQUEST cut inside its header', [0, 0, 0, 3, 1, 0, 0]],
  ])('drop the peer that sends %s and no other', async (_what, garbage) => {
    await good.rpc.request(server.peer, 'echo', text('warm'));
    const evil = await hosts.start(20 + garbage.length + garbage[0]!);
    const stream = await evil.libp2p.dialProtocol(multiaddr(server.peer.addrs[0]!), '/ame/rldp/1', {
      signal: AbortSignal.timeout(5000),
    });
    stream.send(new Uint8Array(garbage));
    await until(() => !connected(server, evil), 5000, 'the server to drop the malformed peer');
    expect(connected(server, good)).toBe(true);
    await stillServesOthers();
  });
});

describe('unknown protocols', () => {
  it('are refused by libp2p itself, and the host carries on', async () => {
    const other = await hosts.start(30);
    let refused: unknown;
    try {
      await other.libp2p.dialProtocol(multiaddr(server.peer.addrs[0]!), '/ame/no-such-protocol/1', {
        signal: AbortSignal.timeout(5000),
      });
    } catch (error) {
      refused = error;
    }
    expect((refused as Error | undefined)?.name).toBe('UnsupportedProtocolError');
    await stillServesOthers();
  });
});

describe('a flood of requests from one peer', () => {
  it('gets that peer typed refusals and a disconnect while a second peer is served promptly', async () => {
    const flooder = await hosts.start(31, { rldp: { maxOutboundInFlight: 10_000, maxPendingRequests: 10_000 } });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 2000 }, (_, i) => flooder.rpc.request(server.peer, 'slow', new Uint8Array([i & 0xff]))),
    );
    const failures = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
    for (const f of failures) expect(f).toBeInstanceOf(NetError);
    const refused = failures.filter((f: NetError) => f.code === 'UNAVAILABLE' && f.remote);
    expect(refused.length).toBeGreaterThan(500);
    expect((refused[0] as NetError).message).toMatch(/peer limit/);
    expect(failures.length).toBeGreaterThanOrEqual(2000 - 256);
    expect(failures.every((f: NetError) => ['UNAVAILABLE', 'CLOSED'].includes(f.code))).toBe(true);
    expect(connected(server, flooder)).toBe(false);
    await stillServesOthers();
  });

  it('answers requests over the in-flight limit with UNAVAILABLE without dropping a peer that stops there', async () => {
    const eager = await hosts.start(32, { rldp: { maxOutboundInFlight: 1000 } });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 300 }, () => eager.rpc.request(server.peer, 'slow', new Uint8Array(1))),
    );
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused.length).toBe(300 - 256);
    expect(connected(server, eager)).toBe(true);
  });
});

describe('backpressure', () => {
  it('keeps the sender\'s buffered bytes bounded when a slow server is sent many large requests', async () => {
    const slowServer = await hosts.start(33, { rldp: { maxBufferedBytes: 128 * MiB } });
    slowServer.rpc.handle('slow-big', async (body) => {
      await sleep(30);
      return new Uint8Array([body.length >> 20]);
    });
    const sender = await hosts.start(34, { rldp: { maxQueuedBytes: 2 * MiB } });
    await sender.rpc.request(slowServer.peer, 'slow-big', new Uint8Array(MiB));
    let maxQueued = 0;
    let maxWaiting = 0;
    const sampler = setInterval(() => {
      const stats = sender.rldpStats(slowServer.id);
      maxQueued = Math.max(maxQueued, stats?.queuedBytes ?? 0);
      maxWaiting = Math.max(maxWaiting, stats?.outboundWaiting ?? 0);
    }, 1);
    const replies = await Promise.all(
      Array.from({ length: 48 }, () => sender.rpc.request(slowServer.peer, 'slow-big', new Uint8Array(MiB))),
    );
    clearInterval(sampler);
    expect(replies.every((r) => r[0] === 1)).toBe(true);
    expect(maxWaiting).toBeGreaterThan(0);
    expect(maxQueued).toBeGreaterThan(0);
    // The queue's bound plus at most one frame (and its joined neighbours) inside the stream.
    expect(maxQueued).toBeLessThanOrEqual(2 * MiB + MiB + 128 * 1024);
  });
});
