/**
 * The first two hops of the client flow (SPEC §7): a manager introduces the client to the Unity that owns a key —
 * paid with one receipt on the client's Manager Ring channel, the introduction fee — and an index server of that
 * Unity offers the workers to use, in the order it wants them used. The client then pays a worker of the offer
 * on a channel of that Unity (WorkerClient). A manager that cannot introduce (unreachable, or refusing) is
 * passed for the next; an index server that does not answer, likewise.
 */
import { ed25519KeyFromPeerId } from '../crypto/index.ts';
import type { PeerRef, Rpc } from '../net/index.ts';
import { INTRODUCE_METHOD, introduceReply, introduceRequest, type KeyKind, requestWorkers } from '../worker/introduction-protocol.ts';
import type { ChannelSpender } from '../worker/payments/index.ts';
import { fromRemote } from '../worker/serve/remote-errors.ts';
import { ClientError } from './errors.ts';

export interface IntroduceOptions {
  readonly rpc: Rpc;
  /** Managers to ask, in turn; each must be a payee of the spender's channel. */
  readonly managers: readonly PeerRef[];
  /** The client's Manager Ring channel (payees: the managers). */
  readonly spender: ChannelSpender;
  /** The introduction fee (the ledger's `introductionFee`). */
  readonly fee: bigint;
  readonly timeoutMs?: number;
}

export interface Introduced {
  readonly unity: string;
  readonly epoch: bigint;
  /** The Unity's servers: its index servers. */
  readonly servers: readonly PeerRef[];
  /** The signed introduction (introduction.ts) the index servers ask for. */
  readonly introduction: Uint8Array;
  /** The manager that introduced (and was paid). */
  readonly manager: PeerRef;
  /** The index server's offer: the workers to use, the first preferred. */
  readonly offer: readonly PeerRef[];
}

/** Introduction, then the offer of the first index server that answers; NO_INTRODUCTION naming every refusal. */
export async function introduce(o: IntroduceOptions, key: Uint8Array, kind: KeyKind): Promise<Introduced> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const refusals: string[] = [];
  for (const manager of o.managers) {
    let reply;
    try {
      // One receipt per attempt. A manager that refuses took nothing (it locates before it accepts the receipt),
      // but this receipt's amount stays signed: the manager's next introduction to this client may collect it
      // (at most one fee per refusal, never more than the client signed).
      const payment = o.spender.pay(ed25519KeyFromPeerId(manager.id), o.fee);
      const body = introduceRequest.encode({ key, kind, pay: { receipt: payment.receipt, authorization: payment.authorization } });
      reply = introduceReply.decode(await o.rpc.request(manager, INTRODUCE_METHOD, body, { timeoutMs }));
    } catch (error) {
      refusals.push(`manager ${manager.id}: ${(fromRemote(error) as Error).message}`);
      continue;
    }
    const offer = await offerOf(o.rpc, reply.servers, reply.introduction, kind, timeoutMs, refusals);
    if (offer !== undefined) return { unity: reply.unity, epoch: reply.epoch, servers: reply.servers, introduction: reply.introduction, manager, offer };
  }
  throw new ClientError('NO_INTRODUCTION', `no introduction: ${refusals.join('; ') || 'no manager to ask'}`);
}

async function offerOf(
  rpc: Rpc,
  servers: readonly PeerRef[],
  introduction: Uint8Array,
  kind: KeyKind,
  timeoutMs: number,
  refusals: string[],
): Promise<readonly PeerRef[] | undefined> {
  for (const server of servers) {
    try {
      const offer = await requestWorkers(rpc, server, introduction, kind, { timeoutMs });
      if (offer.length > 0) return offer;
      refusals.push(`index server ${server.id}: an empty offer`);
    } catch (error) {
      refusals.push(`index server ${server.id}: ${(fromRemote(error) as Error).message}`);
    }
  }
  return undefined;
}
