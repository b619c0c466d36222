/**
 * Finding the Unity that owns a key in at most two hops (SPEC.md §5), iteratively: the caller asks, never
 * forwards. A server starts from its own slice; a client without one starts from an entry server, which answers
 * from its slice. Each answer is either the owner or the counterpart to ask next, and a counterpart always knows
 * the owner (it lies in its own group). A server at a newer epoch answers WRONG_EPOCH with its signed view; the
 * router checks its certificate (ring authority or manager quorum, as configured) and routes on with that slice.
 */
import { NetError } from '../../net/errors.ts';
import type { PeerRef, Rpc } from '../../net/types.ts';
import type { CertifiersLike } from '../epoch-certificate.ts';
import { RingError } from '../errors.ts';
import type { Key } from '../keyspace.ts';
import { sliceRoute, type RoutingSlice, type SliceEntry } from '../slice.ts';
import { bodies, decodeBody, encodeBody, METHOD } from './protocol.ts';
import { at, fromRemote } from './remote-errors.ts';
import { decodeSignedView, verifyView, type SignedView, type UnityView } from './view.ts';

/** One find request of a lookup: the Unity asked, the server that answered, and the Unity it pointed to. */
export interface Hop {
  readonly unity: number;
  readonly server: string;
  /** The owner (the lookup ends there) or, from an entry server, a counterpart to ask next. */
  readonly next: number;
  readonly nextId: string;
}

export interface Located {
  readonly epoch: bigint;
  readonly index: number;
  readonly id: string;
  readonly servers: readonly PeerRef[];
  /** The find requests, in order (from a server: none, or the counterpart; a client also asks its entry server). */
  readonly path: readonly Hop[];
  /**
   * Remote Unities on the route, the owner included: 0 when the caller's own Unity owns the key, 1 for its group,
   * 2 through a counterpart (SPEC §5: at most 2 from a server); a client's entry server adds one.
   */
  readonly hops: number;
  /** WRONG_EPOCH answers that made the lookup start again from a fresher slice. */
  readonly redirects: number;
}

export interface RouterOptions {
  readonly rpc: Rpc;
  /**
   * Who certifies views: the ring-authority key (bare, or `{ authority }`) or `{ managers }`, the manager set.
   * Fresh views in WRONG_EPOCH replies must carry their certificate.
   */
  readonly authority: CertifiersLike;
  /** A server's own view (undefined for a client). */
  readonly view?: () => UnityView | undefined;
  /** Where a client starts (ignored while a view is known). */
  readonly entry?: () => readonly PeerRef[];
  /** Called with every fresh, verified view seen in a WRONG_EPOCH reply. */
  readonly onFreshView?: (signed: SignedView, view: UnityView) => void;
  readonly timeoutMs?: number;
}

type Answer = { readonly final: boolean; readonly entry: SliceEntry; readonly epoch: bigint };

const MAX_STEPS = 4;

export class Router {
  private readonly options: RouterOptions;
  /** The freshest slice seen from another Unity, used until the own view catches up. */
  private hint: RoutingSlice | undefined;

  constructor(options: RouterOptions) {
    this.options = options;
  }

  epoch(): bigint {
    const own = this.options.view?.()?.epoch ?? 0n;
    return this.hint !== undefined && this.hint.epoch > own ? this.hint.epoch : own;
  }

  /**
   * A WRONG_EPOCH reply's view, verified; undefined when the error is something else or the view is not newer
   * than what this router routes by. A forged view is a RingError (BAD_SIGNATURE, WRONG_KEY…).
   */
  freshView(error: unknown): UnityView | undefined {
    if (!(error instanceof NetError) || error.code !== 'WRONG_EPOCH' || error.data === undefined) return undefined;
    const signed = decodeSignedView(error.data);
    if (signed.certificate.epoch <= this.epoch()) return undefined; // not newer: no signature check
    const view = verifyView(signed, this.options.authority);
    if (view.epoch <= this.epoch()) return undefined;
    this.hint = view.slice;
    this.options.onFreshView?.(signed, view);
    return view;
  }

  async locate(key: Key): Promise<Located> {
    const path: Hop[] = [];
    let redirects = 0;
    let answer = this.fromSlice(key);
    let asked: readonly PeerRef[] | undefined = answer === undefined ? this.options.entry?.() : undefined;
    for (let step = 0; step < MAX_STEPS; step++) {
      if (answer?.final) {
        const { epoch, entry } = answer;
        const own = this.options.view?.()?.slice.index;
        const last = path.at(-1)?.unity;
        const hops = path.length + (entry.index === own || entry.index === last ? 0 : 1);
        return { epoch, index: entry.index, id: entry.id, servers: entry.servers, path, hops, redirects };
      }
      const targets = answer?.entry.servers ?? asked ?? [];
      if (targets.length === 0) throw new RingError('UNKNOWN_UNITY', 'no view and no entry server to start a lookup');
      const reply = await this.ask(targets, key);
      if (reply === 'restart') {
        redirects++;
        path.length = 0;
        answer = this.fromSlice(key);
        asked = undefined;
        continue;
      }
      path.push({ unity: reply.from, server: reply.server, next: reply.entry.index, nextId: reply.entry.id });
      answer = { final: reply.final, entry: reply.entry, epoch: reply.epoch };
      asked = undefined;
    }
    throw new RingError('UNKNOWN_UNITY', `no owner found for the key in ${MAX_STEPS} steps`);
  }

  /** The first step from the freshest slice held: the owner ('here'/'direct') or a counterpart to ask. */
  private fromSlice(key: Key): Answer | undefined {
    const own = this.options.view?.();
    const slice = this.hint !== undefined && (own === undefined || this.hint.epoch > own.epoch) ? this.hint : own?.slice;
    if (slice === undefined) return undefined;
    const route = sliceRoute(slice, key);
    const entry = route.kind === 'here' ? slice.entries.find((e) => e.index === slice.index)! : route.entry;
    return { final: route.kind !== 'via', entry, epoch: slice.epoch };
  }

  /** Asks the servers in turn; 'restart' when one answered WRONG_EPOCH with a fresher view. */
  private async ask(
    servers: readonly PeerRef[],
    key: Key,
  ): Promise<(Answer & { readonly server: string; readonly from: number }) | 'restart'> {
    let last: unknown;
    for (const server of servers) {
      try {
        const reply = await this.options.rpc.request(
          server,
          METHOD.find,
          encodeBody(bodies.keyRequest, { epoch: this.epoch(), key }),
          { timeoutMs: this.options.timeoutMs ?? 5_000 },
        );
        const found = decodeBody(bodies.findReply, reply, METHOD.find);
        const entry: SliceEntry = { index: found.index, id: found.id, start: key, servers: found.servers };
        return { final: found.final, entry, epoch: found.epoch, server: server.id, from: found.from };
      } catch (error) {
        if (this.freshView(error) !== undefined) return 'restart';
        last = fromRemote(error);
        if (last instanceof RingError) throw last;
        last = at(last, METHOD.find, server.id);
      }
    }
    throw last instanceof Error ? last : new NetError('UNAVAILABLE', 'no server of the Unity answered');
  }
}
