/**
 * `ame chain head|block|tx`: the final chain as a manager's explorer API serves it (docs/explorer.md). What is
 * shown is what the manager says; `ame wallet balance` is the command that verifies (light client).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fromHex, toHex } from '../../node/crypto/index.ts';
import {
  type BlockJson,
  ExplorerClient,
  fetchGenesis,
  type HeadJson,
  type TrustedGenesis,
  type TxJson,
} from '../../node/manager/explorer/index.ts';
import { formatAmount } from '../../node/wire/index.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';

export const DEFAULT_MANAGER_URL = 'http://127.0.0.1:7700';

const USAGE = `ame chain <head|block|tx> [--json] [--manager URL]
  head            the last final block: height, hash, state root, time, whether it is certified
  block N|HASH    a final block by height or hash, with its transactions and their outcomes
  tx HASH         a transaction: its block, outcome, kind, signer, nonce, fee and body (or "pending")
--manager URL defaults to $AME_MANAGER, else ${DEFAULT_MANAGER_URL}.`;

const OPTIONS = { json: { type: 'boolean' }, manager: { type: 'string' } } as const;

/** The explorer API to talk to: --manager, else AME_MANAGER, else the local default. */
export function managerClient(io: CliIO, given: string | undefined): ExplorerClient {
  const url = given ?? io.env['AME_MANAGER'] ?? DEFAULT_MANAGER_URL;
  try {
    return new ExplorerClient(url);
  } catch (cause) {
    throw new CliError('USAGE', `--manager: ${(cause as Error).message}`, { cause });
  }
}

interface ChainPin {
  readonly chainId: string;
  readonly chainName: string;
  readonly manager: string;
  readonly pinned: string;
}

/** Where a wallet keeps the chain it trusts: beside the wallet file. */
export function pinPath(walletPath: string): string {
  return `${walletPath}.chain.json`;
}

function parseChainId(text: string, from: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new CliError('USAGE', `${from} must be a chain id of 64 hex digits`);
  return fromHex(text.toLowerCase());
}

/**
 * The genesis of the chain the manager serves, checked against the wallet's pin: --chain (or AME_CHAIN_ID) when
 * given, else the id pinned beside the wallet. With neither, the first chain seen is trusted and pinned (trust
 * on first use, docs/cli.md); later runs refuse any other chain with CHAIN_MISMATCH.
 */
export async function trustedChain(io: CliIO, client: ExplorerClient, walletPath: string, given: string | undefined): Promise<TrustedGenesis> {
  const file = pinPath(walletPath);
  const explicit = given ?? io.env['AME_CHAIN_ID'];
  let pinned: Uint8Array | undefined;
  if (explicit !== undefined && explicit !== '') {
    pinned = parseChainId(explicit, given === undefined ? 'AME_CHAIN_ID' : '--chain');
  } else if (existsSync(file)) {
    let pin: ChainPin;
    try {
      pin = JSON.parse(readFileSync(file, 'utf8')) as ChainPin;
    } catch (cause) {
      throw new CliError('NOT_FOUND', `${file} is not a chain pin (remove it to trust the chain anew)`, { cause });
    }
    pinned = parseChainId(String(pin.chainId), file);
  }
  const genesis = await fetchGenesis(client, pinned);
  if (!existsSync(file)) {
    const pin: ChainPin = { chainId: toHex(genesis.id), chainName: genesis.config.chainName, manager: client.baseUrl, pinned: new Date(io.now()).toISOString() };
    writeFileSync(file, `${JSON.stringify(pin, null, 2)}\n`, { flag: 'wx', mode: 0o644 });
    if (pinned === undefined) {
      io.stderr.write(`trusting chain ${pin.chainId} (${pin.chainName}) of ${client.baseUrl} on first use; pinned in ${file}\n`);
    }
  }
  return genesis;
}

/** "2026-01-02T03:04:05.000Z" for a consensus time in ms (the raw number when it is not a date). */
export function formatTime(ms: string): string {
  const n = Number(ms);
  return Number.isSafeInteger(n) && n >= 0 && n < 8.64e15 ? new Date(n).toISOString() : ms;
}

export function abc(micro: string | undefined): string {
  return micro === undefined ? '-' : formatAmount(BigInt(micro), 'ABC');
}

function rows(io: CliIO, entries: readonly (readonly [string, string])[]): void {
  const width = Math.max(...entries.map(([k]) => k.length)) + 2;
  for (const [k, v] of entries) io.stdout.write(`${k.padEnd(width)}${v}\n`);
}

function printHead(io: CliIO, head: HeadJson): void {
  rows(io, [
    ['chain', head.chainId],
    ['height', head.height],
    ['hash', head.hash],
    ['state root', head.stateRoot],
    ['time', formatTime(head.time)],
    ['kind', head.kind],
    ['certified', head.certified ? 'yes' : 'not yet (no certificate collected)'],
  ]);
}

function printBlock(io: CliIO, block: BlockJson): void {
  rows(io, [
    ['height', block.height],
    ['hash', block.hash],
    ['time', formatTime(block.time)],
    ['kind', block.header.kind],
    ['proposer', block.header.proposer],
    ['state root', block.header.stateRoot],
    ['certificate', block.certificate.length === 0 ? 'none yet' : `${block.certificate.length} signatures`],
    ['size', `${block.size} bytes`],
    ['transactions', String(block.txs.length)],
  ]);
  for (const tx of block.txs) {
    const outcome = tx.ok ? 'ok' : `failed ${tx.code ?? ''}`;
    io.stdout.write(`  ${String(tx.index).padStart(3)}  ${tx.hash}  ${(tx.kind ?? '?').padEnd(14)} ${outcome}\n`);
  }
}

function printTx(io: CliIO, tx: TxJson): void {
  if (tx.status === 'pending') {
    rows(io, [
      ['hash', tx.hash],
      ['status', 'pending (in the mempool, not in a final block yet)'],
    ]);
    return;
  }
  const outcome = tx.ok === true ? 'ok' : `failed: ${tx.code ?? '?'}${tx.message ? ` (${tx.message})` : ''}`;
  rows(io, [
    ['hash', tx.hash],
    ['status', `final, block ${tx.height} (index ${tx.index})`],
    ['block hash', tx.blockHash ?? '-'],
    ['outcome', outcome],
    ['kind', tx.kind ?? '-'],
    ['signer', tx.signer ?? '-'],
    ['nonce', tx.nonce ?? '-'],
    ['fee', abc(tx.fee)],
    ...Object.entries(tx.body ?? {}).map(([k, v]): [string, string] => [`body.${k}`, k === 'amount' && typeof v === 'string' ? abc(v) : JSON.stringify(v)]),
  ]);
}

export async function chain(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(`usage: ${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  const { values, positionals } = parse(rest, OPTIONS, USAGE);
  const client = managerClient(io, values.manager);
  const want = (n: number, what: string) => {
    if (positionals.length !== n) throw new CliError('USAGE', `${what}\nusage: ${USAGE}`);
  };
  let reply: HeadJson | BlockJson | TxJson;
  let print: () => void;
  switch (sub) {
    case 'head': {
      want(0, 'chain head takes no argument');
      const head = await client.head();
      [reply, print] = [head, () => printHead(io, head)];
      break;
    }
    case 'block': {
      want(1, 'chain block needs a height or a block hash');
      const block = await client.block(positionals[0]!);
      [reply, print] = [block, () => printBlock(io, block)];
      break;
    }
    case 'tx': {
      want(1, 'chain tx needs a transaction hash');
      const tx = await client.tx(positionals[0]!);
      [reply, print] = [tx, () => printTx(io, tx)];
      break;
    }
    default:
      throw new CliError('USAGE', `unknown chain command "${sub}"\nusage: ${USAGE}`);
  }
  if (values.json === true) io.stdout.write(`${JSON.stringify(reply)}\n`);
  else print();
  return 0;
}
