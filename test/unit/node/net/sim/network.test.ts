import { describe, expect, it } from 'vitest';
import { NetError } from '../../../../../node/net/errors.ts';
import {
  fixedLatency,
  SimError,
  SimNetwork,
  uniformLatency,
  type SimNetworkOptions,
  type TraceEvent,
} from '../../../../../node/net/sim/index.ts';
import { codeOf } from '../../../../support/error-code.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

function pair(options: SimNetworkOptions = {}) {
  const net = new SimNetwork({ linkLatency: fixedLatency(10), ...options });
  return { net, a: net.addPeer('A'), b: net.addPeer({ id: 'B', addrs: ['/memory/B'] }) };
}

/** Settles `promise` by running the clock; returns the result or the NetError, and the time it settled. */
async function outcome<T>(net: SimNetwork, promise: Promise<T>) {
  let settledAt = -1;
  const result = promise.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error: error as NetError }),
  );
  void result.then(() => (settledAt = net.clock.now()));
  await net.clock.run();
  return { ...(await result), at: settledAt };
}

describe('SimNetwork requests', () => {
  it('carries a request and its reply with the link latency, naming the caller to the handler', async () => {
    const { net, a, b } = pair();
    b.handle('echo', async (body, ctx) => bytes(`${ctx.peer}:${text(body)}:${ctx.deadline}`));
    const { value, at } = await outcome(net, a.request(b.self, 'echo', bytes('hi'), { timeoutMs: 500 }));
    expect(text(value!)).toBe('A:hi:500');
    expect(at).toBe(20);
    expect(net.stats()).toMatchObject({ requests: 1, replies: 1 });
  });

  it('copies bodies both ways', async () => {
    const { net, a, b } = pair();
    const seen: Uint8Array[] = [];
    const reply = bytes('reply');
    b.handle('keep', async (body) => {
      seen.push(body);
      return reply;
    });
    const body = bytes('original');
    const promise = a.request(b.self, 'keep', body);
    body.fill(0);
    const { value } = await outcome(net, promise);
    reply.fill(0);
    expect(text(seen[0]!)).toBe('original');
    expect(text(value!)).toBe('reply');
  });

  it('delivers requests on one link in order despite jitter', async () => {
    const { net, a, b } = pair({ jitter: uniformLatency(0, 200), seed: 3 });
    const order: number[] = [];
    b.handle('n', async (body) => {
      order.push(body[0]!);
      return body;
    });
    const all = Promise.all(Array.from({ length: 30 }, (_, i) => a.request(b.self, 'n', new Uint8Array([i]))));
    await outcome(net, all);
    expect(order).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('fails a request with no reply by its deadline with TIMEOUT and aborts the handler', async () => {
    const { net, a, b } = pair();
    let aborted = -1;
    b.handle('hang', (_body, ctx) => {
      ctx.signal.addEventListener('abort', () => (aborted = net.clock.now()));
      return new Promise<Uint8Array>(() => {});
    });
    const { error, at } = await outcome(net, a.request(b.self, 'hang', bytes('x'), { timeoutMs: 300 }));
    expect(error).toBeInstanceOf(NetError);
    expect(error).toMatchObject({ code: 'TIMEOUT', remote: false });
    expect(at).toBe(300);
    expect(aborted).toBe(300);
    expect(net.stats().timeouts).toBe(1);
  });

  it('passes a remote error with its code, message and data; hides other failures as UNAVAILABLE', async () => {
    const { net, a, b } = pair();
    b.handle('stale', async () => {
      throw new NetError('WRONG_EPOCH', 'epoch 7 is stale', { data: bytes('fresh slice') });
    });
    b.handle('crash', async () => {
      throw new Error('secret internal detail');
    });
    b.handle('local', () => {
      throw new NetError('PEER_LIMIT', 'local condition');
    });
    const stale = await outcome(net, a.request(b.self, 'stale', bytes('')));
    expect(stale.error).toMatchObject({ code: 'WRONG_EPOCH', remote: true, message: 'epoch 7 is stale' });
    expect(text(stale.error!.data!)).toBe('fresh slice');
    const crash = await outcome(net, a.request(b.self, 'crash', bytes('')));
    expect(crash.error).toMatchObject({ code: 'UNAVAILABLE', remote: true });
    expect(crash.error!.message).not.toMatch(/secret/);
    expect((await outcome(net, a.request(b.self, 'local', bytes('')))).error).toMatchObject({ code: 'UNAVAILABLE' });
    const missing = await outcome(net, a.request(b.self, 'nope', bytes('')));
    expect(missing.error).toMatchObject({ code: 'UNAVAILABLE', remote: true });
    expect(missing.at).toBe(net.clock.now());
    expect(net.stats().remoteErrors).toBe(4);
  });

  it('enforces the size limit on requests (locally) and replies (remotely)', async () => {
    const { net, a, b } = pair({ maxMessageSize: 16 });
    b.handle('big', async () => new Uint8Array(17));
    expect((await outcome(net, a.request(b.self, 'big', new Uint8Array(17)))).error).toMatchObject({
      code: 'TOO_LARGE',
      remote: false,
    });
    expect((await outcome(net, a.request(b.self, 'big', new Uint8Array(1)))).error).toMatchObject({
      code: 'TOO_LARGE',
      remote: true,
    });
  });

  it('fails a request the caller aborts with CLOSED', async () => {
    const { net, a, b } = pair();
    b.handle('hang', () => new Promise<Uint8Array>(() => {}));
    const controller = new AbortController();
    net.clock.setTimeout(() => controller.abort('changed my mind'), 50);
    const { error, at } = await outcome(net, a.request(b.self, 'hang', bytes(''), { signal: controller.signal }));
    expect(error).toMatchObject({ code: 'CLOSED', cause: 'changed my mind' });
    expect(at).toBe(50);
    const aborted = AbortSignal.abort();
    expect((await outcome(net, a.request(b.self, 'hang', bytes(''), { signal: aborted }))).error?.code).toBe('CLOSED');
  });
});

describe('SimNetwork failures', () => {
  it('fails requests to a dead or unknown peer UNAVAILABLE at the deadline, or at once', async () => {
    for (const [deadPeer, when] of [
      ['deadline', 400],
      ['immediate', 0],
    ] as const) {
      const { net, a, b } = pair({ deadPeer });
      b.kill();
      const dead = await outcome(net, a.request(b.self, 'x', bytes(''), { timeoutMs: 400 }));
      expect(dead.error).toMatchObject({ code: 'UNAVAILABLE', remote: false });
      expect(dead.at).toBe(when);
      const start = net.clock.now();
      const unknown = await outcome(net, a.request({ id: 'ghost', addrs: [] }, 'x', bytes(''), { timeoutMs: 400 }));
      expect(unknown.error?.code).toBe('UNAVAILABLE');
      expect(unknown.at - start).toBe(when);
    }
  });

  it('aborts a handler whose process is killed and never sends its reply', async () => {
    const { net, a, b } = pair({ deadPeer: 'immediate' });
    let sawAbort = false;
    b.handle('slow', async (_body, ctx) => {
      await new Promise<void>((resolve) => net.clock.setTimeout(resolve, 100));
      sawAbort = ctx.signal.aborted;
      return bytes('late');
    });
    net.clock.setTimeout(() => b.kill(), 50);
    const { error, at } = await outcome(net, a.request(b.self, 'slow', bytes('')));
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect(at).toBe(50);
    expect(sawAbort).toBe(true);
  });

  it('restarts a peer without its handlers until the node registers them again', async () => {
    const { net, a, b } = pair();
    b.handle('ping', async () => bytes('pong'));
    b.kill();
    expect(b.alive).toBe(false);
    b.restart();
    expect(b.alive).toBe(true);
    const before = await outcome(net, a.request(b.self, 'ping', bytes('')));
    expect(before.error).toMatchObject({ code: 'UNAVAILABLE', remote: true });
    b.handle('ping', async () => bytes('pong again'));
    expect(text((await outcome(net, a.request(b.self, 'ping', bytes('')))).value!)).toBe('pong again');
  });

  it('fails the requests of a killed caller CLOSED and drops the replies meant for it', async () => {
    const { net, a, b } = pair();
    let handled = 0;
    b.handle('work', async () => {
      handled += 1;
      return bytes('done');
    });
    const pending = a.request(b.self, 'work', bytes(''));
    net.clock.setTimeout(() => a.kill(), 15);
    const { error, at } = await outcome(net, pending);
    expect(error).toMatchObject({ code: 'CLOSED' });
    expect(at).toBe(15);
    expect(handled).toBe(1);
    expect((await outcome(net, a.request(b.self, 'work', bytes('')))).error?.code).toBe('CLOSED');
  });

  it('cuts and heals links', async () => {
    const { net, a, b } = pair({ deadPeer: 'immediate' });
    b.handle('ping', async () => bytes('pong'));
    let got = 0;
    b.onDatagram('t', () => (got += 1));
    net.cut('A', 'B');
    expect((await outcome(net, a.request(b.self, 'ping', bytes('')))).error?.code).toBe('UNAVAILABLE');
    a.send(b.self, 't', bytes('lost'));
    await net.clock.run();
    expect(got).toBe(0);
    net.heal();
    expect(text((await outcome(net, a.request(b.self, 'ping', bytes('')))).value!)).toBe('pong');
    a.send(b.self, 't', bytes('arrives'));
    await net.clock.run();
    expect(got).toBe(1);
  });

  it('refuses misuse with typed errors', async () => {
    const { net, b } = pair();
    expect(codeOf(() => net.addPeer('A'), SimError)).toBe('DUPLICATE_PEER');
    expect(codeOf(() => net.peer('nobody'), SimError)).toBe('UNKNOWN_PEER');
    b.handle('m', async () => bytes(''));
    expect(codeOf(() => b.handle('m', async () => bytes('')), SimError)).toBe('DUPLICATE_HANDLER');
    b.onDatagram('t', () => {});
    expect(codeOf(() => b.onDatagram('t', () => {}), SimError)).toBe('DUPLICATE_HANDLER');
    expect(codeOf(() => new SimNetwork({ loss: 2 }), SimError)).toBe('BAD_ARGUMENT');
    await expect(b.request(b.self, 'm', bytes(''), { timeoutMs: -1 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(net.peer('B')).toBe(b);
    expect(net.peers.map((p) => p.self.id)).toEqual(['A', 'B']);
  });
});

describe('SimNetwork datagrams', () => {
  it('delivers datagrams after the link latency and refuses ones over 1 KiB', async () => {
    const { net, a, b } = pair();
    const got: string[] = [];
    b.onDatagram('hello', (from, payload) => got.push(`${from}:${text(payload)}@${net.clock.now()}`));
    a.send(b.self, 'hello', bytes('hi'));
    a.send(b.self, 'other-topic', bytes('nobody listens'));
    await net.clock.run();
    expect(got).toEqual(['A:hi@10']);
    expect(() => a.send(b.self, 'hello', new Uint8Array(1025))).toThrowError(NetError);
    expect(net.stats()).toMatchObject({ datagramsSent: 2, datagramsDelivered: 1, datagramsLost: 1 });
  });

  it('loses about the configured share of datagrams', async () => {
    const { net, a, b } = pair({ loss: 0.3, seed: 'loss' });
    let got = 0;
    b.onDatagram('t', () => (got += 1));
    for (let i = 0; i < 4000; i++) a.send(b.self, 't', new Uint8Array([1]));
    await net.clock.run();
    expect(Math.abs(got - 2800)).toBeLessThan(120);
    expect(net.stats().datagramsLost).toBe(4000 - got);
  });

  it('surfaces a throwing datagram handler, or hands it to onHandlerError', async () => {
    const failing = pair();
    failing.b.onDatagram('t', () => {
      throw new Error('handler bug');
    });
    failing.a.send(failing.b.self, 't', bytes(''));
    await expect(failing.net.clock.run()).rejects.toThrow('handler bug');
    const seen: string[] = [];
    const caught = pair({ onHandlerError: (_e, where) => seen.push(`${where.peer}/${where.topic}`) });
    caught.b.onDatagram('t', () => {
      throw new Error('handler bug');
    });
    caught.a.send(caught.b.self, 't', bytes(''));
    await caught.net.clock.run();
    expect(seen).toEqual(['B/t']);
  });
});

describe('SimNetwork determinism', () => {
  /** Ten peers exchanging requests and lossy datagrams at random; returns every network event in order. */
  async function scenario(seed: string): Promise<TraceEvent[]> {
    const trace: TraceEvent[] = [];
    const net = new SimNetwork({ seed, loss: 0.2, jitter: uniformLatency(0, 30), trace: (e) => trace.push(e) });
    const peers = Array.from({ length: 10 }, (_, i) => net.addPeer(`p${i}`));
    const chooser = net.random.fork('scenario');
    for (const peer of peers) {
      peer.handle('relay', async (body) => {
        if (body[0]! > 0) {
          const next = peers[chooser.int(peers.length)]!;
          await peer.request(next.self, 'relay', new Uint8Array([body[0]! - 1])).catch(() => undefined);
        }
        return body;
      });
      peer.onDatagram('gossip', () => {});
    }
    for (let i = 0; i < 40; i++) {
      const from = peers[chooser.int(10)]!;
      const to = peers[chooser.int(10)]!;
      net.clock.setTimeout(() => {
        from.send(to.self, 'gossip', new Uint8Array([i]));
        void from.request(to.self, 'relay', new Uint8Array([3])).catch(() => undefined);
      }, chooser.int(500));
    }
    net.clock.setTimeout(() => peers[4]!.kill(), 250);
    await net.clock.run();
    return trace;
  }

  it('replays the same events in the same order from the same seed, and others from another seed', async () => {
    const first = await scenario('det');
    const again = await scenario('det');
    expect(first.length).toBeGreaterThan(200);
    expect(again).toEqual(first);
    expect(await scenario('other')).not.toEqual(first);
  });
});
