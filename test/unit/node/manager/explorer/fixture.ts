/**
 * An explorer API over a real ledger: a TestChain (every block certified by the six managers), a chain store fed
 * with each block as it is applied, `explorerSource` over both and the HTTP server on 127.0.0.1, port 0.
 * `wrap` lets a test put a lying source in front of the honest one.
 */
import { join } from 'node:path';
import { type Block, type BlockResult, type Tx, txHash } from '../../../../../node/ledger/index.ts';
import { ChainStore } from '../../../../../node/manager/chain-store.ts';
import { ManagerError } from '../../../../../node/manager/errors.ts';
import { type ExplorerSource, ExplorerServer, explorerSource, type UnityRole } from '../../../../../node/manager/explorer/index.ts';
import { TestChain } from '../../../../support/ledger-chain.ts';

export interface ExplorerFixture {
  readonly chain: TestChain;
  readonly blocks: ChainStore;
  readonly source: ExplorerSource;
  readonly server: ExplorerServer;
  readonly url: string;
  /** Transactions POSTed and admitted, in order. */
  readonly submitted: Uint8Array[];
  /** Errors of auto-mining (a transaction the ledger would not take); tests assert it stays empty. */
  readonly mineErrors: unknown[];
  /** Set to make the next submissions fail with this error. */
  refuse: ManagerError | undefined;
  /** Applies a certified block of `txs` and stores it. */
  mine(txs: readonly (Tx | Uint8Array)[]): { block: Block; result: BlockResult };
  close(): Promise<void>;
}

export interface FixtureOptions {
  readonly wrap?: (honest: ExplorerSource) => ExplorerSource;
  readonly roles?: readonly UnityRole[];
  /** Mine every admitted transaction in a block of its own, this many ms after it was submitted. */
  readonly autoMineMs?: number;
}

export async function startExplorer(options: FixtureOptions = {}): Promise<ExplorerFixture> {
  const chain = new TestChain();
  const blocks = ChainStore.open(join(chain.dir, 'chain.sqlite'), { chainId: chain.chainId });
  const timers = new Set<NodeJS.Timeout>();
  const fixture: Partial<ExplorerFixture> & { submitted: Uint8Array[]; mineErrors: unknown[]; refuse: ManagerError | undefined } = {
    chain,
    blocks,
    submitted: [],
    mineErrors: [],
    refuse: undefined,
  };
  const mine = (txs: readonly (Tx | Uint8Array)[]) => {
    const applied = chain.block(txs);
    blocks.append(applied.block, applied.result);
    return applied;
  };
  const pending = new Set<string>();
  const honest = explorerSource({
    ledger: chain.ledger,
    store: chain.store,
    chain: blocks,
    genesis: chain.genesis,
    submit: (tx) => {
      if (fixture.refuse !== undefined) throw fixture.refuse;
      const hash = txHash(tx);
      fixture.submitted.push(tx);
      if (options.autoMineMs !== undefined) {
        const key = Buffer.from(hash).toString('hex');
        pending.add(key);
        const timer = setTimeout(() => {
          timers.delete(timer);
          pending.delete(key);
          try {
            mine([tx]);
          } catch (error) {
            fixture.mineErrors.push(error);
          }
        }, options.autoMineMs);
        timers.add(timer);
      }
      return hash;
    },
    pending: (hash) => pending.has(Buffer.from(hash).toString('hex')),
    ...(options.roles === undefined ? {} : { roles: () => options.roles! }),
  });
  const source = options.wrap === undefined ? honest : options.wrap(honest);
  const server = new ExplorerServer({ source, port: 0 });
  await server.listen();
  return Object.assign(fixture, {
    source,
    server,
    url: server.url,
    mine,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await server.close();
      blocks.close();
      chain.close();
    },
  }) as ExplorerFixture;
}

/** A ManagerError as the mempool throws it for a refused transaction. */
export function rejected(reason: string): ManagerError {
  return new ManagerError('REJECTED', `${reason}: refused by the test`, { reason });
}
