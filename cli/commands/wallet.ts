/**
 * `ame wallet new|show|sign|verify|backup|restore`: wallets of SPEC.md §3 on the command line.
 * A wallet file is a keystore (docs/crypto.md); its public part is readable without the password.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  decodeKeystorePublic,
  encodeKeystore,
  parseAddress,
  toHex,
  markPhraseShown,
  signFile,
  toFalconForm,
  verifyFileBundle,
  Wallet,
  writeKeystoreFile,
  type Scheme,
} from '../../node/crypto/index.ts';
import { encodeTx, signAccountTx } from '../../node/ledger/index.ts';
import { ExplorerError, verifiedAccount } from '../../node/manager/explorer/index.ts';
import { parseAmount } from '../../node/wire/index.ts';
import { oneOf, parse } from '../args.ts';
import { CliError } from '../errors.ts';
import { ask, interactive, readAll, type CliIO } from '../io.ts';
import { abc, managerClient, trustedChain } from './chain.ts';
import { convert } from './convert.ts';
import { load, openWallet, unlock, walletPath } from './wallet-file.ts';
import { dispatch } from '../subcommands.ts';

// ring.ts opens wallets through this module (the helpers moved to wallet-file.ts, which convert.ts shares).
export { openWallet, walletPath };

const SCHEMES = ['falcon', 'ecdsa'] as const;

const USAGE = `ame wallet <new|show|sign|verify|backup|restore|balance|transfer|convert> [options]
  new [--scheme falcon|ecdsa] [--out PATH] [--plain]   create a wallet (default: Falcon-512)
  show [PATH] [--json]                                  scheme, address and public key (no password needed)
  sign [PATH] --file F                                  print the signature bundle of file F
  verify --address A --file F --sig S                   exit 0 only if bundle S (JSON or a file) signs F by A
  backup [PATH] [--yes] [--again]                       show the 24-word recovery phrase, once
  restore [--scheme falcon|ecdsa] [--out PATH] [--plain] read a recovery phrase from standard input
  balance [PATH] [--json] [--manager URL] [--chain ID]  the balance, verified by the light client
  transfer ADDRESS AMOUNT [--wallet PATH] [--fee AMOUNT] [--manager URL] [--chain ID] [--wait S] [--json]
                                                        send ABC (AMOUNT like 1.5 or "1.5 ABC" or "1500000 a")
  convert AMOUNT [--wallet PATH] [--manager URL] [--chain ID] [--wait S] [--json]
                                                        burn AMOUNT ABC for 1000 × AMOUNT ABIT (pays messages)
PATH defaults to $AME_DATA_DIR/wallet.json (or ~/.ame/wallet.json).
The password comes from AME_WALLET_PASSWORD, or is asked on a terminal; --plain writes an unencrypted key file.`;

export async function wallet(args: string[], io: CliIO): Promise<number> {
  return dispatch('wallet', USAGE, { new: create, show, sign, verify, backup, restore, balance, transfer, convert }, args, io);
}

/** The password for a new keystore, or undefined for a plain key file. */
async function newPassword(io: CliIO, plain: boolean | undefined): Promise<string | undefined> {
  if (plain === true) return undefined;
  const fromEnv = io.env['AME_WALLET_PASSWORD'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!interactive(io)) {
    throw new CliError(
      'NEEDS_PASSWORD',
      'no password to encrypt the wallet with: set AME_WALLET_PASSWORD, run in a terminal, or pass --plain',
    );
  }
  const first = await ask(io, 'Password for the new wallet (empty: unencrypted key file): ', true);
  if (first === '') return undefined;
  const second = await ask(io, 'Repeat the password: ', true);
  if (first !== second) throw new CliError('NOT_CONFIRMED', 'the two passwords differ; nothing was written');
  return first;
}

async function save(io: CliIO, w: Wallet, path: string, plain: boolean | undefined, phraseShown: boolean) {
  if (existsSync(path)) {
    throw new CliError('EXISTS', `${path} already exists; a wallet is never overwritten (choose another --out)`);
  }
  const password = await newPassword(io, plain);
  const file = await encodeKeystore(w, password === undefined ? { phraseShown } : { password, phraseShown }, io.now());
  writeKeystoreFile(path, file);
  if (password === undefined) {
    io.stderr.write(`warning: ${path} holds the key unencrypted (file mode 0600)\n`);
  }
}

async function create(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { scheme: { type: 'string' }, out: { type: 'string' }, plain: { type: 'boolean' } }, USAGE);
  const scheme: Scheme = oneOf('scheme', values.scheme, SCHEMES, 'falcon');
  const path = walletPath(io, values.out);
  const w = Wallet.generate(scheme);
  await save(io, w, path, values.plain, false);
  io.stdout.write(`${w.account.address}\n`);
  io.stderr.write(`wallet written to ${path}\nwrite down its recovery phrase now: ame wallet backup ${path}\n`);
  return 0;
}

async function show(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } }, USAGE);
  const path = walletPath(io, positionals[0]);
  const info = decodeKeystorePublic(load(path));
  const out = {
    scheme: info.scheme,
    address: info.address,
    publicKey: info.publicKeyHex,
    ...(info.scheme === 'falcon' ? { falconForm: toFalconForm(info.address) } : {}),
    encrypted: info.encrypted,
    phraseShown: info.phraseShown,
    path,
  };
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    const rows: [string, string][] = [
      ['scheme', out.scheme === 'falcon' ? 'falcon (Falcon-512)' : 'ecdsa (secp256k1)'],
      ['address', out.address],
      ...(out.falconForm === undefined ? [] : [['falcon form', out.falconForm] as [string, string]]),
      ['encrypted', out.encrypted ? 'yes' : 'no (plain key file)'],
      ['phrase backed up', out.phraseShown ? 'yes' : 'not yet (ame wallet backup)'],
      ['public key', `${out.publicKey.slice(0, 32)}… (${out.publicKey.length / 2} bytes)`],
    ];
    for (const [k, v] of rows) io.stdout.write(`${k.padEnd(17)}${v}\n`);
  }
  return 0;
}

function readInput(io: CliIO, file: string | undefined): Uint8Array {
  if (file === undefined) throw new CliError('USAGE', `--file is required\nusage: ${USAGE}`);
  const path = resolve(io.cwd, file);
  if (!existsSync(path)) throw new CliError('NOT_FOUND', `no file at ${path}`);
  return readFileSync(path);
}

async function sign(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { file: { type: 'string' } }, USAGE);
  const data = readInput(io, values.file);
  const path = walletPath(io, positionals[0]);
  const w = await unlock(io, load(path), path);
  io.stdout.write(`${signFile(w.account, data)}\n`);
  return 0;
}

async function verify(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(
    args,
    { address: { type: 'string' }, file: { type: 'string' }, sig: { type: 'string' } },
    USAGE,
  );
  if (values.address === undefined) throw new CliError('USAGE', `--address is required\nusage: ${USAGE}`);
  if (values.sig === undefined) throw new CliError('USAGE', `--sig is required\nusage: ${USAGE}`);
  const data = readInput(io, values.file);
  // --sig takes the bundle itself or a file holding it.
  const sigPath = resolve(io.cwd, values.sig);
  const bundle = values.sig.trimStart().startsWith('{') || !existsSync(sigPath) ? values.sig : readFileSync(sigPath, 'utf8');
  verifyFileBundle(bundle, values.address, data);
  io.stdout.write(`valid: signed by ${values.address}\n`);
  return 0;
}

async function backup(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { yes: { type: 'boolean' }, again: { type: 'boolean' } }, USAGE);
  const path = walletPath(io, positionals[0]);
  const file = load(path);
  if (decodeKeystorePublic(file).phraseShown && values.again !== true) {
    throw new CliError(
      'NOT_CONFIRMED',
      `the recovery phrase of ${path} was already shown once; pass --again to show it again`,
    );
  }
  const w = await unlock(io, file, path);
  if (values.yes !== true) {
    if (!interactive(io)) {
      throw new CliError('NOT_CONFIRMED', 'showing the recovery phrase needs a terminal to confirm, or --yes');
    }
    io.stderr.write('Anyone who sees these 24 words can take everything in this wallet.\n');
    const answer = await ask(io, 'Type "show" when nobody else can see your screen: ');
    if (answer.trim() !== 'show') throw new CliError('NOT_CONFIRMED', 'not confirmed; the phrase was not shown');
  }
  const words = w.phrase().split(' ');
  for (let i = 0; i < words.length; i += 4) {
    io.stdout.write(
      `${words
        .slice(i, i + 4)
        .map((word, j) => `${String(i + j + 1).padStart(2)}. ${word.padEnd(10)}`)
        .join(' ')
        .trimEnd()}\n`,
    );
  }
  writeKeystoreFile(path, markPhraseShown(file), { overwrite: true });
  io.stderr.write('Write these words down in order and keep them offline. `ame wallet restore` brings the wallet back.\n');
  return 0;
}

async function restore(args: string[], io: CliIO): Promise<number> {
  const { values } = parse(args, { scheme: { type: 'string' }, out: { type: 'string' }, plain: { type: 'boolean' } }, USAGE);
  const scheme: Scheme = oneOf('scheme', values.scheme, SCHEMES, 'falcon');
  const path = walletPath(io, values.out);
  const text = interactive(io) ? await ask(io, 'Recovery phrase (24 words): ', true) : await readAll(io.stdin);
  const w = Wallet.fromPhrase(text.trim().split(/\s+/).join(' '), scheme);
  await save(io, w, path, values.plain, true);
  io.stdout.write(`${w.account.address}\n`);
  io.stderr.write(`wallet restored to ${path}\n`);
  return 0;
}

const CHAIN_OPTIONS = { json: { type: 'boolean' }, manager: { type: 'string' }, chain: { type: 'string' } } as const;

async function balance(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, CHAIN_OPTIONS, USAGE);
  const path = walletPath(io, positionals[0]);
  const { address } = decodeKeystorePublic(load(path));
  const client = managerClient(io, values.manager);
  const genesis = await trustedChain(io, client, path, values.chain);
  const found = await verifiedAccount(client, address, genesis.id);
  const record = found.record;
  const uncertified = found.headHeight > found.height ? `${found.height + 1n}…${found.headHeight}` : undefined;
  if (values.json === true) {
    const out = {
      address,
      chainId: toHex(genesis.id),
      exists: record !== undefined,
      balance: (record?.abc ?? 0n).toString(),
      abit: (record?.abit ?? 0n).toString(),
      nonce: (record?.nonce ?? 0n).toString(),
      verifiedHeight: found.height.toString(),
      stateRoot: toHex(found.stateRoot),
      headHeight: found.headHeight.toString(),
    };
    io.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  const amount = abc((record?.abc ?? 0n).toString());
  io.stdout.write(`address   ${address}\n`);
  io.stdout.write(`balance   ${amount}${record === undefined ? ' (no account yet: proven absent)' : ''}\n`);
  if (record !== undefined) io.stdout.write(`nonce     ${record.nonce}\n`);
  io.stdout.write(`verified against final block ${found.height} (state root ${toHex(found.stateRoot)})\n`);
  if (uncertified !== undefined) io.stderr.write(`blocks ${uncertified} are final at the manager but carry no certificate yet: not verified\n`);
  return 0;
}

/** An ABC amount: "1.5", "1.5 ABC" or "1500000 a". */
function abcAmount(text: string, what: string): bigint {
  try {
    const amount = parseAmount(/^\s*[\d.]+\s*$/.test(text) ? `${text.trim()} ABC` : text);
    if (amount.unit !== 'ABC') throw new CliError('USAGE', `${what} is paid in ABC, not ${amount.unit}`);
    return amount.micro;
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError('USAGE', `${what}: ${(cause as Error).message}`, { cause });
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function transfer(args: string[], io: CliIO): Promise<number> {
  const options = { ...CHAIN_OPTIONS, wallet: { type: 'string' }, fee: { type: 'string' }, wait: { type: 'string' } } as const;
  const { values, positionals } = parse(args, options, USAGE);
  const [toText, amountText] = positionals;
  if (toText === undefined || amountText === undefined || positionals.length > 2) {
    throw new CliError('USAGE', `wallet transfer needs ADDRESS and AMOUNT\nusage: ${USAGE}`);
  }
  let to: string;
  try {
    to = parseAddress(toText).text;
  } catch (cause) {
    throw new CliError('USAGE', `not an address: ${toText} (${(cause as Error).message})`, { cause });
  }
  const amount = abcAmount(amountText, 'AMOUNT');
  const waitS = values.wait === undefined ? 60 : Number(values.wait);
  if (!Number.isFinite(waitS) || waitS < 0 || waitS > 3600) throw new CliError('USAGE', '--wait must be 0…3600 seconds');
  const path = walletPath(io, values.wallet);
  const client = managerClient(io, values.manager);
  const genesis = await trustedChain(io, client, path, values.chain);
  const fee = values.fee === undefined ? genesis.config.params.minFee : abcAmount(values.fee, '--fee');
  const w = await openWallet(io, path);
  let nonce = 0n;
  try {
    nonce = BigInt((await client.account(w.account.address)).nonce);
  } catch (error) {
    if (!(error instanceof ExplorerError) || error.code !== 'UNKNOWN_ACCOUNT') throw error;
  }
  const tx = signAccountTx({ chain: genesis.id, kind: 'transfer', nonce, fee, body: { to, amount } }, w.account);
  const hash = await client.submit(encodeTx(tx));
  if (values.json !== true) io.stdout.write(`transaction ${hash}\n`);
  const deadline = io.now() + waitS * 1000;
  for (;;) {
    let reply;
    try {
      reply = await client.tx(hash);
    } catch (error) {
      if (!(error instanceof ExplorerError) || error.code !== 'NOT_FOUND') throw error;
    }
    if (reply?.status === 'final') {
      if (values.json === true) io.stdout.write(`${JSON.stringify({ hash, height: reply.height, ok: reply.ok, code: reply.code ?? null })}\n`);
      else io.stdout.write(`included in final block ${reply.height}\n`);
      if (reply.ok === true) return 0;
      io.stderr.write(`ame: the transfer failed in block ${reply.height}: ${reply.code ?? '?'} (${reply.message ?? ''}); its fee was charged\n`);
      return 1;
    }
    if (io.now() >= deadline) {
      throw new ExplorerError('TIMEOUT', `transaction ${hash} was not in a final block within ${waitS} s; look later: ame chain tx ${hash}`);
    }
    await sleep(250);
  }
}
