/**
 * The RLDP handlers of a ring server. Each decodes its body (a malformed one is BAD_REQUEST with the ring code
 * MALFORMED), checks the epoch, authorises where only siblings may call, and answers from the server's views and
 * replicas.
 */
import { NetError } from '../../net/errors.ts';
import type { Clock, RequestContext, Rpc } from '../../net/types.ts';
import type { Key } from '../keyspace.ts';
import { sliceRoute } from '../slice.ts';
import type { Broadcaster } from './broadcast.ts';
import type { Coordinator } from './coordinator.ts';
import { bodies, decodeBody, encodeBody, METHOD } from './protocol.ts';
import { serving } from './remote-errors.ts';
import type { ReplicaStore } from './replica-store.ts';
import { servePage } from './sync.ts';
import { decodeRingValue, type ValueSchemes } from './value.ts';
import { decodeSignedView, encodeSignedView, type SignedView, type UnityView } from './view.ts';
import type { Held, ViewSet } from './views.ts';

export interface HandlerDeps {
  readonly views: ViewSet;
  readonly store: ReplicaStore;
  readonly coordinator: Coordinator;
  readonly broadcaster: Broadcaster;
  /** A request named an epoch newer than ours: fetch our fresh view. */
  readonly behind: () => void;
  readonly clock: Clock;
  /** A view push from the authority (checked by the caller against the authority's PeerIds). */
  readonly pushed: (views: readonly SignedView[], from: string) => void;
  /** The checked-value schemes this server accepts (value.ts); none by default. */
  readonly schemes?: ValueSchemes;
}

const empty = new Uint8Array([0xa0]); // {} in CBOR

function held(deps: HandlerDeps): Held {
  const own = deps.views.own();
  if (own === undefined) throw new NetError('UNAVAILABLE', 'this server holds no view of the ring yet');
  return own;
}

function wrongEpoch(own: Held, why: string): NetError {
  return new NetError('WRONG_EPOCH', why, { data: encodeSignedView(own.signed) });
}

/** WRONG_EPOCH for a request routed by an older map; epoch 0 is a client that routes by nothing. */
function checkEpoch(deps: HandlerDeps, epoch: bigint): Held {
  const own = held(deps);
  if (epoch !== 0n && epoch < own.view.epoch) {
    throw wrongEpoch(own, `the request is for epoch ${epoch}; the ring is at ${own.view.epoch}`);
  }
  if (epoch > own.view.epoch) deps.behind();
  return own;
}

function ownerView(deps: HandlerDeps, own: Held, key: Key): UnityView {
  const view = deps.views.forKey(key);
  if (view === undefined) throw wrongEpoch(own, 'the key is not in this Unity’s range');
  return view;
}

/**
 * Time a coordinator gives its replicas: half of what is left of the caller's deadline, so a quorum failure is
 * answered (UNAVAILABLE) while the caller still has time to try another server of the Unity.
 */
function replicaBudget(deps: HandlerDeps, ctx: RequestContext): number {
  return Math.max(50, Math.floor((ctx.deadline - deps.clock.now()) / 2));
}

function isSibling(view: UnityView, peer: string): boolean {
  return view.unity.servers.some((s) => s.id === peer) || view.unity.guests.some((s) => s.id === peer);
}

export function registerHandlers(rpc: Rpc, deps: HandlerDeps): () => void {
  const handlers: Record<string, (body: Uint8Array, ctx: RequestContext) => Promise<Uint8Array>> = {
    [METHOD.find]: async (body) => {
      const req = decodeBody(bodies.keyRequest, body, METHOD.find);
      const own = checkEpoch(deps, req.epoch);
      const { slice } = own.view;
      const route = sliceRoute(slice, req.key);
      const entry = route.kind === 'here' ? slice.entries.find((e) => e.index === slice.index)! : route.entry;
      return encodeBody(bodies.findReply, {
        epoch: slice.epoch,
        index: entry.index,
        id: entry.id,
        servers: entry.servers.map((s) => ({ id: s.id, addrs: [...s.addrs] })),
        final: route.kind !== 'via',
        from: slice.index,
      });
    },
    [METHOD.get]: async (body, ctx) => {
      const req = decodeBody(bodies.keyRequest, body, METHOD.get);
      const view = ownerView(deps, checkEpoch(deps, req.epoch), req.key);
      const value = await deps.coordinator.get(view, req.key, replicaBudget(deps, ctx));
      return encodeBody(bodies.valueReply, value === undefined ? {} : { value });
    },
    [METHOD.put]: async (body, ctx) => {
      const req = decodeBody(bodies.putRequest, body, METHOD.put);
      const view = ownerView(deps, checkEpoch(deps, req.epoch), req.key);
      const value = decodeRingValue(req.key, req.value, deps.schemes);
      const result = await deps.coordinator.put(view, req.key, value, req.value, replicaBudget(deps, ctx));
      return encodeBody(bodies.putReply, result);
    },
    [METHOD.replicaGet]: async (body) => {
      const req = decodeBody(bodies.keyRequest, body, METHOD.replicaGet);
      const value = deps.store.get(req.key);
      return encodeBody(bodies.valueReply, value === undefined ? {} : { value });
    },
    [METHOD.replicaPut]: async (body, ctx) => {
      const req = decodeBody(bodies.putRequest, body, METHOD.replicaPut);
      const own = held(deps);
      const view = ownerView(deps, own, req.key);
      if (!isSibling(view, ctx.peer)) {
        throw new NetError('UNAUTHORIZED', 'only servers of the key’s Unity write its replicas');
      }
      const outcome = await deps.store.accept(req.key, decodeRingValue(req.key, req.value, deps.schemes), req.value);
      return encodeBody(bodies.replicaPutReply, { outcome });
    },
    [METHOD.sync]: async (body) => {
      const req = decodeBody(bodies.syncRequest, body, METHOD.sync);
      return encodeBody(bodies.syncReply, servePage(deps.store, req.start, req.end, req.after, req.limit));
    },
    [METHOD.view]: async (body, ctx) => {
      const req = decodeBody(bodies.views, body, METHOD.view);
      deps.pushed(req.views.map((bytes) => decodeSignedView(bytes)), ctx.peer);
      return empty;
    },
    [METHOD.slice]: async (body) => {
      decodeBody(bodies.empty, body, METHOD.slice);
      return encodeBody(bodies.viewPush, { view: encodeSignedView(held(deps).signed) });
    },
    [METHOD.broadcast]: async (body) => {
      const req = decodeBody(bodies.broadcast, body, METHOD.broadcast);
      if (req.stage < 1) throw new NetError('BAD_REQUEST', 'a relayed broadcast has stage 1, 2 or 3');
      deps.broadcaster.receive(req);
      return empty;
    },
  };
  for (const [method, handler] of Object.entries(handlers)) rpc.handle(method, serving(handler));
  return () => {
    for (const method of Object.keys(handlers)) rpc.unhandle(method);
  };
}
