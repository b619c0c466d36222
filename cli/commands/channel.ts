/**
 * `ame channel open|status|close|renew`: the client's payment channels (SPEC §6 item 4) — an escrow in ABC or ABIT
 * on the ledger with a list of payee nodes, paid per request by receipts the folder's session key signs. The
 * channel-open and channel-close transactions are signed by the wallet account and submitted over a manager's
 * explorer API like `ame wallet transfer`; the folder (client-folder.ts) remembers the channels and what was signed.
 */
import type { ChannelEntry, ClientFolder, Currency } from '../../node/client/client-folder.ts';
import { authorizeSession, bytesEqual, fromHex, toHex, type Wallet } from '../../node/crypto/index.ts';
import { channelId, txHash } from '../../node/ledger/index.ts';
import { type AccountJson, ExplorerError, type ExplorerClient } from '../../node/manager/explorer/index.ts';
import { formatAmount, parseAmount } from '../../node/wire/index.ts';
import { oneOf, parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { trustedChain } from './chain.ts';
import { channelView, printChannel, refresh, unsettled } from './channel-state.ts';
import { managerFor, openFolder, parsePayee } from './client-env.ts';
import { failed, signTx, waitFinal, waitSeconds } from './tx-wait.ts';
import { openWallet, walletPath } from './wallet-file.ts';
import { dispatch } from '../subcommands.ts';

const USAGE = `ame channel <open|status|close|renew> [--client DIR] [options]
  open --currency ABC|ABIT --amount A --payee KEY|CONTACT [--payee …] [--wallet PATH] [--manager URL] [--chain ID]
       [--wait S] [--days N] [--json]    escrow A (1.5, "1.5 ABC", "1500000 a"; ABIT: "10", "10000 bt") for the payees
  open --managers …                      the Manager Ring channel: the payees are the active managers (introduction
                                         fees, \`ame client … --join\`)
  status [ID] [--manager URL] [--json]   one channel (ID or its first 8+ hex digits), or all of them
  close ID [--wallet PATH] [--manager URL] [--chain ID] [--wait S] [--json]
                                         first close: the dispute window starts; a close after it returns the rest
  renew [--wallet PATH] [--days N] [--json]   a new authorisation of the session key (default 30 days)
A payee is a node key (64 hex digits) or a node's ring-contact.json (or its data folder, e.g. ame up's DIR/s0).
--client DIR defaults to $AME_CLIENT_DIR, else .ame/client.`;

const CHAIN = { client: { type: 'string' }, manager: { type: 'string' }, chain: { type: 'string' }, json: { type: 'boolean' } } as const;
const DAY_MS = 86_400_000;
/** An authorisation closer than this to its expiry is renewed when a channel is opened. */
const RENEW_BEFORE_MS = 7 * DAY_MS;

export async function channel(args: string[], io: CliIO): Promise<number> {
  return dispatch('channel', USAGE, { open, status, close, renew }, args, io);
}

/** The escrow in micro-units of `currency`: a bare number is in whole units of it. */
function escrowAmount(text: string | undefined, currency: Currency): bigint {
  if (text === undefined) throw new CliError('USAGE', `--amount is required\nusage: ${USAGE}`);
  let amount;
  try {
    amount = parseAmount(/^\s*[\d.]+\s*$/.test(text) ? `${text.trim()} ${currency}` : text);
  } catch (cause) {
    throw new CliError('USAGE', `--amount: ${(cause as Error).message}`, { cause });
  }
  if (amount.unit !== currency) throw new CliError('USAGE', `--amount is in ${amount.unit}, the channel in ${currency}`);
  if (amount.micro === 0n) throw new CliError('USAGE', '--amount must be above zero');
  return amount.micro;
}

function days(text: string | undefined): number {
  const n = text === undefined ? 30 : Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 365) throw new CliError('USAGE', '--days must be an integer 1…365');
  return n;
}

/** The folder's session key authorised by the wallet, renewed when missing, near expiry or for another key. */
function authorize(folder: ClientFolder, w: Wallet, now: number, validDays: number, force: boolean): number {
  folder.requireAccount(w.account.address);
  const key = folder.sessionKey();
  const held = folder.authorization();
  if (!force && held !== undefined && held.expiresAt - now > RENEW_BEFORE_MS && bytesEqual(held.sessionPublicKey, key.publicKey.bytes)) {
    return held.expiresAt;
  }
  const auth = authorizeSession(w.account, key.publicKey, now + validDays * DAY_MS);
  folder.saveAuthorization(auth);
  return auth.expiresAt;
}

function print(io: CliIO, folder: ClientFolder, entry: ChannelEntry, json: boolean, extra: Record<string, unknown> = {}): void {
  const view = channelView(folder, entry);
  if (json) io.stdout.write(`${JSON.stringify({ ...view, ...extra })}\n`);
  else printChannel(io, view);
}

/** Waits for `hash`; a timeout leaves the entry as it is and says how to settle it later. */
async function wait(io: CliIO, client: ExplorerClient, hash: string, waitS: number, id: string) {
  try {
    return await waitFinal(io, client, hash, waitS);
  } catch (error) {
    if (error instanceof ExplorerError && error.code === 'TIMEOUT') {
      throw new ExplorerError('TIMEOUT', `${error.message}; ame channel status ${id} settles the channel's entry once it is`, { cause: error });
    }
    throw error;
  }
}

/**
 * Refuses an escrow the account cannot pay before anything is signed: a channel-open that fails in its block still
 * costs its fee. The balance is the manager's word, not verified — it only saves a fee, the ledger decides.
 */
async function checkFunds(client: ExplorerClient, address: string, currency: Currency, escrow: bigint, fee: bigint): Promise<void> {
  let held = { spendable: 0n, abit: 0n };
  try {
    const account = (await client.account(address)) as AccountJson & { abit?: string };
    held = { spendable: BigInt(account.spendable), abit: BigInt(account.abit ?? '0') };
  } catch (error) {
    if (!(error instanceof ExplorerError) || error.code !== 'UNKNOWN_ACCOUNT') throw error;
  }
  if (currency === 'ABC' && held.spendable < escrow + fee) {
    throw new CliError('NO_FUNDS', `${address} can spend ${formatAmount(held.spendable, 'ABC')}: too little for an escrow of ${formatAmount(escrow, 'ABC')} and the fee of ${formatAmount(fee, 'ABC')}`);
  }
  if (currency === 'ABIT' && held.abit < escrow) {
    throw new CliError('NO_FUNDS', `${address} holds ${formatAmount(held.abit, 'ABIT')}: too little for an escrow of ${formatAmount(escrow, 'ABIT')} (ame wallet convert turns ABC into ABIT)`);
  }
  if (held.spendable < fee) throw new CliError('NO_FUNDS', `${address} can spend ${formatAmount(held.spendable, 'ABC')}: too little for the fee of ${formatAmount(fee, 'ABC')}`);
}

/** The node keys (hex) of the active managers at the final head. */
async function activeManagers(client: ExplorerClient): Promise<string[]> {
  const { nodes } = await client.nodes();
  const keys = nodes.filter((n) => n.role === 'manager' && n.status === 'active').map((n) => n.key);
  if (keys.length === 0) throw new CliError('NOT_FOUND', `${client.baseUrl} lists no active manager`);
  return keys;
}

async function open(args: string[], io: CliIO): Promise<number> {
  const options = {
    ...CHAIN,
    currency: { type: 'string' },
    amount: { type: 'string' },
    payee: { type: 'string', multiple: true },
    managers: { type: 'boolean' },
    wallet: { type: 'string' },
    wait: { type: 'string' },
    days: { type: 'string' },
  } as const;
  const { values, positionals } = parse(args, options, USAGE);
  if (positionals.length > 0) throw new CliError('USAGE', `unexpected "${positionals[0]}"\nusage: ${USAGE}`);
  if (values.currency === undefined) throw new CliError('USAGE', `--currency is required (ABC or ABIT)\nusage: ${USAGE}`);
  const currency = oneOf('currency', values.currency, ['ABC', 'ABIT'] as const, 'ABC');
  const escrow = escrowAmount(values.amount, currency);
  const waitS = waitSeconds(values.wait);
  const validDays = days(values.days);
  const named = values.payee ?? [];
  if (named.length === 0 && values.managers !== true) throw new CliError('USAGE', `name at least one --payee, or --managers\nusage: ${USAGE}`);
  const folder = openFolder(io, values.client);
  const client = managerFor(io, values.manager, folder);
  const managers = values.managers === true ? await activeManagers(client) : [];
  const payees = [...named.map((p) => parsePayee(io, p)), ...managers.map((key) => parsePayee(io, key))];
  const twice = payees.find((p, i) => payees.findIndex((q) => q.key === p.key) !== i);
  if (twice !== undefined) throw new CliError('USAGE', `payee ${twice.peer} is named twice`);
  const path = walletPath(io, values.wallet);
  const genesis = await trustedChain(io, client, path, values.chain);
  const held = folder.chain();
  if (held !== undefined && held.chainId !== toHex(genesis.id)) {
    throw new CliError('WRONG_STATE', `${folder.dir} holds channels of chain ${held.chainId}, not of ${toHex(genesis.id)}: use another --client folder`);
  }
  const w = await openWallet(io, path);
  folder.requireAccount(w.account.address);
  const p = genesis.config.params;
  // Before the folder is bound to the account (authorisation) or the chain: a refusal leaves it as it was.
  await checkFunds(client, w.account.address, currency, escrow, p.minFee);
  const expiresAt = authorize(folder, w, io.now(), validDays, false);
  folder.saveChain({
    chainId: toHex(genesis.id),
    chainName: genesis.config.chainName,
    manager: client.baseUrl,
    prices: { priceStorageKibDay: String(p.priceStorageKibDay), priceServedKib: String(p.priceServedKib), priceComputeUnit: String(p.priceComputeUnit), priceMessage: String(p.priceMessage) },
    channelDisputeMs: String(p.channelDisputeMs),
    introductionFee: String(p.introductionFee),
  });
  const body = { currency, amount: escrow, payees: payees.map((x) => fromHex(x.key)) };
  const { encoded, nonce } = await signTx(client, genesis, w, 'channel-open', body);
  const id = toHex(channelId(genesis.id, w.account.address, nonce));
  const hash = toHex(txHash(encoded));
  // Recorded before it is submitted: a crash while waiting must not forget escrow that the ledger may lock.
  const pending: ChannelEntry = { id, currency, escrow: String(escrow), account: w.account.address, payees, status: 'pending', openTx: hash, closeTxs: [] };
  folder.putChannel(pending);
  try {
    await client.submit(encoded);
  } catch (error) {
    folder.removeChannel(id);
    throw error;
  }
  const final = await wait(io, client, hash, waitS, id);
  if (!final.ok) {
    folder.removeChannel(id);
    throw failed(`the channel-open of ${formatAmount(escrow, currency)} for ${payees.length} payee(s)`, final);
  }
  const entry: ChannelEntry = { ...pending, status: 'open', openedAt: final.height };
  folder.putChannel(entry);
  print(io, folder, entry, values.json === true, { sessionExpiresAt: new Date(expiresAt).toISOString() });
  return 0;
}

async function status(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, CHAIN, USAGE);
  if (positionals.length > 1) throw new CliError('USAGE', `status takes at most one channel id\nusage: ${USAGE}`);
  const folder = openFolder(io, values.client);
  const entries = positionals[0] === undefined ? folder.channels() : [folder.channel(positionals[0])];
  const fresh: ChannelEntry[] = [];
  for (const entry of entries) {
    if (!unsettled(entry)) {
      fresh.push(entry);
      continue;
    }
    try {
      fresh.push(await refresh(folder, managerFor(io, values.manager, folder), entry));
    } catch (error) {
      // The local record is still worth showing when the manager cannot be asked.
      if (!(error instanceof ExplorerError)) throw error;
      io.stderr.write(`warning: channel ${entry.id}: its transactions could not be looked up (${error.message})\n`);
      fresh.push(entry);
    }
  }
  if (values.json === true) {
    const views = fresh.map((e) => channelView(folder, e));
    io.stdout.write(`${JSON.stringify(positionals[0] === undefined ? { channels: views } : views[0])}\n`);
    return 0;
  }
  if (fresh.length === 0) io.stdout.write(`no channels in ${folder.dir} (ame channel open)\n`);
  fresh.forEach((entry, i) => {
    if (i > 0) io.stdout.write('\n');
    printChannel(io, channelView(folder, entry));
  });
  return 0;
}

async function close(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { ...CHAIN, wallet: { type: 'string' }, wait: { type: 'string' } }, USAGE);
  if (positionals.length !== 1) throw new CliError('USAGE', `close takes one channel id\nusage: ${USAGE}`);
  const waitS = waitSeconds(values.wait);
  const folder = openFolder(io, values.client);
  const client = managerFor(io, values.manager, folder);
  let entry = await refresh(folder, client, folder.channel(positionals[0]!));
  if (entry.status === 'closed' || entry.status === 'failed' || entry.status === 'pending') {
    throw new CliError('WRONG_STATE', `channel ${entry.id} is ${entry.status}: nothing to close`);
  }
  if (entry.status === 'closing' && entry.closeAt !== undefined && io.now() < Number(entry.closeAt)) {
    // A second close inside the dispute window would fail (TOO_EARLY) and still cost its fee.
    throw new CliError('WRONG_STATE', `channel ${entry.id} is closing: payees may settle until ${new Date(Number(entry.closeAt)).toISOString()}; close it again after that to get the rest back`);
  }
  const path = walletPath(io, values.wallet);
  const genesis = await trustedChain(io, client, path, values.chain);
  const w = await openWallet(io, path);
  if (w.account.address !== entry.account) throw new CliError('WRONG_STATE', `channel ${entry.id} belongs to ${entry.account}, the wallet is ${w.account.address}`);
  const { encoded } = await signTx(client, genesis, w, 'channel-close', { channel: fromHex(entry.id) });
  const hash = toHex(txHash(encoded));
  folder.putChannel({ ...entry, closeTxs: [...entry.closeTxs, hash] });
  try {
    await client.submit(encoded);
  } catch (error) {
    folder.putChannel(entry);
    throw error;
  }
  const final = await wait(io, client, hash, waitS, entry.id);
  entry = await refresh(folder, client, folder.channel(entry.id));
  if (!final.ok) throw failed(`the channel-close of ${entry.id}`, final);
  print(io, folder, entry, values.json === true, { closeTx: hash });
  return 0;
}

async function renew(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { client: { type: 'string' }, wallet: { type: 'string' }, days: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (positionals.length > 0) throw new CliError('USAGE', `unexpected "${positionals[0]}"\nusage: ${USAGE}`);
  const folder = openFolder(io, values.client);
  const w = await openWallet(io, walletPath(io, values.wallet));
  const expiresAt = new Date(authorize(folder, w, io.now(), days(values.days), true)).toISOString();
  const sessionKey = toHex(folder.sessionKey().publicKey.bytes);
  if (values.json === true) io.stdout.write(`${JSON.stringify({ account: w.account.address, sessionKey, expiresAt })}\n`);
  else io.stdout.write(`session key ${sessionKey} authorised by ${w.account.address} until ${expiresAt}\n`);
  return 0;
}
