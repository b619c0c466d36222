/** RLDP between real libp2p hosts on loopback: requests, pipelining, one stream per pair, deadlines, sizes, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetError, type Host } from '../../../../node/net/index.ts';
import { bytes, failure, Hosts, rldpStreams, str, text, until } from './fixtures.ts';

const hosts = new Hosts();
let a: Host;
let b: Host;
const MiB = 1024 * 1024;

beforeAll(async () => {
  a = await hosts.start(1);
  b = await hosts.start(2, { rldp: { maxMessageBytes: 16 * MiB } });
  b.rpc.handle('echo', async (body) => body);
});
afterAll(() => hosts.stopAll());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RLDP request/response', () => {
  it('answers a request', async () => {
    expect(str(await a.rpc.request(b.peer, 'echo', text('hello')))).toBe('hello');
    expect(await a.rpc.request(b.peer, 'echo', new Uint8Array(0))).toEqual(new Uint8Array(0));
  });

  it('pipelines 40 requests whose handlers finish in reverse order, matching replies by id', async () => {
    let running = 0;
    let peak = 0;
    const finished: number[] = [];
    b.rpc.handle('slow-reverse', async (body) => {
      const i = body[0]!;
      running += 1;
      peak = Math.max(peak, running);
      await sleep((40 - i) * 4);
      running -= 1;
      finished.push(i);
      return new Uint8Array([i, i * 2]);
    });
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => a.rpc.request(b.peer, 'slow-reverse', new Uint8Array([i]))),
    );
    replies.forEach((r, i) => expect([...r]).toEqual([i, (i * 2) & 0xff]));
    expect(peak).toBeGreaterThanOrEqual(32);
    expect(finished.slice(0, 5)).toEqual([39, 38, 37, 36, 35]);
  });

  it('serves a request the host sends to itself, off the network', async () => {
    b.rpc.handle('whoami', async (_body, ctx) => text(ctx.peer));
    expect(str(await b.rpc.request(b.peer, 'whoami', new Uint8Array(0)))).toBe(b.id);
  });
});

describe('one RLDP stream per peer pair', () => {
  it('keeps exactly one stream after many requests in both directions, opened at the same moment', async () => {
    const c = await hosts.start(3);
    const d = await hosts.start(4);
    c.rpc.handle('echo', async (body) => body);
    d.rpc.handle('echo', async (body) => body);
    const burst = () =>
      Promise.all([
        ...Array.from({ length: 100 }, (_, i) => c.rpc.request(d.peer, 'echo', new Uint8Array([i]))),
        ...Array.from({ length: 100 }, (_, i) => d.rpc.request(c.peer, 'echo', new Uint8Array([i]))),
      ]);
    const first = await burst();
    first.forEach((r, i) => expect(r[0]).toBe(i % 100));
    await until(() => rldpStreams(c, d) === 1 && rldpStreams(d, c) === 1, 3000, 'a single RLDP stream');
    await burst();
    await sleep(50);
    expect(rldpStreams(c, d)).toBe(1);
    expect(rldpStreams(d, c)).toBe(1);
    expect(c.rldpStats(d.id)?.streams).toBe(1);
  });
});

describe('RLDP deadlines', () => {
  it('rejects with TIMEOUT and aborts the handler, whose deadline is the remaining time', async () => {
    let seen: { deadline: number; arrived: number } | undefined;
    const aborted = Promise.withResolvers<unknown>();
    b.rpc.handle('hang', (_body, ctx) => {
      seen = { deadline: ctx.deadline, arrived: Date.now() };
      ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
      return new Promise(() => {});
    });
    const started = Date.now();
    const error = await failure(a.rpc.request(b.peer, 'hang', new Uint8Array(1), { timeoutMs: 300 }));
    expect(error.code).toBe('TIMEOUT');
    expect(error.remote).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const reason = await aborted.promise;
    expect(reason).toBeInstanceOf(NetError);
    expect(seen!.deadline - seen!.arrived).toBeGreaterThan(150);
    expect(seen!.deadline - seen!.arrived).toBeLessThanOrEqual(300);
    expect(b.rldpStats(a.id)?.inboundInFlight).toBe(0);
  });

  it('rejects with CLOSED when the caller aborts, and the handler hears of it', async () => {
    const aborted = Promise.withResolvers<void>();
    b.rpc.handle('hang2', (_body, ctx) => {
      ctx.signal.addEventListener('abort', () => aborted.resolve());
      return new Promise(() => {});
    });
    const controller = new AbortController();
    const pending = a.rpc.request(b.peer, 'hang2', new Uint8Array(1), { signal: controller.signal });
    await sleep(50);
    controller.abort();
    expect((await failure(pending)).code).toBe('CLOSED');
    await aborted.promise;
  });
});

describe('RLDP sizes', () => {
  it('chunks a 10 MiB request and its 10 MiB reply and reassembles both', async () => {
    const payload = new Uint8Array(10 * MiB);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = (i / 4096) & 0xff;
    const reply = await a.rpc.request(b.peer, 'echo', payload, { timeoutMs: 10_000 });
    expect(reply.length).toBe(payload.length);
    expect(Buffer.compare(reply, payload)).toBe(0);
  });

  it('refuses a request above maxMessageBytes before sending it (TOO_LARGE, local)', async () => {
    const error = await failure(a.rpc.request(b.peer, 'echo', new Uint8Array(64 * MiB + 1)));
    expect(error.code).toBe('TOO_LARGE');
    expect(error.remote).toBe(false);
  });

  it('answers TOO_LARGE for a request above the receiver\'s limit and for a reply above the sender\'s', async () => {
    const small = await hosts.start(5, { rldp: { maxMessageBytes: 1 * MiB } });
    small.rpc.handle('echo', async (body) => body);
    const error = await failure(a.rpc.request(small.peer, 'echo', bytes(MiB + 1)));
    expect([error.code, error.remote]).toEqual(['TOO_LARGE', true]);
    b.rpc.handle('big', async () => new Uint8Array(2 * MiB));
    const local = await failure(small.rpc.request(b.peer, 'big', new Uint8Array(0)));
    expect([local.code, local.remote]).toEqual(['TOO_LARGE', false]);
    b.rpc.handle('huge', async () => new Uint8Array(16 * MiB + 1));
    const remote = await failure(a.rpc.request(b.peer, 'huge', new Uint8Array(0)));
    expect([remote.code, remote.remote]).toEqual(['TOO_LARGE', true]);
    expect(str(await small.rpc.request(b.peer, 'echo', text('still fine')))).toBe('still fine');
  });
});

describe('RLDP errors', () => {
  it('delivers a remote NetError with its code, message and data intact', async () => {
    const slice = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
    b.rpc.handle('epoch', async () => {
      throw new NetError('WRONG_EPOCH', 'epoch 3 is stale; now 4', { data: slice });
    });
    const error = await failure(a.rpc.request(b.peer, 'epoch', new Uint8Array(1)));
    expect(error.code).toBe('WRONG_EPOCH');
    expect(error.remote).toBe(true);
    expect(error.message).toBe('epoch 3 is stale; now 4');
    expect(error.data).toEqual(slice);
  });

  it('answers an unknown method with UNAVAILABLE (remote)', async () => {
    const error = await failure(a.rpc.request(b.peer, 'no.such.method', new Uint8Array(1)));
    expect([error.code, error.remote]).toEqual(['UNAVAILABLE', true]);
  });

  it('answers a handler\'s plain Error with UNAVAILABLE, without its message', async () => {
    b.rpc.handle('buggy', async () => {
      throw new Error('secret: /var/lib/ame/db is corrupt');
    });
    b.rpc.handle('buggy-sync', () => {
      throw new TypeError('secret sync failure');
    });
    for (const method of ['buggy', 'buggy-sync']) {
      const error = await failure(a.rpc.request(b.peer, method, new Uint8Array(1)));
      expect([error.code, error.remote]).toEqual(['UNAVAILABLE', true]);
      expect(error.message).not.toMatch(/secret/);
    }
  });

  it('refuses bad method names and double registration with BAD_REQUEST', async () => {
    expect((await failure(a.rpc.request(b.peer, '', new Uint8Array(0)))).code).toBe('BAD_REQUEST');
    expect((await failure(a.rpc.request(b.peer, 'x'.repeat(256), new Uint8Array(0)))).code).toBe('BAD_REQUEST');
    expect(() => b.rpc.handle('echo', async (body) => body)).toThrow(NetError);
  });
});
