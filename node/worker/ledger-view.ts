/**
 * A worker's view of the ledger without being a full node (SPEC §7 light client): `LedgerFollower` follows the
 * final headers from the genesis it trusts (`manager/headers`, each certificate checked by the ledger's
 * LightClient against the manager set before it), and reads channels, accounts and nodes with `manager/state`,
 * taking a record only with a proof that leads to the state root of a header the light client verified
 * (ledger-proof.ts). A manager can withhold (answer late, or not at all) but cannot make the follower take a
 * record the certified state does not hold: such a reply is refused (BAD_PROOF, BAD_HEADER, BAD_REPLY) and never
 * cached, and the next manager is asked.
 *
 * Reads are answered at the newest verified header and cached per height (a record read again at the same height
 * costs nothing; a newer height fetches it again). `channelView()` adapts this to the ReceiptBook, which reads
 * synchronously: it answers from the cache and refreshes in the background.
 *
 * **Staleness bound of `channelView()`.** An entry read at height h is answered only while the follower learned
 * of a block newer than h no more than `maxStaleMs` ago — for the newest height it holds, while a poll confirmed
 * within `maxStaleMs` that no manager it asked had a newer certified block. As the follower polls every `pollMs`,
 * an answer lags the final ledger by at most maxStaleMs + pollMs (plus the time a block waits for its
 * certificate), as long as the managers asked are honest about their head; past that the view answers undefined
 * (an unknown channel: the ReceiptBook refuses the receipt, the client tries again) until a refresh lands. The
 * first read of a channel is undefined for the same reason: it is fetched meanwhile. A manager that hides newer
 * blocks delays the view by a poll at most per honest manager, since each poll starts at the next manager.
 */
import { AmeError } from '../crypto/index.ts';
import { type AccountRecord, type ChannelRecord, headerHash, type LedgerParams, type LightClient, type NodeRecord } from '../ledger/index.ts';
import { type Clock, type ClockTimer, type NetLogger, type PeerRef, type Rpc, systemClock } from '../net/index.ts';
import { type AnyTargetRecord, checkTarget, pathOf, recordOf, type Target, type VerifiedHead, verifyStateReply } from './ledger-proof.ts';
import { askInTurn } from './ask-managers.ts';
import { ProvenCache } from './ledger-cache.ts';
import { LedgerViewError } from './ledger-view-errors.ts';
import {
  type CertifiedHeader,
  decodeHeadersReply,
  decodeStateReply,
  encodeHeadersRequest,
  encodeStateRequest,
  HEADERS_METHOD,
  MAX_HEADERS,
  MAX_STATE_PATHS,
  STATE_METHOD,
} from './light-protocol.ts';
import type { ChannelView } from './payments/index.ts';

export interface LedgerFollowerOptions {
  readonly rpc: Rpc;
  /** Managers to ask, in turn. */
  readonly managers: readonly PeerRef[];
  /** The light client to follow with — from the genesis this node trusts (`LightClient.fromGenesis`); owned from now on. */
  readonly light: LightClient;
  readonly clock?: Clock;
  /** Between polls of `manager/headers` (default 1 s). */
  readonly pollMs?: number;
  /** Deadline of each request (default 5 s). */
  readonly timeoutMs?: number;
  /** How old the knowledge behind a `channelView()` answer may be (default 30 s; see above). */
  readonly maxStaleMs?: number;
  /** Records kept (default 4,096; the oldest written goes first). */
  readonly cacheEntries?: number;
  readonly logger?: NetLogger;
}

export interface LedgerFollowerStats {
  /** The verified head. */
  readonly height: bigint;
  readonly polls: number;
  readonly pollFailures: number;
  readonly stateRequests: number;
  /** Replies refused as malformed or forged (BAD_REPLY, BAD_HEADER, BAD_PROOF, BAD_RECORD). */
  readonly refused: number;
  readonly refreshFailures: number;
  readonly cached: number;
}

/** Header batches one poll follows at most (64 headers each); the rest comes with the next poll. */
const MAX_BATCHES = 256;

export class LedgerFollower {
  readonly #o: LedgerFollowerOptions;
  readonly #clock: Clock;
  readonly #light: LightClient;
  #head: VerifiedHead;
  readonly #cache: ProvenCache;
  readonly #inflight = new Map<string, Promise<AnyTargetRecord | undefined>>();
  readonly #queue = new Map<string, Target>();
  #flushing = false;
  #flushTimer: ClockTimer | undefined;
  #pollTimer: ClockTimer | undefined;
  #poll: Promise<bigint> | undefined;
  #state: 'new' | 'running' | 'stopped' = 'new';
  #preferred = 0;
  #polls = 0;
  #pollFailures = 0;
  #stateRequests = 0;
  #refused = 0;
  #refreshFailures = 0;

  constructor(options: LedgerFollowerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#light = options.light;
    this.#head = { height: options.light.height, stateRoot: options.light.stateRoot, hash: undefined };
    this.#cache = new ProvenCache(options.cacheEntries ?? 4_096, options.light.height);
  }

  /** Polls `manager/headers` every `pollMs` (the first at once) until `stop`. */
  start(): void {
    this.#assertLive();
    if (this.#state === 'running') return;
    this.#state = 'running';
    this.#schedulePoll(0);
  }

  /** Stops polling and refreshing; what is in flight is dropped, and later calls are STOPPED. */
  stop(): void {
    this.#state = 'stopped';
    for (const timer of [this.#pollTimer, this.#flushTimer]) if (timer !== undefined) this.#clock.clearTimeout(timer);
    this.#pollTimer = undefined;
    this.#flushTimer = undefined;
    this.#queue.clear();
  }

  /** The verified head. */
  get height(): bigint {
    return this.#head.height;
  }

  /** Follows the managers' final headers now (joining a poll in flight); resolves with the verified height. */
  sync(): Promise<bigint> {
    this.#assertLive();
    this.#poll ??= this.#follow().finally(() => {
      this.#poll = undefined;
    });
    return this.#poll;
  }

  channel(id: Uint8Array): Promise<ChannelRecord | undefined> {
    return this.#one({ kind: 'channel', id }) as Promise<ChannelRecord | undefined>;
  }

  account(address: string): Promise<AccountRecord | undefined> {
    return this.#one({ kind: 'account', address }) as Promise<AccountRecord | undefined>;
  }

  node(key: Uint8Array): Promise<NodeRecord | undefined> {
    return this.#one({ kind: 'node', key }) as Promise<NodeRecord | undefined>;
  }

  /** The parameters in force at the verified head (prices, deposits, promotion rules). */
  async params(): Promise<LedgerParams> {
    const params = await this.#one({ kind: 'params' });
    if (params === undefined) throw new LedgerViewError('BAD_RECORD', 'the verified state holds no parameters');
    return params as LedgerParams;
  }

  /** The manager set the light client follows (node keys, the ledger's order). */
  get managers(): readonly Uint8Array[] {
    return this.#light.managers;
  }

  /** The ReceiptBook's view: synchronous, from the cache, refreshed in the background (staleness bound above). */
  channelView(): ChannelView {
    return (id) => {
      if (this.#state === 'stopped' || !(id instanceof Uint8Array) || id.length !== 32) return undefined;
      const target: Target = { kind: 'channel', id: Uint8Array.from(id) };
      const path = pathOf(target);
      const entry = this.#cache.get(path);
      if (entry === undefined || entry.height < this.#head.height) this.#enqueue(path, target);
      if (entry === undefined || this.#clock.now() - this.#cache.knownAt(entry) > (this.#o.maxStaleMs ?? 30_000)) return undefined;
      return entry.record as ChannelRecord | undefined;
    };
  }

  stats(): LedgerFollowerStats {
    return {
      height: this.#head.height,
      polls: this.#polls,
      pollFailures: this.#pollFailures,
      stateRequests: this.#stateRequests,
      refused: this.#refused,
      refreshFailures: this.#refreshFailures,
      cached: this.#cache.size,
    };
  }

  #assertLive(): void {
    if (this.#state === 'stopped') throw new LedgerViewError('STOPPED', 'the ledger follower was stopped');
  }

  #schedulePoll(ms: number): void {
    if (this.#state !== 'running') return;
    this.#pollTimer = this.#clock.setTimeout(() => {
      this.#pollTimer = undefined;
      this.sync()
        .catch((error: unknown) => {
          if (this.#state === 'stopped') return;
          this.#pollFailures += 1;
          this.#o.logger?.warn({ err: error }, 'ledger follower: no manager gave verifiable headers');
        })
        .finally(() => this.#schedulePoll(this.#o.pollMs ?? 1_000));
    }, ms);
  }

  /** Until caught up with one manager: each poll starts at the next one, so no single manager can hide blocks. */
  async #follow(): Promise<bigint> {
    this.#polls += 1;
    this.#preferred += 1;
    return this.#ask('headers', async (peer) => {
      for (let batch = 0; batch < MAX_BATCHES; batch++) {
        const from = this.#light.height + 1n;
        const body = encodeHeadersRequest({ from, limit: MAX_HEADERS });
        const reply = decodeHeadersReply(await this.#request(peer, HEADERS_METHOD, body));
        if (reply.head < this.#light.height) throw new LedgerViewError('UNAVAILABLE', `behind: at height ${reply.head}`);
        for (const [i, item] of reply.headers.entries()) {
          if (item.header.height !== from + BigInt(i)) throw new LedgerViewError('BAD_REPLY', `headers[${i}] is not height ${from + BigInt(i)}`);
          this.#take(item);
        }
        if (reply.headers.length === 0 || this.#light.height >= reply.head) {
          this.#cache.confirmed(this.#clock.now());
          break;
        }
      }
      return this.#light.height;
    });
  }

  /** One header through the light client; the verified head moves only when everything holds. */
  #take(item: CertifiedHeader): void {
    const extras = item.txs === undefined ? { managers: item.managers } : { managers: item.managers, txs: item.txs };
    try {
      this.#light.follow(item.header, item.certificate, extras);
    } catch (cause) {
      // The ledger's refusal (LedgerError), or a lower layer's on forged bytes (a signature that cannot be parsed).
      if (!(cause instanceof AmeError)) throw cause;
      throw new LedgerViewError('BAD_HEADER', `height ${item.header.height}: ${cause.code} ${cause.message}`, { cause });
    }
    this.#cache.advanced(item.header.height, this.#clock.now());
    this.#head = { height: item.header.height, stateRoot: item.header.stateRoot, hash: headerHash(item.header) };
  }

  #request(peer: PeerRef, method: string, body: Uint8Array): Promise<Uint8Array> {
    return this.#o.rpc.request(peer, method, body, { timeoutMs: this.#o.timeoutMs ?? 5_000 });
  }

  /** `call` on each manager in turn from the preferred one; the one that answers is preferred next. */
  async #ask<T>(what: string, call: (peer: PeerRef) => Promise<T>): Promise<T> {
    const live = () => this.#assertLive();
    const refused = () => void (this.#refused += 1);
    const { result, index } = await askInTurn({ peers: this.#o.managers, start: this.#preferred, what, live, refused }, call);
    this.#preferred = index;
    return result;
  }

  async #one(target: Target): Promise<AnyTargetRecord | undefined> {
    this.#assertLive();
    checkTarget(target);
    if (this.#cache.confirmedAt === undefined) await this.sync();
    return (await this.#read([target]))[0];
  }

  /** Records at the verified head (or newer): from the cache, else fetched — one request per 64 paths, shared. */
  async #read(targets: readonly Target[]): Promise<(AnyTargetRecord | undefined)[]> {
    const head = this.#head;
    const fresh = (path: string) => (this.#cache.get(path)?.height ?? -1n) >= head.height;
    const missing = new Map<string, Target>();
    for (const target of targets) {
      const path = pathOf(target);
      if (!fresh(path) && !this.#inflight.has(`${head.height}|${path}`)) missing.set(path, target);
    }
    const list = [...missing.values()];
    for (let i = 0; i < list.length; i += MAX_STATE_PATHS) this.#fetch(head, list.slice(i, i + MAX_STATE_PATHS));
    // Every path is now cached at the head or newer, or in flight at the head (#fetch registers it synchronously).
    return Promise.all(
      targets.map((target) => {
        const path = pathOf(target);
        return fresh(path) ? this.#cache.get(path)!.record : this.#inflight.get(`${head.height}|${path}`)!;
      }),
    );
  }

  /** Starts one `manager/state` request; each path's promise waits in #inflight until it settles. */
  #fetch(head: VerifiedHead, targets: readonly Target[]): void {
    const paths = targets.map(pathOf);
    const body = encodeStateRequest({ paths, height: head.height });
    const batch = this.#ask('state', async (peer) => {
      this.#stateRequests += 1;
      const reply = decodeStateReply(await this.#request(peer, STATE_METHOD, body));
      const values = verifyStateReply(reply, head, paths);
      return targets.map((target, i) => recordOf(target, values[i]));
    }).then((records) => {
      const at = this.#clock.now();
      for (const [i, path] of paths.entries()) this.#cache.remember(path, { height: head.height, at, record: records[i] });
      return records;
    });
    for (const [i, path] of paths.entries()) {
      const key = `${head.height}|${path}`;
      const one = batch.then((records) => records[i]);
      // Handled here so that a batch nobody waits for any more is no unhandled rejection; joiners still see it.
      one.catch(() => undefined).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, one);
    }
  }

  #enqueue(path: string, target: Target): void {
    if (this.#state === 'stopped' || this.#inflight.has(`${this.#head.height}|${path}`)) return;
    this.#queue.set(path, target);
    if (this.#flushTimer === undefined && !this.#flushing) this.#flushTimer = this.#clock.setTimeout(() => this.#flush(), 0);
  }

  /** Background refresh for channelView: up to 64 queued channels per request, one request at a time. */
  #flush(): void {
    this.#flushTimer = undefined;
    if (this.#state === 'stopped' || this.#queue.size === 0) return;
    const batch = [...this.#queue.entries()].slice(0, MAX_STATE_PATHS);
    for (const [path] of batch) this.#queue.delete(path);
    this.#flushing = true;
    const targets = batch.map(([, target]) => target);
    const read = this.#cache.confirmedAt === undefined ? this.sync().then(() => this.#read(targets)) : this.#read(targets);
    read
      .catch((error: unknown) => {
        if (this.#state === 'stopped') return;
        this.#refreshFailures += 1;
        this.#o.logger?.warn({ err: error }, 'ledger follower: channel refresh failed');
      })
      .finally(() => {
        this.#flushing = false;
        if (this.#queue.size > 0 && this.#flushTimer === undefined) this.#flushTimer = this.#clock.setTimeout(() => this.#flush(), 0);
      });
  }
}
