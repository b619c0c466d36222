/**
 * `ame client store|fetch|identity|send|inbox`: the client role of SPEC §1 on the command line — blobs stored at
 * and fetched from a worker, paid per request from the folder's ABC channel; end-to-end encrypted messages paid
 * from its ABIT channel (client-messages.ts). Each command runs a short-lived libp2p host and talks RLDP to one
 * worker, named by its ring-contact file (--worker) or by the channel that pays it.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { toHex } from '../../node/crypto/index.ts';
import { buildBlob } from '../../node/services/blobs/index.ts';
import { formatAmount } from '../../node/wire/index.ts';
import { WorkerError } from '../../node/worker/errors.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { hex32, openFolder } from './client-env.ts';
import { identity, inbox, send } from './client-messages.ts';
import { COMMON, paying, USAGE } from './client-pay.ts';
import { dispatch } from '../subcommands.ts';

export async function client(args: string[], io: CliIO): Promise<number> {
  return dispatch('client', USAGE, { store, fetch, identity, send, inbox }, args, io);
}

function positiveDays(text: string | undefined): number {
  const n = text === undefined ? 1 : Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 36_500) throw new CliError('USAGE', '--days must be an integer 1…36500');
  return n;
}

async function store(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { ...COMMON, days: { type: 'string' } }, USAGE);
  if (positionals.length !== 1) throw new CliError('USAGE', `store takes one FILE\nusage: ${USAGE}`);
  const path = resolve(io.cwd, positionals[0]!);
  if (!existsSync(path) || !statSync(path).isFile()) throw new CliError('NOT_FOUND', `no file at ${path}`);
  const days = positiveDays(values.days);
  const bytes = new Uint8Array(readFileSync(path));
  const folder = openFolder(io, values.client);
  const address = buildBlob(bytes).address;
  const out = await paying(io, folder, 'ABC', values, async ({ worker, channel, spender, api }) => {
    const before = spender.total;
    const blob = await api.store(bytes, days);
    const address = toHex(blob.address);
    folder.addBlob({ address, size: bytes.length, worker: worker.peer.id, name: basename(path) });
    return { address, size: bytes.length, chunks: blob.manifest.chunkRoots.length, newChunks: blob.stored, days, worker: worker.peer.id, channel: channel.id, paid: (spender.total - before).toString() };
  }, { key: address, kind: 'blob' });
  if (values.json === true) io.stdout.write(`${JSON.stringify(out)}\n`);
  else {
    io.stdout.write(`${out.address}\n`);
    io.stderr.write(`stored ${out.size} bytes (${out.chunks} chunks) for ${days} day(s) at ${out.worker}, paid ${formatAmount(BigInt(out.paid), 'ABC')}\n`);
  }
  return 0;
}

async function fetch(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { ...COMMON, out: { type: 'string' } }, USAGE);
  if (positionals.length !== 1) throw new CliError('USAGE', `fetch takes one ADDRESS\nusage: ${USAGE}`);
  const address = hex32(positionals[0], 'a blob address');
  const folder = openFolder(io, values.client);
  // The size of a blob stored from this folder prices its first chunk exactly (else a whole chunk is paid).
  const known = folder.blobs().find((b) => b.address === toHex(address));
  const { data, paid, worker } = await paying(io, folder, 'ABC', values, async ({ worker, spender, api }) => {
    const before = spender.total;
    try {
      const data = await api.fetch(address, known?.size);
      return { data, paid: (spender.total - before).toString(), worker: worker.peer.id };
    } catch (error) {
      if (error instanceof WorkerError && error.remote === 'BlobError:NOT_FOUND') {
        throw new CliError('NOT_FOUND', `worker ${worker.peer.id} holds no blob ${toHex(address)}`, { cause: error });
      }
      throw error;
    }
  }, { key: address, kind: 'blob' });
  const out = values.out === undefined ? undefined : resolve(io.cwd, values.out);
  if (out !== undefined) writeFileSync(out, data);
  if (values.json === true) {
    const where = out === undefined ? { base64: Buffer.from(data).toString('base64') } : { out };
    io.stdout.write(`${JSON.stringify({ address: toHex(address), size: data.length, worker, paid, ...where })}\n`);
  } else if (out === undefined) {
    io.stdout.write(data);
  } else {
    io.stderr.write(`fetched ${data.length} bytes into ${out}, paid ${formatAmount(BigInt(paid), 'ABC')}\n`);
  }
  return 0;
}
