/**
 * `ame up` registers its Worker Ring servers on the ledger as workers (SPEC §6 item 1), because the ledger opens
 * a payment channel only to registered, active payees and pays a settlement only to a registered payee's payout
 * account. One payout account, DIR/payout-wallet.json (a plain ECDSA keystore, mode 0600, made on the first
 * start), takes every server's earnings and pays their worker deposits (`depositWorker`, 100 ABC each under the
 * production parameters); the investors' genesis account funds it by a transfer of what it lacks.
 *
 * Idempotent across restarts: servers the final state already holds are skipped, and the transfer covers only
 * the shortfall, so a start after a crash half-way finishes the job and a normal restart submits nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Ed25519KeyPair,
  encodeKeystore,
  readKeystoreFile,
  toHex,
  unlockKeystore,
  Wallet,
  writeKeystoreFile,
} from '../../node/crypto/index.ts';
import { encodeTx, signAccountTx, spendable, type TxBody, type TxKind } from '../../node/ledger/index.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import { CliError } from '../errors.ts';

export const PAYOUT_WALLET_FILE = 'payout-wallet.json';
/** Left in the payout account beyond the deposits: the fees of the settlements its servers will submit. */
const FEE_RESERVE = 10_000_000n;
const BATCH = 32;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** DIR/payout-wallet.json, created on the first call. */
export async function loadOrCreatePayout(dir: string, nowMs: number): Promise<Wallet> {
  const path = join(dir, PAYOUT_WALLET_FILE);
  if (existsSync(path)) return unlockKeystore(readKeystoreFile(path));
  const wallet = Wallet.generate('ecdsa');
  writeKeystoreFile(path, await encodeKeystore(wallet, {}, nowMs));
  return wallet;
}

export interface Registration {
  readonly payout: string;
  /** Servers registered by this call. */
  readonly registered: number;
  /** Servers the ledger held already. */
  readonly already: number;
}

export interface RegisterOptions {
  /** A manager of the local Unity: its final state is read and transactions are submitted to its intake. */
  readonly server: ManagerServer;
  readonly servers: readonly Ed25519KeyPair[];
  readonly payout: Wallet;
  /** Pays the payout account what it lacks. */
  readonly funder: Wallet;
  readonly timeoutMs?: number;
}

/** Waits until a final block holds every hash; TX_FAILED naming the ledger's code when one failed. */
export async function final(server: ManagerServer, hashes: readonly Uint8Array[], what: string, deadline: number): Promise<void> {
  let left = [...hashes];
  while (left.length > 0) {
    const still: Uint8Array[] = [];
    for (const hash of left) {
      const tx = server.chain.tx(hash);
      if (tx === undefined) still.push(hash);
      else if (tx.code !== null) throw new CliError('TX_FAILED', `${what} ${toHex(hash)} failed in block ${tx.height}: ${tx.code} (${tx.message ?? ''})`);
    }
    left = still;
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new CliError('TX_FAILED', `${what}: ${left.length} transaction(s) not final in time`);
    await sleep(100);
  }
}

export async function registerRingServers(options: RegisterOptions): Promise<Registration> {
  const { server, payout, funder } = options;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let view = server.ledger.finalView();
  const missing = options.servers.filter((key) => view.node(key.publicKey.bytes) === undefined);
  const result = { payout: payout.account.address, registered: missing.length, already: options.servers.length - missing.length };
  if (missing.length === 0) return result;
  const params = view.params();
  const chain = view.chain().chainId;
  const submit = <K extends TxKind>(kind: K, nonce: bigint, body: TxBody<K>, signer: Wallet, second?: Ed25519KeyPair) =>
    server.submit(encodeTx(signAccountTx({ chain, kind, nonce, fee: params.minFee, body }, signer.account, second)));

  const need = BigInt(missing.length) * (params.depositWorker + params.minFee) + FEE_RESERVE;
  const held = spendable(params, view.account(payout.account.address));
  if (held < need) {
    const hash = submit('transfer', view.account(funder.account.address).nonce, { to: payout.account.address, amount: need - held }, funder);
    await final(server, [hash], 'funding the payout account', deadline);
    view = server.ledger.finalView();
  }
  // A registration is signed by the payout account (which pays the deposit) and by the node key (its PeerId). In
  // batches: the mempool admits an account's transactions at most 64 nonces ahead of its final nonce.
  for (let at = 0; at < missing.length; at += BATCH) {
    const first = server.ledger.finalView().account(payout.account.address).nonce;
    const hashes = missing.slice(at, at + BATCH).map((key, i) =>
      submit('register', first + BigInt(i), { node: key.publicKey.bytes, role: 'worker', hardware: 'ame up (local)' }, payout, key),
    );
    await final(server, hashes, 'registering ring server', deadline);
  }
  return result;
}
