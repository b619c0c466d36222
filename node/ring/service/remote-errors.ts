/**
 * How ring failures cross the wire. A RingError raised while serving a request (a bad record, a stale write, a
 * refused view) goes back as RLDP BAD_REQUEST whose data is the ring code, so the caller rethrows the same typed
 * RingError; NetErrors pass through as they are. Anything else is a bug and goes back as UNAVAILABLE without
 * its message (rldp does that).
 */
import { NetError } from '../../net/errors.ts';
import { utf8 } from '../../crypto/index.ts';
import { RING_ERROR_CODES, RingError, type RingErrorCode } from '../errors.ts';

export function toRemote(error: unknown): unknown {
  if (error instanceof RingError) {
    return new NetError('BAD_REQUEST', `${error.code}: ${error.message}`, { data: utf8(error.code) });
  }
  return error;
}

/** A remote BAD_REQUEST that carries a ring code becomes that RingError again; everything else is unchanged. */
export function fromRemote(error: unknown): unknown {
  if (error instanceof NetError && error.remote && error.code === 'BAD_REQUEST' && error.data !== undefined) {
    const code = new TextDecoder().decode(error.data) as RingErrorCode;
    if (RING_ERROR_CODES.includes(code)) {
      const message = error.message.startsWith(`${code}: `) ? error.message.slice(code.length + 2) : error.message;
      return new RingError(code, message, { cause: error });
    }
  }
  return error;
}

/** Wraps a handler so its RingErrors travel typed. */
export function serving<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (error) {
      throw toRemote(error);
    }
  };
}

/** The same error with the method and the server it came from in its message (codes and data unchanged). */
export function at(error: unknown, method: string, server: string): unknown {
  if (error instanceof NetError) {
    return new NetError(error.code, `${method} at ${server}: ${error.message}`, {
      cause: error,
      remote: error.remote,
      ...(error.data === undefined ? {} : { data: error.data }),
    });
  }
  return error;
}
