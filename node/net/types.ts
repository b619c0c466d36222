/**
 * What the protocol layers above net (ring, consensus, worker) may use of the network: request/response (RLDP),
 * small datagrams (ARNL) and a clock. Two implementations share these interfaces: the libp2p host (real TCP) and
 * the in-process network of the deterministic simulator, so the same protocol code runs on both.
 */

/** A peer: its PeerId (base58 string) and the multiaddrs it may be dialled on (empty: already known or in-process). */
export interface PeerRef {
  readonly id: string;
  readonly addrs: readonly string[];
}

export interface RequestContext {
  /** PeerId of the caller, authenticated by the transport (noise) — never taken from the request body. */
  readonly peer: string;
  /** Absolute deadline on the local clock (ms). */
  readonly deadline: number;
  /** Aborted when the deadline passes or the connection closes. */
  readonly signal: AbortSignal;
}

/**
 * Serves one method. It returns the reply bytes or throws a NetError with a remote code (sent back to the caller
 * with its message and data); any other thrown error is sent as UNAVAILABLE without its message.
 */
export type RequestHandler = (body: Uint8Array, ctx: RequestContext) => Promise<Uint8Array>;

export interface RequestOptions {
  /** Default: the transport's default deadline (10 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Reliable request/response between peers (RLDP, SPEC.md §4). */
export interface Rpc {
  /** The local peer. */
  readonly self: PeerRef;
  /** Registers the handler of `method` (one per method; registering twice throws). */
  handle(method: string, handler: RequestHandler): void;
  unhandle(method: string): void;
  /** Sends one request; rejects with NetError (remote errors have `remote: true`). */
  request(peer: PeerRef, method: string, body: Uint8Array, options?: RequestOptions): Promise<Uint8Array>;
}

export type DatagramHandler = (from: string, payload: Uint8Array) => void;

/** Fire-and-forget datagrams of at most 1 KiB between peers (ARNL, SPEC.md §4). Delivery is not guaranteed. */
export interface Datagrams {
  send(peer: PeerRef, topic: string, payload: Uint8Array): void;
  onDatagram(topic: string, handler: DatagramHandler): void;
}

/** Time as the protocol sees it: real on a host, virtual in the simulator. */
export interface Clock {
  /** Milliseconds (Unix time on a host; simulated time in the simulator). */
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

export type ClockTimer = { readonly __clockTimer: true } | ReturnType<typeof setTimeout>;

/** Randomness as the protocol sees it: crypto-grade on a host, seeded in the simulator. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  bytes(n: number): Uint8Array;
}

export interface Lifecycle {
  start(): Promise<void>;
  stop(): Promise<void>;
}
