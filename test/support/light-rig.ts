/**
 * The light-client service without libp2p: a TestChain whose blocks are appended to a ChainStore as a manager
 * appends them, `serveLight` registered on an in-process RPC, and that RPC's client side routing requests to the
 * handlers of the named peer (errors as RLDP delivers them: a NetError as it was thrown, anything else as
 * UNAVAILABLE). More peers — fakes that forge replies — are added with `serve`.
 */
import { join } from 'node:path';
import type { Block, BlockResult, Tx } from '../../node/ledger/index.ts';
import { ChainStore, serveLight } from '../../node/manager/index.ts';
import { NetError, type PeerRef, type RequestHandler, type Rpc } from '../../node/net/index.ts';
import { type BlockOptions, TestChain } from './ledger-chain.ts';

export const MANAGER_PEER: PeerRef = { id: 'manager', addrs: [] };

export class StubNet {
  readonly #handlers = new Map<string, Map<string, RequestHandler>>();
  /** Requests sent, by peer id. */
  readonly sent = new Map<string, number>();

  /** The server side of `peer`: handlers registered on it answer requests sent to it. */
  rpcOf(peer: PeerRef): Rpc {
    const handlers = new Map<string, RequestHandler>();
    this.#handlers.set(peer.id, handlers);
    return {
      self: peer,
      handle: (method, handler) => {
        if (handlers.has(method)) throw new NetError('BAD_REQUEST', `${method} is handled already`);
        handlers.set(method, handler);
      },
      unhandle: (method) => void handlers.delete(method),
      request: (to, method, body) => this.request(to, method, body),
    };
  }

  /** The client side: what a follower is given. */
  client(): Rpc {
    return this.rpcOf({ id: 'client', addrs: [] });
  }

  handler(peer: PeerRef, method: string): RequestHandler | undefined {
    return this.#handlers.get(peer.id)?.get(method);
  }

  async request(to: PeerRef, method: string, body: Uint8Array): Promise<Uint8Array> {
    this.sent.set(to.id, (this.sent.get(to.id) ?? 0) + 1);
    const handler = this.handler(to, method);
    if (handler === undefined) throw new NetError('UNAVAILABLE', `${to.id} does not serve ${method}`, { remote: true });
    try {
      return await handler(Uint8Array.from(body), { peer: 'client', deadline: Date.now() + 5_000, signal: new AbortController().signal });
    } catch (error) {
      if (error instanceof NetError) throw new NetError(error.code, error.message, { remote: true });
      throw new NetError('UNAVAILABLE', 'the handler failed', { remote: true });
    }
  }
}

export class LightRig {
  readonly c: TestChain;
  readonly chain: ChainStore;
  readonly net = new StubNet();
  /** The state root of the genesis (what a light client from the genesis starts with). */
  readonly genesisRoot: Uint8Array;
  /** While true the service answers as a manager that is syncing. */
  syncing = false;

  constructor() {
    this.c = new TestChain();
    this.genesisRoot = this.c.store.root();
    this.chain = ChainStore.open(join(this.c.dir, 'chain.sqlite'), { chainId: this.c.chainId });
    serveLight(this.net.rpcOf(MANAGER_PEER), {
      chain: () => (this.syncing ? undefined : this.chain),
      store: () => (this.syncing ? undefined : this.c.store),
    });
  }

  /** A block made, certified and applied by the TestChain, then stored — without its certificate if asked. */
  block(txs: readonly (Tx | Uint8Array)[], options: BlockOptions = {}, stored: { certificate?: boolean } = {}): { block: Block; result: BlockResult } {
    const made = this.c.block(txs, options);
    this.chain.append(stored.certificate === false ? { ...made.block, certificate: [] } : made.block, made.result);
    return made;
  }

  close(): void {
    this.chain.close();
    this.c.close();
  }
}
