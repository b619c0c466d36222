/**
 * Datagrams over the simulated network (ARNL, SPEC.md §4): at most maxDatagramSize bytes, fire-and-forget.
 * A datagram is lost with the network's loss probability, on a cut link, or when its target is down when it
 * arrives; datagrams on one link may overtake each other (each draws its own jitter).
 */
import { NetError } from '../errors.ts';
import type { PeerRef } from '../types.ts';
import { emit, type PeerState, type SimContext } from './context.ts';

export function simSend(ctx: SimContext, from: PeerState, target: PeerRef, topic: string, payload: Uint8Array): void {
  if (payload.length > ctx.maxDatagramSize) {
    throw new NetError('TOO_LARGE', `datagram of ${payload.length} bytes exceeds ${ctx.maxDatagramSize}`);
  }
  ctx.stats.datagramsSent += 1;
  const to = ctx.peers.get(target.id);
  // Draw only when loss is configured, so a lossless run's random stream does not depend on datagram traffic.
  const dropped = ctx.loss > 0 && ctx.random.next() < ctx.loss;
  if (!from.alive || to === undefined || dropped || ctx.links.isCut(from.ref.id, to.ref.id)) {
    ctx.stats.datagramsLost += 1;
    emit(ctx, { kind: 'datagram', from: from.ref.id, to: target.id, name: topic, detail: 'lost' });
    return;
  }
  emit(ctx, { kind: 'datagram', from: from.ref.id, to: target.id, name: topic });
  const copy = Uint8Array.from(payload);
  ctx.clock.setTimeout(() => arrive(ctx, from.ref.id, to, topic, copy), ctx.links.delay(from.ref.id, to.ref.id));
}

function arrive(ctx: SimContext, from: string, to: PeerState, topic: string, payload: Uint8Array): void {
  const handler = to.alive ? to.topics.get(topic) : undefined;
  if (handler === undefined) {
    ctx.stats.datagramsLost += 1;
    return;
  }
  ctx.stats.datagramsDelivered += 1;
  emit(ctx, { kind: 'datagram-delivered', from, to: to.ref.id, name: topic });
  try {
    handler(from, payload);
  } catch (error) {
    // By default the failure surfaces from the clock's run loop, which is what a test wants to see.
    if (ctx.onHandlerError === undefined) throw error;
    ctx.onHandlerError(error, { peer: to.ref.id, topic });
  }
}
