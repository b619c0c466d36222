/**
 * Request/response over the simulated network, with the failure semantics of RLDP (node/net/types.ts):
 *
 * - the deadline fails a request with TIMEOUT (local), or UNAVAILABLE when its target was dead, unknown or cut
 *   off; with deadPeer 'immediate' those fail UNAVAILABLE at once instead, as a refused connection does;
 * - a handler's NetError with a remote code reaches the caller with `remote: true`, its message and its `data`;
 *   any other failure of the handler reaches it as UNAVAILABLE without the handler's message;
 * - a killed caller's requests fail CLOSED; a reply from a process that died (or restarted) since is never sent;
 * - bodies are copied both ways, so neither side sees the other mutate its buffers.
 */
import { NetError, REMOTE_ERROR_CODES, type RemoteErrorCode } from '../errors.ts';
import type { PeerRef, RequestContext, RequestOptions } from '../types.ts';
import { emit, type Call, type PeerState, type SimContext } from './context.ts';
import { SimError } from './errors.ts';

type Outcome = { readonly reply: Uint8Array } | { readonly error: NetError };

function settle(ctx: SimContext, call: Call, outcome: Outcome): void {
  if (call.settled) return;
  call.settled = true;
  if (call.timer !== undefined) ctx.clock.clearTimeout(call.timer);
  call.detachSignal?.();
  call.from.outgoing.delete(call);
  call.to?.incoming.delete(call);
  if (!call.answered) call.handlerAbort?.abort(new NetError('CLOSED', 'the request ended before its handler did'));
  const detail = 'reply' in outcome ? 'ok' : outcome.error.code;
  emit(ctx, { kind: 'settle', from: call.from.ref.id, to: call.toId, name: call.method, detail });
  if ('reply' in outcome) {
    ctx.stats.replies += 1;
    call.resolve(outcome.reply);
    return;
  }
  const { error } = outcome;
  if (error.remote) ctx.stats.remoteErrors += 1;
  else if (error.code === 'TIMEOUT') ctx.stats.timeouts += 1;
  else if (error.code === 'UNAVAILABLE') ctx.stats.unavailable += 1;
  call.reject(error);
}

function unreachableError(call: Call): NetError {
  return new NetError('UNAVAILABLE', `${call.toId} cannot be reached`);
}

/** The target cannot take the call: fail it now or let the deadline fail it, per the network's mode. */
function markUnreachable(ctx: SimContext, call: Call): void {
  call.unreachable = true;
  if (ctx.deadPeer === 'immediate') settle(ctx, call, { error: unreachableError(call) });
}

function isRemoteCode(code: string): code is RemoteErrorCode {
  return (REMOTE_ERROR_CODES as readonly string[]).includes(code);
}

/** What the caller receives for a handler's failure. */
function remoteError(error: unknown): NetError {
  if (error instanceof NetError && isRemoteCode(error.code)) {
    const data = error.data === undefined ? undefined : Uint8Array.from(error.data);
    return new NetError(error.code, error.message, { remote: true, ...(data === undefined ? {} : { data }) });
  }
  return new NetError('UNAVAILABLE', 'the peer failed to handle the request', { remote: true });
}

function respond(ctx: SimContext, call: Call, outcome: { reply: unknown } | { error: unknown }): void {
  const responder = call.to!;
  call.answered = true;
  // A reply from a process that has died or restarted since never leaves it.
  if (!responder.alive || responder.incarnation !== call.toIncarnation || call.settled) return;
  let message: Outcome;
  if ('error' in outcome) {
    message = { error: remoteError(outcome.error) };
  } else if (!(outcome.reply instanceof Uint8Array)) {
    message = { error: remoteError(undefined) };
  } else if (outcome.reply.length > ctx.maxMessageSize) {
    const why = `reply of ${outcome.reply.length} bytes exceeds ${ctx.maxMessageSize}`;
    message = { error: new NetError('TOO_LARGE', why, { remote: true }) };
  } else {
    message = { reply: Uint8Array.from(outcome.reply) };
  }
  const caller = call.from;
  // Lost in a partition: the caller's deadline will tell.
  if (ctx.links.isCut(responder.ref.id, caller.ref.id)) return;
  const now = ctx.clock.now();
  const arrival = ctx.links.orderedArrival(responder.ref.id, caller.ref.id, now);
  ctx.clock.setTimeout(() => {
    if (caller.alive && caller.incarnation === call.fromIncarnation) settle(ctx, call, message);
  }, arrival - now);
}

function deliver(ctx: SimContext, call: Call, body: Uint8Array): void {
  if (call.settled) return;
  const target = call.to!;
  const caller = call.from;
  if (!target.alive || target.incarnation !== call.toIncarnation || ctx.links.isCut(caller.ref.id, target.ref.id)) {
    markUnreachable(ctx, call);
    return;
  }
  emit(ctx, { kind: 'deliver', from: caller.ref.id, to: call.toId, name: call.method });
  const handler = target.handlers.get(call.method);
  if (handler === undefined) {
    respond(ctx, call, { error: new NetError('UNAVAILABLE', `no handler for ${call.method}`) });
    return;
  }
  const abort = new AbortController();
  call.handlerAbort = abort;
  const context: RequestContext = { peer: caller.ref.id, deadline: call.deadline, signal: abort.signal };
  let result: Promise<Uint8Array>;
  try {
    result = Promise.resolve(handler(body, context));
  } catch (error) {
    result = Promise.reject(error);
  }
  result.then(
    (reply) => respond(ctx, call, { reply }),
    (error: unknown) => respond(ctx, call, { error }),
  );
}

export function simRequest(
  ctx: SimContext,
  from: PeerState,
  target: PeerRef,
  method: string,
  body: Uint8Array,
  options: RequestOptions = {},
): Promise<Uint8Array> {
  if (!from.alive) return Promise.reject(new NetError('CLOSED', `${from.ref.id} is stopped`));
  if (body.length > ctx.maxMessageSize) {
    return Promise.reject(new NetError('TOO_LARGE', `request of ${body.length} bytes exceeds ${ctx.maxMessageSize}`));
  }
  const timeoutMs = options.timeoutMs ?? ctx.defaultTimeoutMs;
  if (!(timeoutMs >= 0 && timeoutMs <= Number.MAX_SAFE_INTEGER)) {
    return Promise.reject(new SimError('BAD_ARGUMENT', `timeoutMs must be ms ≥ 0, got ${timeoutMs}`));
  }
  if (options.signal?.aborted) return Promise.reject(abortedError(options.signal));
  const now = ctx.clock.now();
  const to = ctx.peers.get(target.id);
  return new Promise((resolve, reject) => {
    const call: Call = {
      from,
      fromIncarnation: from.incarnation,
      to,
      toId: target.id,
      toIncarnation: to?.incarnation ?? -1,
      method,
      deadline: now + Math.max(0, Math.ceil(timeoutMs)),
      unreachable: false,
      settled: false,
      answered: false,
      timer: undefined,
      handlerAbort: undefined,
      detachSignal: undefined,
      resolve,
      reject,
    };
    call.timer = ctx.clock.setTimeout(() => {
      const error = call.unreachable
        ? unreachableError(call)
        : new NetError('TIMEOUT', `${method} to ${target.id}: no reply within ${timeoutMs} ms`);
      settle(ctx, call, { error });
    }, call.deadline - now);
    const signal = options.signal;
    if (signal !== undefined) {
      const onAbort = () => settle(ctx, call, { error: abortedError(signal) });
      signal.addEventListener('abort', onAbort, { once: true });
      call.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
    from.outgoing.add(call);
    to?.incoming.add(call);
    ctx.stats.requests += 1;
    emit(ctx, { kind: 'request', from: from.ref.id, to: target.id, name: method });
    if (to === undefined || !to.alive || ctx.links.isCut(from.ref.id, to.ref.id)) {
      markUnreachable(ctx, call);
      return;
    }
    const copy = Uint8Array.from(body);
    const arrival = ctx.links.orderedArrival(from.ref.id, to.ref.id, now);
    ctx.clock.setTimeout(() => deliver(ctx, call, copy), arrival - now);
  });
}

/** A request the caller aborted: CLOSED, carrying the abort reason as its cause. */
function abortedError(signal: AbortSignal): NetError {
  return new NetError('CLOSED', 'the request was aborted by its caller', { cause: signal.reason });
}

/**
 * A peer's process dies: its own requests fail CLOSED, handlers running in it are aborted, and requests to it
 * fail UNAVAILABLE now or at their deadline.
 */
export function failCallsOfKilled(ctx: SimContext, peer: PeerState): void {
  for (const call of [...peer.outgoing]) {
    settle(ctx, call, { error: new NetError('CLOSED', `${peer.ref.id} was stopped`) });
  }
  for (const call of [...peer.incoming]) {
    if (!call.answered) call.handlerAbort?.abort(new NetError('CLOSED', `${peer.ref.id} was stopped`));
    call.answered = true;
    markUnreachable(ctx, call);
  }
}
