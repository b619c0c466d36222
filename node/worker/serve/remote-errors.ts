/**
 * How a worker's refusals cross the wire. A typed error of ours raised while serving (a replayed receipt, a chunk
 * that does not match its manifest, a full mailbox) goes back as RLDP BAD_REQUEST whose data is the error's
 * class and code ("WorkerError:REPLAY"), so the client learns exactly why; anything else is a bug and goes back as
 * UNAVAILABLE without its message (rldp does that).
 */
import { AmeError, utf8 } from '../../crypto/index.ts';
import { NetError } from '../../net/index.ts';
import { WorkerError } from '../errors.ts';

export function toRemote(error: unknown): unknown {
  if (error instanceof AmeError && !(error instanceof NetError)) {
    const remote = `${error.name}:${error.code}`;
    return new NetError('BAD_REQUEST', `${remote}: ${error.message}`, { data: utf8(remote) });
  }
  return error;
}

/** A refusal from a worker as WorkerError REFUSED (with `remote` set); transport errors pass through. */
export function fromRemote(error: unknown): unknown {
  if (error instanceof NetError && error.remote && error.code === 'BAD_REQUEST' && error.data !== undefined) {
    const remote = new TextDecoder().decode(error.data);
    if (/^[A-Za-z]+:[A-Z_]+$/.test(remote)) {
      const message = error.message.startsWith(`${remote}: `) ? error.message.slice(remote.length + 2) : error.message;
      return new WorkerError('REFUSED', message, { remote, cause: error });
    }
  }
  return error;
}

export function serving<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (error) {
      throw toRemote(error);
    }
  };
}
