/**
 * The index server of a Unity (SPEC §5 "Index servers", "Liveness"; §6 item 2 "Serve"; §7 "Client flow"): every
 * server of the Worker Ring answers, for its own Unity,
 *
 *   ring/worker-beat  a temporary worker attached to the Unity says it is up and where it listens; it is offered
 *                     while its last beat is younger than `liveMs` (SPEC: a node silent for 60 s is down);
 *   ring/workers      a client with a manager's introduction to this Unity asks which workers to use: for a blob,
 *                     the Unity's servers and its live temporary workers, a temporary worker first in a `share` of
 *                     the offers (the load the servers hand to temporary workers) and a random server otherwise;
 *                     for a mailbox, the servers only, in rendezvous order of the mailbox key, so every client of one
 *                     mailbox is offered the same worker first by every index server of the Unity (a mailbox is
 *                     held by one worker and not replicated; temporary workers come and go).
 *
 * The wire is node/worker/introduction-protocol.ts, the signed introduction node/worker/introduction.ts. Refusals
 * cross the wire as serve/remote-errors.ts sends them ("WorkerError:EXPIRED"); the client sees WorkerError
 * REFUSED with `remote` set (`requestWorkers`, `sendWorkerBeat`).
 *
 * Memory: the table of temporary workers holds at most `capacity` (default MAX_OFFER) entries, each at most 16
 * addresses of 512 characters; an entry silent for `liveMs`, or beating for a Unity that is no longer this
 * server's, is dropped at the next request. A new worker beating while the table is full of live ones is refused
 * UNAVAILABLE (the ones already there keep their place while they beat), so nobody can grow it or evict others by
 * beating under many PeerIds — and with `admit` wired to the ledger only the attached workers beat at all.
 */
import { concatBytes, sha256, utf8 } from '../crypto/index.ts';
import { NetError, type Clock, type PeerRef, type RequestContext, type Rpc } from '../net/index.ts';
import type { UnityView } from '../ring/service/view.ts';
import { WorkerError } from './errors.ts';
import { decodeIntroduction, verifyIntroduction } from './introduction.ts';
import {
  copyPeer,
  keyKind,
  MAX_OFFER,
  WORKER_BEAT_METHOD,
  workerBeat,
  workerBeatReply,
  WORKERS_METHOD,
  workersReply,
  workersRequest,
} from './introduction-protocol.ts';
import { serving } from './serve/remote-errors.ts';

/** Default share of blob offers led by a temporary worker when one is live (SPEC §6 item 2: a configured share). */
export const DEFAULT_TEMPORARY_SHARE = 0.5;
/** Default silence after which a temporary worker is no longer offered (SPEC §5: silent 60 s = down). */
export const DEFAULT_LIVE_MS = 60_000;
/** Default bound of the temporary-worker table: no offer names more peers than MAX_OFFER anyway. */
export const DEFAULT_INDEX_CAPACITY = MAX_OFFER;

export interface UnityIndexOptions {
  readonly rpc: Rpc;
  /** The chain (genesis id) introductions must be for. */
  readonly chain: Uint8Array;
  /** The current manager set's node keys, to check introductions against. */
  readonly managers: () => readonly Uint8Array[];
  /** This server's own view (its Unity and the Unity's servers); undefined until it has one. */
  readonly view: () => UnityView | undefined;
  readonly clock: Clock;
  /** A float in [0, 1), injected for determinism. */
  readonly random: () => number;
  /** Share of blob offers that lead with a temporary worker when any is live, in [0, 1] (default 0.5). */
  readonly share?: number;
  /** A temporary worker silent this long is not offered, ms (default 60,000). */
  readonly liveMs?: number;
  /** Whether a beating peer is a temporary worker attached to `unity` (the ledger's say; default: every peer). */
  readonly admit?: (peer: string, unity: string) => boolean;
  /** Most temporary workers the table holds (default MAX_OFFER). */
  readonly capacity?: number;
}

export interface UnityIndexStats {
  /** Offers answered. */
  readonly offers: number;
  /** Blob offers whose first peer was a temporary worker. */
  readonly ledByTemporary: number;
  /** Beats accepted. */
  readonly beats: number;
  /** Requests refused (either method). */
  readonly refused: number;
}

interface Entry {
  readonly addrs: readonly string[];
  readonly unity: string;
  readonly seen: number;
}

const METHODS = [WORKERS_METHOD, WORKER_BEAT_METHOD] as const;

/** a before b when a's bytes are larger (rendezvous: highest weight first). */
function descending(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return b[i]! - a[i]!;
  return b.length - a.length;
}

/** The rendezvous weight of `peer` for `key`: SHA-256(key ‖ utf8(PeerId)). */
export function rendezvousWeight(key: Uint8Array, peer: string): Uint8Array {
  return sha256(concatBytes(key, utf8(peer)));
}

/** `peers` ordered by rendezvous weight for `key`, highest first (ties, which need a SHA-256 collision, by id). */
export function rendezvousOrder(key: Uint8Array, peers: readonly PeerRef[]): PeerRef[] {
  return peers
    .map((peer) => ({ peer, weight: rendezvousWeight(key, peer.id) }))
    .sort((a, b) => descending(a.weight, b.weight) || (a.peer.id < b.peer.id ? -1 : a.peer.id > b.peer.id ? 1 : 0))
    .map(({ peer }) => peer);
}


export class UnityIndex {
  readonly #o: UnityIndexOptions;
  readonly #share: number;
  readonly #liveMs: number;
  readonly #capacity: number;
  readonly #table = new Map<string, Entry>();
  #attached = false;
  #offers = 0;
  #ledByTemporary = 0;
  #beats = 0;
  #refused = 0;

  constructor(options: UnityIndexOptions) {
    const share = options.share ?? DEFAULT_TEMPORARY_SHARE;
    const liveMs = options.liveMs ?? DEFAULT_LIVE_MS;
    const capacity = options.capacity ?? DEFAULT_INDEX_CAPACITY;
    if (!(share >= 0 && share <= 1)) throw new WorkerError('BAD_VALUE', `share must be in [0, 1], got ${share}`, { field: 'share' });
    if (!Number.isSafeInteger(liveMs) || liveMs <= 0) throw new WorkerError('BAD_VALUE', `liveMs must be a positive integer, got ${liveMs}`, { field: 'liveMs' });
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new WorkerError('BAD_VALUE', `capacity must be a whole number, got ${capacity}`, { field: 'capacity' });
    this.#o = options;
    this.#share = share;
    this.#liveMs = liveMs;
    this.#capacity = capacity;
  }

  /** Installs the two handlers on the rpc; undone by `detach`. */
  attach(): void {
    if (this.#attached) return;
    const counted = (handler: (body: Uint8Array, ctx: RequestContext) => Uint8Array) =>
      serving(async (body: Uint8Array, ctx: RequestContext) => {
        try {
          return handler(body, ctx);
        } catch (error) {
          this.#refused += 1;
          throw error;
        }
      });
    this.#o.rpc.handle(WORKERS_METHOD, counted((body) => this.workers(body)));
    this.#o.rpc.handle(WORKER_BEAT_METHOD, counted((body, ctx) => this.beat(body, ctx.peer)));
    this.#attached = true;
  }

  detach(): void {
    if (!this.#attached) return;
    for (const method of METHODS) this.#o.rpc.unhandle(method);
    this.#attached = false;
  }

  /** The temporary workers of this server's Unity seen within `liveMs`, most recent first. */
  live(): PeerRef[] {
    const view = this.#o.view();
    if (view === undefined) return [];
    this.#expire(view.unity.id);
    return [...this.#table.entries()].sort((a, b) => b[1].seen - a[1].seen).map(([id, entry]) => ({ id, addrs: [...entry.addrs] }));
  }

  stats(): UnityIndexStats {
    return { offers: this.#offers, ledByTemporary: this.#ledByTemporary, beats: this.#beats, refused: this.#refused };
  }

  /**
   * ring/worker-beat from `peer` (the transport-authenticated caller). Throws WorkerError MALFORMED, WRONG_UNITY
   * (no view yet, another Unity, or a peer `admit` refuses), or NetError UNAVAILABLE when the table is full.
   */
  beat(body: Uint8Array, peer: string): Uint8Array {
    const beat = workerBeat.decode(body);
    const view = this.#o.view();
    if (view === undefined) throw new WorkerError('WRONG_UNITY', 'this server has no Unity view yet', { field: 'unity' });
    const unity = view.unity.id;
    if (beat.unity !== unity) throw new WorkerError('WRONG_UNITY', `a beat for Unity ${beat.unity}, this server indexes ${unity}`, { field: 'unity' });
    if (this.#o.admit !== undefined && !this.#o.admit(peer, unity)) {
      throw new WorkerError('WRONG_UNITY', `${peer} is not a temporary worker attached to Unity ${unity}`, { field: 'unity' });
    }
    this.#expire(unity);
    if (!this.#table.has(peer) && this.#table.size >= this.#capacity) {
      throw new NetError('UNAVAILABLE', `the index of Unity ${unity} holds ${this.#table.size} temporary workers, its most`);
    }
    this.#table.set(peer, { addrs: [...beat.addrs], unity, seen: this.#o.clock.now() });
    this.#beats += 1;
    return workerBeatReply.encode({ liveMs: this.#liveMs });
  }

  /**
   * ring/workers: the offer for an introduction to this server's Unity. Throws WorkerError MALFORMED, WRONG_UNITY
   * (no view yet, another Unity or chain), NOT_MANAGER, BAD_SIGNATURE, EXPIRED.
   */
  workers(body: Uint8Array): Uint8Array {
    const request = workersRequest.decode(body);
    const kind = keyKind(request.kind);
    const signed = decodeIntroduction(request.introduction);
    const view = this.#o.view();
    if (view === undefined) throw new WorkerError('WRONG_UNITY', 'this server has no Unity view yet', { field: 'unity' });
    const unity = view.unity.id;
    const introduction = verifyIntroduction(signed, { chain: this.#o.chain, managers: this.#o.managers(), now: this.#o.clock.now(), unity });
    const servers = view.unity.servers.map(copyPeer);
    const offer = kind === 'mail' ? rendezvousOrder(introduction.key, servers) : this.#blobOffer(servers, unity);
    this.#offers += 1;
    return workersReply.encode({ offer: offer.slice(0, MAX_OFFER) });
  }

  #blobOffer(servers: PeerRef[], unity: string): PeerRef[] {
    this.#expire(unity);
    const ids = new Set(servers.map((s) => s.id));
    const temporary: PeerRef[] = [];
    for (const [id, entry] of this.#table) if (!ids.has(id)) temporary.push({ id, addrs: [...entry.addrs] });
    const byTemporary = temporary.length > 0 && (servers.length === 0 || this.#o.random() < this.#share);
    const leads = byTemporary ? temporary : servers;
    if (leads.length === 0) return [];
    const lead = leads.splice(this.#pick(leads.length), 1)[0]!;
    const rest = [...servers, ...temporary];
    this.#shuffle(rest);
    if (byTemporary) this.#ledByTemporary += 1;
    return [lead, ...rest];
  }

  /** Drops entries silent for liveMs or of another Unity than `unity`. */
  #expire(unity: string): void {
    const now = this.#o.clock.now();
    for (const [id, entry] of this.#table) {
      if (entry.unity !== unity || now - entry.seen >= this.#liveMs) this.#table.delete(id);
    }
  }

  #pick(n: number): number {
    return Math.min(n - 1, Math.max(0, Math.floor(this.#o.random() * n)));
  }

  #shuffle(list: PeerRef[]): void {
    for (let i = list.length - 1; i > 0; i--) {
      const j = this.#pick(i + 1);
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
  }
}
