/**
 * Reads and writes by key from anywhere: locate the owner Unity (≤ 2 hops, router.ts), then ask one of its
 * servers — the key's own replicas first, so the coordinator usually holds a copy — to coordinate. A stale route
 * (WRONG_EPOCH) is redirected with the fresh, certified view the server sent and retried. Servers use this for
 * their own requests; operators and clients use it with an entry server (`ame ring …`).
 */
import { NetError } from '../../net/errors.ts';
import type { PeerRef, Rpc } from '../../net/types.ts';
import type { Key } from '../keyspace.ts';
import { rankServers } from '../replicas.ts';
import { bodies, decodeBody, encodeBody, METHOD } from './protocol.ts';
import { at, fromRemote } from './remote-errors.ts';
import type { Located, Router } from './router.ts';

export interface RingClientDeps {
  readonly rpc: Rpc;
  readonly router: Router;
  readonly timeoutMs: number;
}

export interface Traced<T> {
  readonly result: T;
  /** The lookup that found the owner (the last one, after redirects). */
  readonly located: Located;
  /** WRONG_EPOCH redirects followed, in the lookup and at the owner. */
  readonly redirects: number;
}

const MAX_REDIRECTS = 3;

export class RingClient {
  private readonly deps: RingClientDeps;

  constructor(deps: RingClientDeps) {
    this.deps = deps;
  }

  /** The stored value bytes (encoded RingValue), or undefined when no replica has the key. */
  async get(key: Key): Promise<Traced<Uint8Array | undefined>> {
    return this.atOwner(key, METHOD.get, (epoch) => encodeBody(bodies.keyRequest, { epoch, key }), (reply) =>
      decodeBody(bodies.valueReply, reply, METHOD.get).value,
    );
  }

  async put(key: Key, value: Uint8Array): Promise<Traced<{ acks: number; replicas: number }>> {
    return this.atOwner(key, METHOD.put, (epoch) => encodeBody(bodies.putRequest, { epoch, key, value }), (reply) =>
      decodeBody(bodies.putReply, reply, METHOD.put),
    );
  }

  private async atOwner<T>(
    key: Key,
    method: string,
    body: (epoch: bigint) => Uint8Array,
    parse: (reply: Uint8Array) => T,
  ): Promise<Traced<T>> {
    let last: unknown;
    let redirects = 0;
    for (let attempt = 0; attempt <= MAX_REDIRECTS; attempt++) {
      const located = await this.deps.router.locate(key);
      redirects += located.redirects;
      // The newest epoch known, which may be newer than the answer's if a redirect taught us one.
      const epoch = this.deps.router.epoch();
      const outcome = await this.tryServers(rankServers(located.servers as PeerRef[], key), method, body(epoch));
      if ('reply' in outcome) return { result: parse(outcome.reply), located, redirects };
      if (outcome.redirect) redirects++;
      last = outcome.error;
      if (!outcome.redirect) break;
    }
    throw fromRemote(last);
  }

  private async tryServers(
    servers: readonly PeerRef[],
    method: string,
    body: Uint8Array,
  ): Promise<{ reply: Uint8Array } | { error: unknown; redirect: boolean }> {
    let last: unknown = new NetError('UNAVAILABLE', 'the owner Unity lists no server');
    for (const server of servers) {
      try {
        return { reply: await this.deps.rpc.request(server, method, body, { timeoutMs: this.deps.timeoutMs }) };
      } catch (error) {
        // The owner moved on: route again, with its fresher view if it is newer than what we know.
        if (error instanceof NetError && error.code === 'WRONG_EPOCH') {
          this.deps.router.freshView(error);
          return { error, redirect: true };
        }
        // A refusal of the request itself (bad record, stale write) would be the same at every server.
        if (error instanceof NetError && error.remote && error.code === 'BAD_REQUEST') return { error, redirect: false };
        last = at(error, method, server.id);
      }
    }
    return { error: last, redirect: false };
  }
}
