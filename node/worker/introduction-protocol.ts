/**
 * The wire of the client flow (SPEC §7 "Client flow"; the signed document is introduction.ts):
 *
 *   manager/introduce  { key, kind, pay } → { unity, epoch, servers, introduction }   paid: the introduction fee,
 *                      by a receipt on the client's Manager Ring channel to this manager
 *   ring/workers       { introduction }   → { offer }     an index server of that Unity: the workers to use, in the
 *                      order it wants them used (the client takes the first it can pay, or opens a channel to them)
 *   ring/worker-beat   { unity, addrs }   → { liveMs }    a temporary worker tells its Unity's index servers it is
 *                      up and where (its PeerId is the caller's, authenticated by the transport)
 *
 * `kind` says what the key is: a blob address (`blob`: any worker of the Unity serves it, reading the ring) or a
 * mailbox (`mail`: one worker holds it, so the index servers offer the same worker to every client of it).
 * Bodies are canonical CBOR; decoders throw WorkerError MALFORMED only.
 */
import type { PeerRef, RequestOptions, Rpc } from '../net/index.ts';
import { s } from '../wire/index.ts';
import { WorkerError } from './errors.ts';
import { fromRemote } from './serve/remote-errors.ts';
import { codec, paymentSchema } from './serve/protocol.ts';

/** A PeerRef of its own (mutable address list), detached from the decoded or viewed one. */
export const copyPeer = (peer: PeerRef): PeerRef => ({ id: peer.id, addrs: [...peer.addrs] });

export const INTRODUCE_METHOD = 'manager/introduce';
export const WORKERS_METHOD = 'ring/workers';
export const WORKER_BEAT_METHOD = 'ring/worker-beat';

/** Most peers an offer or a server list names, and addresses per peer. */
export const MAX_OFFER = 64;
const MAX_ADDRS = 16;

const peer = s.struct({ id: s.text({ max: 128 }), addrs: s.array(s.text({ max: 512 }), { max: MAX_ADDRS }) });
const kind = s.text({ max: 8 });

export const introduceRequest = codec(s.struct({ key: s.bytes({ len: 32 }), kind, pay: paymentSchema }), 'introduce');
export const introduceReply = codec(
  s.struct({ unity: s.text({ max: 80 }), epoch: s.u64(), servers: s.array(peer, { max: MAX_OFFER }), introduction: s.bytes({ max: 1024 }) }),
  'introduce reply',
);
export const workersRequest = codec(s.struct({ introduction: s.bytes({ max: 1024 }), kind }), 'workers');
export const workersReply = codec(s.struct({ offer: s.array(peer, { max: MAX_OFFER }) }), 'workers reply');
export const workerBeat = codec(s.struct({ unity: s.text({ max: 80 }), addrs: s.array(s.text({ max: 512 }), { max: MAX_ADDRS }) }), 'worker-beat');
export const workerBeatReply = codec(s.struct({ liveMs: s.uint() }), 'worker-beat reply');

export type KeyKind = 'blob' | 'mail';

/** MALFORMED unless `text` is a key kind. */
export function keyKind(text: string): KeyKind {
  if (text === 'blob' || text === 'mail') return text;
  throw new WorkerError('MALFORMED', `key kind must be blob or mail, got ${JSON.stringify(text)}`, { field: 'kind' });
}

/** Asks an index server for workers (ring/workers); its refusals arrive as WorkerError REFUSED with `remote` set. */
export async function requestWorkers(
  rpc: Rpc,
  server: PeerRef,
  introduction: Uint8Array,
  kind: KeyKind,
  options: RequestOptions = {},
): Promise<PeerRef[]> {
  try {
    const reply = await rpc.request(server, WORKERS_METHOD, workersRequest.encode({ introduction, kind }), options);
    return workersReply.decode(reply).offer.map(copyPeer);
  } catch (error) {
    throw fromRemote(error);
  }
}

/** One beat to an index server (ring/worker-beat); the silence after which it stops offering this worker, ms. */
export async function sendWorkerBeat(
  rpc: Rpc,
  server: PeerRef,
  beat: { readonly unity: string; readonly addrs: readonly string[] },
  options: RequestOptions = {},
): Promise<number> {
  try {
    const reply = await rpc.request(server, WORKER_BEAT_METHOD, workerBeat.encode({ unity: beat.unity, addrs: [...beat.addrs] }), options);
    return workerBeatReply.decode(reply).liveMs;
  } catch (error) {
    throw fromRemote(error);
  }
}
