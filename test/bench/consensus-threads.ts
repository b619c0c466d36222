/**
 * Worker threads of the consensus bench: each manager (and each member of the consensus-only rings, and each
 * crypto helper) runs in its own worker thread of this one process, with its own event loop, so n managers on
 * 2 cores share the cores as n machines would each use theirs, not one event loop. A `ThreadPool` reuses threads
 * from ring to ring. Main ↔ worker messages are `{id, cmd, args}` calls answered `{id, ok, result | error}`, plus
 * `{event, data}` notices from a worker. Also here: the hosts' connection limits and connecting a ring's hosts.
 */
import { parentPort, Worker } from 'node:worker_threads';
import { Ed25519KeyPair } from '../../node/crypto/index.ts';
import { createHost, type Host, type PeerRef } from '../../node/net/index.ts';

type Handler = (args: never) => unknown;

interface Call {
  readonly id: number;
  readonly cmd: string;
  readonly args: unknown;
}

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

interface Notice {
  readonly event: string;
  readonly data: unknown;
}

const WORKER = new URL('./consensus-worker.ts', import.meta.url);

/** The main side of one worker. */
export class BenchThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #listeners = new Map<string, (data: never) => void>();
  #next = 0;
  #exited = false;

  constructor() {
    this.#worker = new Worker(WORKER);
    this.#worker.on('message', (m: Reply | Notice) => {
      if ('event' in m) {
        this.#listeners.get(m.event)?.(m.data as never);
        return;
      }
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(new Error(m.error));
    });
    const fail = (error: Error) => {
      this.#exited = true;
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`bench worker exited (${code})`)));
  }

  call<T>(cmd: string, args: unknown = {}, transfer: readonly ArrayBuffer[] = []): Promise<T> {
    if (this.#exited) return Promise.reject(new Error('bench worker has exited'));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, cmd, args } satisfies Call, [...transfer]);
    });
  }

  on<T>(event: string, listener: (data: T) => void): void {
    this.#listeners.set(event, listener as (data: never) => void);
  }

  async terminate(): Promise<void> {
    this.#exited = true;
    await this.#worker.terminate();
  }
}

/** The bench's threads, started as needed and reused: each loads the node's modules once. */
export class ThreadPool {
  readonly #threads: BenchThread[] = [];

  /** The first `count` threads, starting more (and waiting for their imports) when there are fewer. */
  async take(count: number): Promise<BenchThread[]> {
    const fresh = Array.from({ length: Math.max(0, count - this.#threads.length) }, () => new BenchThread());
    this.#threads.push(...fresh);
    await Promise.all(fresh.map((t) => t.call('ready')));
    return this.#threads.slice(0, count);
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.splice(0).map((t) => t.terminate()));
  }
}

/** The worker side: answers each call with the handler `lookup` gives for its command. */
export function serve(lookup: (cmd: string) => Handler | undefined): void {
  const port = parentPort;
  if (port === null) throw new Error('serve() runs in a worker thread');
  port.on('message', (m: Call) => {
    const handler = lookup(m.cmd);
    Promise.resolve()
      .then(() => {
        if (handler === undefined) throw new Error(`unknown bench command ${m.cmd}`);
        return handler(m.args as never);
      })
      .then(
        (result) => port.postMessage({ id: m.id, ok: true, result } satisfies Reply),
        (error: unknown) => port.postMessage({ id: m.id, ok: false, error: String((error as Error)?.stack ?? error) } satisfies Reply),
      );
  });
}

/** A notice from a worker to the main thread. */
export function notify(event: string, data: unknown): void {
  parentPort?.postMessage({ event, data } satisfies Notice);
}


/**
 * Connection limits of the bench's hosts: many connections from 127.0.0.1 at once, and time for noise handshakes
 * while 16 threads share 2 cores.
 */
export const BENCH_CONNECTIONS = { inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 256, dialTimeoutMs: 30_000 };
const HELLO = 'bench/hello';

/** A started host that answers `bench/hello`, so peers can open their connections before a run. */
export async function benchHost(seed: Uint8Array): Promise<Host> {
  const host = createHost({ nodeKey: Ed25519KeyPair.fromSeed(seed), connections: BENCH_CONNECTIONS });
  await host.start();
  host.rpc.handle(HELLO, async () => new Uint8Array(0));
  return host;
}

/**
 * Opens the connections of a ring before it runs: this host dials every peer listed after it, one at a time (a
 * connection serves both directions), so a 16-member ring does not start 240 noise handshakes at once. Peers it
 * is not listed in (a client) dial everyone.
 */
export async function connectAll(host: Host, peers: readonly PeerRef[]): Promise<void> {
  const self = peers.findIndex((p) => p.id === host.id);
  for (const peer of peers.slice(self + 1)) {
    for (let attempt = 1; ; attempt++) {
      try {
        await host.rpc.request(peer, HELLO, new Uint8Array(0), { timeoutMs: 30_000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }
}

