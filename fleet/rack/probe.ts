/**
 * Proof that a rack Unity finalises: an idle Unity decides empty values and stores no block, so the rack tools
 * submit a transaction and wait until a final block holds it. The probe is a transfer of one micro-unit from a
 * genesis account to itself (its only cost is the fee), signed with that account's wallet from rack.json, submitted
 * to the first server that answers.
 */
import { fromHex, type Wallet } from '../../node/crypto/index.ts';
import { encodeTx, signAccountTx, type LedgerParams } from '../../node/ledger/index.ts';
import { ExplorerClient, ExplorerError } from '../../node/manager/explorer/index.ts';
import { RackError } from './errors.ts';
import type { HostLayout } from './plan.ts';

export interface ProbeDeps {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * The server with the highest final head: a server that just restarted may still be catching up, and would give an
 * old nonce (the same transaction again: DUPLICATE) or not yet know a transaction's block.
 */
export async function mostCaughtUp(layouts: readonly Pick<HostLayout, 'api'>[]): Promise<ExplorerClient> {
  const heads = await Promise.all(
    layouts.map(async (layout) => {
      const client = new ExplorerClient(layout.api, { timeoutMs: 2_000 });
      try {
        return { client, height: BigInt((await client.head()).height) };
      } catch {
        return undefined;
      }
    }),
  );
  const answering = heads.filter((h) => h !== undefined);
  if (answering.length === 0) throw new RackError('NOT_HEALTHY', 'no server of the rack answers');
  return answering.reduce((best, h) => (h.height > best.height ? h : best)).client;
}

/** A refusal that a fresh nonce from a caught-up server cures: the nonce was read from a server behind. */
const staleNonce = (error: unknown) => error instanceof ExplorerError && /DUPLICATE|BAD_NONCE|already pooled|nonce/i.test(`${error.code} ${error.message}`);

/** Submits a probe transfer from `wallet`'s account and resolves with the height of the final block holding it. */
export function probeFinality(layouts: readonly HostLayout[], chainId: string, params: Pick<LedgerParams, 'minFee'>, wallet: Wallet, deps: ProbeDeps, timeoutMs: number): Promise<number> {
  return transferFinal(layouts, chainId, params, wallet, { to: wallet.account.address, amount: 1n }, deps, timeoutMs);
}

/** A transfer from `wallet`'s account, submitted to the most caught-up server: the height of its final block. */
export async function transferFinal(
  layouts: readonly Pick<HostLayout, 'api'>[],
  chainId: string,
  params: Pick<LedgerParams, 'minFee'>,
  wallet: Wallet,
  transfer: { readonly to: string; readonly amount: bigint },
  deps: ProbeDeps,
  timeoutMs: number,
): Promise<number> {
  const deadline = deps.now() + timeoutMs;
  let client = await mostCaughtUp(layouts);
  const { address } = wallet.account;
  let hash: string;
  for (;;) {
    const nonce = BigInt((await client.account(address)).nonce);
    const tx = signAccountTx({ chain: fromHex(chainId), kind: 'transfer', nonce, fee: params.minFee, body: transfer }, wallet.account);
    try {
      hash = await client.submit(encodeTx(tx));
      break;
    } catch (error) {
      if (!staleNonce(error) || deps.now() > deadline) throw error;
      await deps.sleep(500);
      client = await mostCaughtUp(layouts);
    }
  }
  return finalHeight(layouts, client, hash, deps, deadline, timeoutMs);
}

/** Polls for transaction `hash` until a final block holds it (its height), asking another server if `client` goes down. */
export async function finalHeight(layouts: readonly Pick<HostLayout, 'api'>[], client: ExplorerClient, hash: string, deps: ProbeDeps, deadline: number, timeoutMs: number): Promise<number> {
  for (;;) {
    try {
      const reply = await client.tx(hash);
      if (reply.status === 'final') return Number(reply.height);
    } catch (error) {
      // The server asked may have gone down (a rolling upgrade stops each in turn): ask another one.
      if (!(error instanceof ExplorerError) || error.code !== 'NOT_FOUND') client = await mostCaughtUp(layouts);
    }
    if (deps.now() > deadline) throw new RackError('NOT_HEALTHY', `the transaction ${hash} was not in a final block within ${timeoutMs / 1000} s`);
    await deps.sleep(250);
  }
}
