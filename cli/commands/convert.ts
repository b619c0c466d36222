/**
 * `ame wallet convert AMOUNT`: burns AMOUNT ABC of the wallet's account for 1000 × AMOUNT ABIT (SPEC §3 Amounts,
 * one way only). ABIT pays for messages and is not transferable, so a client gets it this way (or from the
 * period's chat allowance) before it opens an ABIT channel.
 */
import { abcToAbit, formatAmount, parseAmount } from '../../node/wire/index.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { managerClient, trustedChain } from './chain.ts';
import { failed, signTx, waitFinal, waitSeconds } from './tx-wait.ts';
import { openWallet, walletPath } from './wallet-file.ts';

const USAGE = 'ame wallet convert AMOUNT [--wallet PATH] [--manager URL] [--chain ID] [--wait S] [--json]   burn AMOUNT ABC for 1000 × AMOUNT ABIT';

export async function convert(args: string[], io: CliIO): Promise<number> {
  const options = {
    wallet: { type: 'string' },
    manager: { type: 'string' },
    chain: { type: 'string' },
    wait: { type: 'string' },
    json: { type: 'boolean' },
  } as const;
  const { values, positionals } = parse(args, options, USAGE);
  if (positionals.length !== 1) throw new CliError('USAGE', `wallet convert needs AMOUNT (in ABC)\nusage: ${USAGE}`);
  const text = positionals[0]!;
  let amount;
  try {
    amount = parseAmount(/^\s*[\d.]+\s*$/.test(text) ? `${text.trim()} ABC` : text);
  } catch (cause) {
    throw new CliError('USAGE', `AMOUNT: ${(cause as Error).message}`, { cause });
  }
  if (amount.unit !== 'ABC' || amount.micro === 0n) throw new CliError('USAGE', 'AMOUNT is a positive amount of ABC');
  const waitS = waitSeconds(values.wait);
  const path = walletPath(io, values.wallet);
  const client = managerClient(io, values.manager);
  const genesis = await trustedChain(io, client, path, values.chain);
  const w = await openWallet(io, path);
  const { encoded } = await signTx(client, genesis, w, 'convert', { amount: amount.micro });
  const hash = await client.submit(encoded);
  const final = await waitFinal(io, client, hash, waitS);
  if (values.json === true) io.stdout.write(`${JSON.stringify({ ...final, abit: abcToAbit(amount.micro).toString() })}\n`);
  if (!final.ok) throw failed('the conversion', final);
  if (values.json !== true) {
    io.stdout.write(`converted ${formatAmount(amount.micro, 'ABC')} into ${formatAmount(abcToAbit(amount.micro), 'ABIT')} (transaction ${hash}, final block ${final.height})\n`);
  }
  return 0;
}
