/**
 * A request a node sends to itself (a ring replica set often includes the sender) is served by its own handler,
 * off the network, with the same deadline, abort and error rules as a remote one.
 */
import { NetError } from '../errors.ts';
import type { Clock, RequestContext, RequestHandler } from '../types.ts';
import { detach } from './frame-decoder.ts';
import { wireFailure } from './handler-error.ts';

export async function serveLocally(
  handler: RequestHandler | undefined,
  method: string,
  body: Uint8Array,
  self: string,
  clock: Clock,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (handler === undefined) throw new NetError('UNAVAILABLE', `no handler for method ${method}`, { remote: true });
  const controller = new AbortController();
  const ctx: RequestContext = { peer: self, deadline: clock.now() + timeoutMs, signal: controller.signal };
  const { promise: stopped, reject } = Promise.withResolvers<never>();
  const giveUp = (error: NetError) => {
    controller.abort(error);
    reject(error);
  };
  const timer = clock.setTimeout(() => giveUp(new NetError('TIMEOUT', `no reply within ${timeoutMs} ms`)), timeoutMs);
  const onAbort = () => giveUp(new NetError('CLOSED', 'request aborted by the caller', { cause: signal?.reason }));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([run(handler, detach(body), ctx), stopped]);
  } finally {
    clock.clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

async function run(handler: RequestHandler, body: Uint8Array, ctx: RequestContext): Promise<Uint8Array> {
  let reply: unknown;
  try {
    reply = await handler(body, ctx);
  } catch (error) {
    const { code, message, data } = wireFailure(error).failure;
    throw new NetError(code, message, { ...(data === undefined ? {} : { data }), remote: true });
  }
  if (!(reply instanceof Uint8Array)) throw new NetError('UNAVAILABLE', 'the handler failed', { remote: true });
  return detach(reply);
}
