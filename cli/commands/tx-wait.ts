/**
 * Submitting a transaction signed by a wallet account over a manager's explorer API and waiting until a final
 * block holds it: what `ame channel` and `ame wallet convert` share. (`ame wallet transfer` has the same loop of
 * its own, written first.)
 */
import type { Wallet } from '../../node/crypto/index.ts';
import { encodeTx, signAccountTx, type TxBody, type TxKind } from '../../node/ledger/index.ts';
import { ExplorerError, type ExplorerClient, type TrustedGenesis } from '../../node/manager/explorer/index.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';

export interface Final {
  readonly hash: string;
  readonly height: string;
  readonly ok: boolean;
  readonly code: string | null;
  readonly message: string | null;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** --wait S: seconds, 0…3600, default 60. */
export function waitSeconds(text: string | undefined): number {
  const s = text === undefined ? 60 : Number(text);
  if (!Number.isFinite(s) || s < 0 || s > 3600) throw new CliError('USAGE', '--wait must be 0…3600 seconds');
  return s;
}

/** The account's next nonce as the final state has it (0 for an account the ledger does not hold yet). */
export async function nextNonce(client: ExplorerClient, address: string): Promise<bigint> {
  try {
    return BigInt((await client.account(address)).nonce);
  } catch (error) {
    if (error instanceof ExplorerError && error.code === 'UNKNOWN_ACCOUNT') return 0n;
    throw error;
  }
}

/** Signs `kind` with the wallet's account key at its next nonce and the genesis minimum fee. */
export async function signTx<K extends TxKind>(
  client: ExplorerClient,
  genesis: TrustedGenesis,
  wallet: Wallet,
  kind: K,
  body: TxBody<K>,
): Promise<{ encoded: Uint8Array; nonce: bigint }> {
  const nonce = await nextNonce(client, wallet.account.address);
  const tx = signAccountTx({ chain: genesis.id, kind, nonce, fee: genesis.config.params.minFee, body }, wallet.account);
  return { encoded: encodeTx(tx), nonce };
}

/** Polls the transaction until a final block holds it; TIMEOUT (naming the hash, to look it up later) after waitS. */
export async function waitFinal(io: CliIO, client: ExplorerClient, hash: string, waitS: number): Promise<Final> {
  const deadline = io.now() + waitS * 1000;
  for (;;) {
    try {
      const reply = await client.tx(hash);
      if (reply.status === 'final') {
        return { hash, height: String(reply.height), ok: reply.ok === true, code: reply.code ?? null, message: reply.message ?? null };
      }
    } catch (error) {
      if (!(error instanceof ExplorerError) || error.code !== 'NOT_FOUND') throw error;
    }
    if (io.now() >= deadline) {
      throw new ExplorerError('TIMEOUT', `transaction ${hash} was not in a final block within ${waitS} s; look later: ame chain tx ${hash}`);
    }
    await sleep(250);
  }
}

/** A failed transaction as the error to exit with (its fee was charged, its nonce used). */
export function failed(what: string, final: Final): CliError {
  return new CliError('TX_FAILED', `${what} failed in block ${final.height}: ${final.code ?? '?'} (${final.message ?? ''}); its fee was charged`);
}
