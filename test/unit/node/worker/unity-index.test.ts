/**
 * The index server of a Unity (node/worker/unity-index.ts): temporary workers' beats make them offered until they
 * fall silent for liveMs; beats for another Unity or refused by `admit` are refused and never offered; blob offers
 * lead with a temporary worker in the configured share of the offers; mail offers are the same rendezvous order
 * for one key on every index server; introductions that are expired, signed by a non-manager, for another Unity or
 * chain, or tampered with are refused with their typed code; arbitrary bodies give typed refusals only.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ed25519KeyPair, sha256, toHex, utf8 } from '../../../../node/crypto/index.ts';
import { NetError, type Clock, type PeerRef } from '../../../../node/net/index.ts';
import { fixedLatency, SimNetwork, type SimPeer } from '../../../../node/net/sim/index.ts';
import { genesisMap } from '../../../../node/ring/genesis.ts';
import { viewOf, type UnityView } from '../../../../node/ring/service/view.ts';
import { WORKER_ERROR_CODES, WorkerError } from '../../../../node/worker/errors.ts';
import { encodeIntroduction, signIntroduction, type SignedIntroduction } from '../../../../node/worker/introduction.ts';
import {
  MAX_OFFER,
  WORKER_BEAT_METHOD,
  workerBeat,
  workerBeatReply,
  WORKERS_METHOD,
  workersReply,
  workersRequest,
  type KeyKind,
} from '../../../../node/worker/introduction-protocol.ts';
import { fromRemote } from '../../../../node/worker/serve/remote-errors.ts';
import { requestWorkers, sendWorkerBeat } from '../../../../node/worker/introduction-protocol.ts';
import { UnityIndex, type UnityIndexOptions } from '../../../../node/worker/unity-index.ts';
import { codeOf } from '../../../support/error-code.ts';
import { mutation } from '../../../support/mutation.ts';
import { labelledBytes, seededRandom } from '../../../support/seeded.ts';

const CHAIN = sha256(utf8('unity-index test chain'));
const MANAGER = Ed25519KeyPair.generate(labelledBytes('manager 0'));
const OTHER_MANAGER = Ed25519KeyPair.generate(labelledBytes('manager 1'));
const STRANGER = Ed25519KeyPair.generate(labelledBytes('not a manager'));
const LIVE_MS = 60_000;

const SERVERS: PeerRef[] = Array.from({ length: 12 }, (_, i) => ({
  id: `s${String(i).padStart(3, '0')}`,
  addrs: [`/ip4/10.0.0.${i + 1}/tcp/4001`],
}));
const MAP = genesisMap({ unities: 2, servers: SERVERS, serversPerUnity: 6, epoch: 1n });
const VIEW0: UnityView = viewOf(MAP, 0);
const VIEW1: UnityView = viewOf(MAP, 1);
const UNITY0 = VIEW0.unity.id;
const UNITY1 = VIEW1.unity.id;

/** A clock the test sets; the index only reads it. */
class FakeClock implements Clock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  setTimeout(): never {
    throw new Error('the index sets no timers');
  }
  clearTimeout(): void {}
}

function introduction(o: { unity?: string; chain?: Uint8Array; key?: Uint8Array; expires?: number; by?: Ed25519KeyPair } = {}): SignedIntroduction {
  return signIntroduction(
    {
      chain: o.chain ?? CHAIN,
      client: 'AclientAddress',
      key: o.key ?? sha256(utf8('a blob')),
      unity: o.unity ?? UNITY0,
      expires: o.expires ?? 10_000_000,
    },
    o.by ?? MANAGER,
  );
}

const ask = (signed: SignedIntroduction, kind: KeyKind = 'blob') => workersRequest.encode({ introduction: encodeIntroduction(signed), kind });
const beatBody = (unity = UNITY0, addrs = ['/ip4/192.168.1.7/tcp/4001']) => workerBeat.encode({ unity, addrs });
const ids = (peers: readonly PeerRef[]) => peers.map((p) => p.id);

interface Direct {
  readonly index: UnityIndex;
  readonly clock: FakeClock;
  offer(signed?: SignedIntroduction, kind?: KeyKind): readonly PeerRef[];
}

/** An index called directly (no network), on a fake clock. */
function direct(options: Partial<UnityIndexOptions> & { seed?: number; viewOf?: () => UnityView | undefined } = {}): Direct {
  const clock = new FakeClock();
  const net = new SimNetwork({ seed: 1 });
  const index = new UnityIndex({
    rpc: net.addPeer(SERVERS[0]!),
    chain: CHAIN,
    managers: () => [MANAGER.publicKey.bytes, OTHER_MANAGER.publicKey.bytes],
    view: options.viewOf ?? (() => VIEW0),
    clock,
    random: seededRandom(options.seed ?? 7),
    ...options,
  });
  return { index, clock, offer: (signed = introduction(), kind = 'blob') => workersReply.decode(index.workers(ask(signed, kind))).offer };
}

describe('over the simulated network', () => {
  let net: SimNetwork;
  let server: SimPeer;
  let temp: SimPeer;
  let client: SimPeer;
  let index: UnityIndex;
  let admitted: Set<string> | undefined;
  /** When the index last asked `admit`: the time it records a beat at. */
  let beatAt = -1;

  /** Runs virtual time in 1 ms steps until `promise` settles. */
  async function drive<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    watched.catch(() => {});
    for (let t = 0; t < 1_000 && !done; t++) await net.clock.advance(1);
    return watched;
  }

  /** The remote code of a refusal, "WorkerError:…" or the NetError code; 'ok' when it succeeds. */
  async function outcome(promise: Promise<unknown>): Promise<string> {
    try {
      await drive(promise);
      return 'ok';
    } catch (thrown) {
      const error = fromRemote(thrown);
      if (error instanceof WorkerError && error.code === 'REFUSED') return error.remote!;
      if (error instanceof NetError) return `NetError:${error.code}`;
      throw error;
    }
  }

  beforeEach(() => {
    net = new SimNetwork({ seed: 3, linkLatency: fixedLatency(2), deadPeer: 'immediate' });
    server = net.addPeer(SERVERS[0]!);
    temp = net.addPeer({ id: 'temp-1', addrs: ['/ip4/192.168.1.7/tcp/4001'] });
    client = net.addPeer('client');
    admitted = undefined;
    index = new UnityIndex({
      rpc: server,
      chain: CHAIN,
      managers: () => [MANAGER.publicKey.bytes],
      view: () => VIEW0,
      clock: net.clock,
      random: seededRandom(11),
      share: 1,
      liveMs: LIVE_MS,
      admit: (peer, unity) => {
        beatAt = net.clock.now();
        return unity === UNITY0 && (admitted === undefined || admitted.has(peer));
      },
    });
    index.attach();
  });
  afterEach(() => index.detach());

  it('offers a temporary worker that beats, with the addresses it beat with, first when share is 1', async () => {
    const before = await drive(requestWorkers(client, server.self, encodeIntroduction(introduction()), 'blob'));
    expect(ids(before).sort()).toEqual(ids(VIEW0.unity.servers).sort());
    expect(before.find((p) => p.id === 's003')!.addrs).toEqual(['/ip4/10.0.0.4/tcp/4001']);

    const liveMs = await drive(sendWorkerBeat(temp, server.self, { unity: UNITY0, addrs: ['/ip4/192.168.1.7/tcp/4001'] }));
    expect(liveMs).toBe(LIVE_MS);
    expect(index.live()).toEqual([{ id: 'temp-1', addrs: ['/ip4/192.168.1.7/tcp/4001'] }]);

    const offer = await drive(requestWorkers(client, server.self, encodeIntroduction(introduction()), 'blob'));
    expect(offer[0]).toEqual({ id: 'temp-1', addrs: ['/ip4/192.168.1.7/tcp/4001'] });
    expect(ids(offer).sort()).toEqual([...ids(VIEW0.unity.servers), 'temp-1'].sort());
    expect(index.stats()).toMatchObject({ offers: 2, ledByTemporary: 1, beats: 1, refused: 0 });
  });

  it('stops offering a temporary worker silent for liveMs, and offers it again once it beats', async () => {
    await drive(sendWorkerBeat(temp, server.self, { unity: UNITY0, addrs: [] }));
    const seen = beatAt;
    await net.clock.runUntil(seen + LIVE_MS - 1);
    expect(ids(index.live())).toEqual(['temp-1']);
    await net.clock.runUntil(seen + LIVE_MS);
    expect(index.live()).toEqual([]);
    const offer = await drive(requestWorkers(client, server.self, encodeIntroduction(introduction()), 'blob'));
    expect(ids(offer)).not.toContain('temp-1');
    expect(ids(VIEW0.unity.servers)).toContain(offer[0]!.id);

    await drive(sendWorkerBeat(temp, server.self, { unity: UNITY0, addrs: [] }));
    const again = await drive(requestWorkers(client, server.self, encodeIntroduction(introduction()), 'blob'));
    expect(again[0]!.id).toBe('temp-1');
  });

  it('refuses a beat for another Unity, and one admit refuses, and offers neither', async () => {
    expect(await outcome(sendWorkerBeat(temp, server.self, { unity: UNITY1, addrs: [] }))).toBe('WorkerError:WRONG_UNITY');
    admitted = new Set(['someone-else']);
    expect(await outcome(sendWorkerBeat(temp, server.self, { unity: UNITY0, addrs: [] }))).toBe('WorkerError:WRONG_UNITY');
    expect(index.live()).toEqual([]);
    const offer = await drive(requestWorkers(client, server.self, encodeIntroduction(introduction()), 'blob'));
    expect(ids(offer)).not.toContain('temp-1');
    expect(index.stats()).toMatchObject({ beats: 0, refused: 2, ledByTemporary: 0 });
  });

  it('sends refusals of introductions across the wire with their codes', async () => {
    const refused = (signed: SignedIntroduction) => outcome(requestWorkers(client, server.self, encodeIntroduction(signed), 'mail'));
    expect(await refused(introduction({ expires: 1 }))).toBe('WorkerError:EXPIRED');
    expect(await refused(introduction({ by: STRANGER }))).toBe('WorkerError:NOT_MANAGER');
    expect(await refused(introduction({ unity: UNITY1 }))).toBe('WorkerError:WRONG_UNITY');
    expect(await outcome(client.request(server.self, WORKERS_METHOD, Uint8Array.of(0xff)))).toBe('WorkerError:MALFORMED');
    expect(index.stats().refused).toBe(4);
  });

  it('answers nothing once detached', async () => {
    index.detach();
    expect(await outcome(sendWorkerBeat(temp, server.self, { unity: UNITY0, addrs: [] }))).toBe('NetError:UNAVAILABLE');
    index.attach();
    expect(await outcome(sendWorkerBeat(temp, server.self, { unity: UNITY0, addrs: [] }))).toBe('ok');
  });
});

describe('the share of blob offers led by a temporary worker', () => {
  const TEMPS = ['t-a', 't-b', 't-c'];

  function withTemps(share: number, seed: number): Direct {
    const d = direct({ share, seed });
    for (const id of TEMPS) d.index.beat(beatBody(), id);
    return d;
  }

  it('is every offer with share 1 and none with share 0', () => {
    const all = withTemps(1, 1);
    const none = withTemps(0, 2);
    for (let i = 0; i < 200; i++) {
      expect(TEMPS).toContain(all.offer()[0]!.id);
      expect(ids(VIEW0.unity.servers)).toContain(none.offer()[0]!.id);
    }
    expect(all.index.stats()).toMatchObject({ offers: 200, ledByTemporary: 200 });
    expect(none.index.stats()).toMatchObject({ offers: 200, ledByTemporary: 0 });
  });

  it('is within a tight binomial bound of 0.3 over 1,000 offers, and every peer leads sometimes', () => {
    const d = withTemps(0.3, 42);
    const leads = new Map<string, number>();
    for (let i = 0; i < 1_000; i++) {
      const offer = d.offer();
      // Every offer names every server and every live temporary worker exactly once.
      expect(ids(offer).sort()).toEqual([...ids(VIEW0.unity.servers), ...TEMPS].sort());
      leads.set(offer[0]!.id, (leads.get(offer[0]!.id) ?? 0) + 1);
    }
    const byTemporary = TEMPS.reduce((n, id) => n + (leads.get(id) ?? 0), 0);
    // Binomial(1000, 0.3): mean 300, standard deviation 14.5; ±4 sd.
    expect(byTemporary).toBeGreaterThanOrEqual(242);
    expect(byTemporary).toBeLessThanOrEqual(358);
    expect(d.index.stats().ledByTemporary).toBe(byTemporary);
    // Leads among temporary workers (100 each) and servers (≈117 each) are spread uniformly.
    for (const id of TEMPS) expect(leads.get(id)).toBeGreaterThan(50);
    for (const id of ids(VIEW0.unity.servers)) expect(leads.get(id)).toBeGreaterThan(60);
  });

  it('leads with a server when no temporary worker is live, whatever the share', () => {
    const d = direct({ share: 1 });
    for (let i = 0; i < 20; i++) expect(ids(VIEW0.unity.servers)).toContain(d.offer()[0]!.id);
    expect(d.index.stats().ledByTemporary).toBe(0);
  });
});

describe('mail offers', () => {
  /** The rendezvous order computed here, independently: SHA-256(key ‖ id) as hex, descending. */
  const expected = (key: Uint8Array) =>
    [...VIEW0.unity.servers].sort((a, b) => (toHex(sha256(new Uint8Array([...key, ...utf8(b.id)]))) < toHex(sha256(new Uint8Array([...key, ...utf8(a.id)]))) ? -1 : 1));

  it('are the same rendezvous order of the servers on every call and every index server of the Unity', () => {
    const a = direct({ seed: 1 });
    const b = direct({ seed: 99, share: 1 });
    for (const id of ['t-a', 't-b']) b.index.beat(beatBody(), id);
    const key = sha256(utf8('mailbox 1'));
    const first = a.offer(introduction({ key }), 'mail');
    expect(first).toEqual(expected(key));
    for (let i = 0; i < 20; i++) {
      expect(a.offer(introduction({ key }), 'mail')).toEqual(first);
      expect(b.offer(introduction({ key }), 'mail')).toEqual(first);
    }
    // Temporary workers are never offered for a mailbox.
    expect(ids(b.offer(introduction({ key }), 'mail'))).not.toContain('t-a');
  });

  it('differ in order for different keys', () => {
    const d = direct();
    const orders = new Set<string>();
    const firsts = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const key = sha256(utf8(`mailbox ${i}`));
      const offer = d.offer(introduction({ key }), 'mail');
      expect(offer).toEqual(expected(key));
      orders.add(ids(offer).join());
      firsts.add(offer[0]!.id);
    }
    expect(orders.size).toBeGreaterThan(25);
    expect(firsts.size).toBe(VIEW0.unity.servers.length);
  });
});

describe('introductions', () => {
  it('are refused with their typed code', () => {
    const d = direct();
    const code = (body: Uint8Array) => codeOf(() => d.index.workers(body), WorkerError);
    expect(code(ask(introduction()))).toBeUndefined();
    expect(code(ask(introduction({ expires: d.clock.now() })))).toBe('EXPIRED');
    expect(code(ask(introduction({ expires: d.clock.now() + 1 })))).toBeUndefined();
    expect(code(ask(introduction({ by: STRANGER })))).toBe('NOT_MANAGER');
    expect(code(ask(introduction({ by: OTHER_MANAGER })))).toBeUndefined();
    expect(code(ask(introduction({ unity: UNITY1 })))).toBe('WRONG_UNITY');
    expect(code(ask(introduction({ chain: sha256(utf8('another chain')) })))).toBe('WRONG_UNITY');
    const signed = introduction();
    const tampered = (change: Partial<SignedIntroduction['introduction']>) => ask({ ...signed, introduction: { ...signed.introduction, ...change } });
    expect(code(tampered({ client: 'AsomeoneElse' }))).toBe('BAD_SIGNATURE');
    expect(code(tampered({ expires: signed.introduction.expires + 1 }))).toBe('BAD_SIGNATURE');
    expect(code(tampered({ key: sha256(utf8('another blob')) }))).toBe('BAD_SIGNATURE');
    expect(code(tampered({ manager: OTHER_MANAGER.publicKey.bytes }))).toBe('BAD_SIGNATURE');
    expect(code(workersRequest.encode({ introduction: encodeIntroduction(signed), kind: 'file' }))).toBe('MALFORMED');
    expect(code(workersRequest.encode({ introduction: Uint8Array.of(1, 2, 3), kind: 'blob' }))).toBe('MALFORMED');
  });

  it('follow the manager set as it is now', () => {
    let managers = [MANAGER.publicKey.bytes];
    const d = direct({ managers: () => managers });
    expect(d.offer().length).toBe(6);
    managers = [OTHER_MANAGER.publicKey.bytes];
    expect(codeOf(() => d.offer(), WorkerError)).toBe('NOT_MANAGER');
  });

  it('are refused WRONG_UNITY while the server has no view, and so are beats', () => {
    const d = direct({ viewOf: () => undefined });
    expect(codeOf(() => d.offer(), WorkerError)).toBe('WRONG_UNITY');
    expect(codeOf(() => d.index.beat(beatBody(), 't-a'), WorkerError)).toBe('WRONG_UNITY');
    expect(d.index.live()).toEqual([]);
  });
});

describe('the table of temporary workers', () => {
  it('holds at most capacity live workers: a new one is refused UNAVAILABLE until one falls silent', () => {
    const d = direct({ share: 1 });
    for (let i = 0; i < MAX_OFFER; i++) d.index.beat(beatBody(), `t-${i}`);
    expect(() => d.index.beat(beatBody(), 'late')).toThrow(NetError);
    expect(codeOf(() => d.index.beat(beatBody(), 'late'), NetError)).toBe('UNAVAILABLE');
    // One already there keeps beating.
    d.clock.t += LIVE_MS / 2;
    for (let i = 1; i < MAX_OFFER; i++) d.index.beat(beatBody(), `t-${i}`);
    expect(d.index.live().length).toBe(MAX_OFFER);
    // t-0 falls silent: its place frees.
    d.clock.t += LIVE_MS / 2;
    expect(d.index.live().length).toBe(MAX_OFFER - 1);
    d.index.beat(beatBody(), 'late');
    expect(ids(d.index.live())).toContain('late');
    expect(ids(d.index.live())).not.toContain('t-0');
    // An offer never names more than MAX_OFFER peers (6 servers + 64 temporary workers here).
    expect(d.offer().length).toBe(MAX_OFFER);
  });

  it('drops the workers of the old Unity when the server’s view changes to another Unity', () => {
    let view = VIEW0;
    const d = direct({ share: 1, viewOf: () => view });
    d.index.beat(beatBody(), 't-a');
    view = VIEW1;
    expect(d.index.live()).toEqual([]);
    expect(ids(d.offer(introduction({ unity: UNITY1 })))).toEqual(expect.not.arrayContaining(['t-a']));
    expect(ids(d.offer(introduction({ unity: UNITY1 }))).sort()).toEqual(ids(VIEW1.unity.servers).sort());
  });

  it('keeps the latest addresses of a worker that beats again', () => {
    const d = direct();
    d.index.beat(beatBody(UNITY0, ['/ip4/1.1.1.1/tcp/1']), 't-a');
    d.index.beat(beatBody(UNITY0, ['/ip4/2.2.2.2/tcp/2']), 't-a');
    expect(d.index.live()).toEqual([{ id: 't-a', addrs: ['/ip4/2.2.2.2/tcp/2'] }]);
    expect(workerBeatReply.decode(d.index.beat(beatBody(), 't-a')).liveMs).toBe(LIVE_MS);
  });
});

describe('options', () => {
  it('refuses a share outside [0, 1] and a liveMs that is not a positive integer', () => {
    for (const bad of [{ share: -0.1 }, { share: 1.5 }, { share: Number.NaN }, { liveMs: 0 }, { liveMs: 1.5 }, { capacity: -1 }]) {
      expect(codeOf(() => direct(bad), WorkerError)).toBe('BAD_VALUE');
    }
  });
});

describe('arbitrary bodies', () => {
  /** 'ok', or the code of a typed refusal; anything else fails the property. */
  function typed(fn: () => unknown): string {
    try {
      fn();
      return 'ok';
    } catch (error) {
      if (error instanceof WorkerError) {
        expect(WORKER_ERROR_CODES).toContain(error.code);
        return error.code;
      }
      if (error instanceof NetError && error.code === 'UNAVAILABLE') return error.code;
      throw error;
    }
  }

  it('give typed refusals, never a crash, on both methods', () => {
    const d = direct({ share: 0.5 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_048 }), fc.string({ maxLength: 130 }), (body, peer) => {
        typed(() => d.index.workers(body));
        typed(() => d.index.beat(body, peer));
      }),
      { numRuns: 500 },
    );
  });

  it('mutations of a valid request are refused typed, or answered with a well-formed offer', () => {
    const d = direct({ share: 0.5 });
    d.index.beat(beatBody(), 't-a');
    const valid = ask(introduction());
    const validBeat = beatBody();
    fc.assert(
      fc.property(mutation(valid), mutation(validBeat), fc.constantFrom('t-b', 't-c', ''), (body, beat, peer) => {
        try {
          const offer = workersReply.decode(d.index.workers(body)).offer;
          expect(offer.length).toBeGreaterThan(0);
          expect(offer.length).toBeLessThanOrEqual(MAX_OFFER);
        } catch (error) {
          if (!(error instanceof WorkerError)) throw error;
        }
        const result = typed(() => d.index.beat(beat, peer));
        if (result === 'ok') expect(ids(d.index.live())).toContain(peer);
      }),
      { numRuns: 500 },
    );
  });

  it('a handler over the wire never fails untyped', async () => {
    const net = new SimNetwork({ seed: 5, linkLatency: fixedLatency(1), deadPeer: 'immediate' });
    const server = net.addPeer(SERVERS[0]!);
    const client = net.addPeer('client');
    const index = new UnityIndex({
      rpc: server,
      chain: CHAIN,
      managers: () => [MANAGER.publicKey.bytes],
      view: () => VIEW0,
      clock: net.clock,
      random: seededRandom(3),
    });
    index.attach();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(WORKERS_METHOD, WORKER_BEAT_METHOD), async (body, method) => {
        const call = client.request(server.self, method, body).then(
          () => undefined,
          (error: unknown) => error,
        );
        await net.clock.advance(5);
        const error = await call;
        if (error !== undefined) {
          expect(error).toBeInstanceOf(NetError);
          // A typed refusal names its class and code; an untyped crash would arrive as UNAVAILABLE.
          expect((error as NetError).code).toBe('BAD_REQUEST');
          expect(new TextDecoder().decode((error as NetError).data)).toMatch(/^WorkerError:[A-Z_]+$/);
        }
      }),
      { numRuns: 200 },
    );
    index.detach();
  });
});
