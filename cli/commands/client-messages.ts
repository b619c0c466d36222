/**
 * `ame client identity|send|inbox`: end-to-end encrypted messages (SPEC §3) through a worker's mailbox. The
 * folder's messaging identity and sessions are node/client/messenger.ts; the worker only relays ciphertext.
 *
 * Prekey bundles: workers have no method to publish or hand out prekey bundles yet, so the recipient exports its
 * bundle to a file (`identity --export`) and the first sender passes it (`send --bundle`); later messages ride the
 * session. Both must use the same worker: mailboxes are not routed to the address's Unity yet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ClientFolder, FOLDER_FILES } from '../../node/client/client-folder.ts';
import { PUBLIC_MODE, writeJson } from '../../node/client/json-file.ts';
import { Messenger } from '../../node/client/messenger.ts';
import { WorkerClient } from '../../node/client/worker-client.ts';
import { fromHex, toHex } from '../../node/crypto/index.ts';
import { MAX_MAIL_ITEMS } from '../../node/worker/serve/protocol.ts';
import { parse } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { COMMON, paying, USAGE } from './client-pay.ts';
import { explain, hex32, openFolder, withHost, workerFor } from './client-env.ts';

const messengerOf = (folder: ClientFolder) => Messenger.open(folder.path(FOLDER_FILES.messaging));

export async function identity(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { client: { type: 'string' }, export: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (positionals.length > 0) throw new CliError('USAGE', `unexpected "${positionals[0]}"\nusage: ${USAGE}`);
  const messenger = messengerOf(openFolder(io, values.client));
  const address = toHex(messenger.address);
  const file = values.export === undefined ? undefined : resolve(io.cwd, values.export);
  if (file !== undefined) writeJson(file, { address, bundle: toHex(messenger.bundle()) }, PUBLIC_MODE);
  if (values.json === true) io.stdout.write(`${JSON.stringify({ address, ...(file === undefined ? {} : { bundle: file }) })}\n`);
  else {
    io.stdout.write(`${address}\n`);
    if (file !== undefined) io.stderr.write(`prekey bundle written to ${file}: whoever sends you a first message needs it (ame client send … --bundle)\n`);
  }
  return 0;
}

/** A bundle file of `identity --export`, checked to be `to`'s. */
function readBundle(io: CliIO, text: string, to: string): Uint8Array {
  const path = resolve(io.cwd, text);
  if (!existsSync(path)) throw new CliError('NOT_FOUND', `no bundle file at ${path}`);
  let raw: { address?: unknown; bundle?: unknown } | null;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as typeof raw;
  } catch (cause) {
    throw new CliError('NOT_FOUND', `${path} is not a bundle file (ame client identity --export): ${(cause as Error).message}`, { cause });
  }
  if (typeof raw?.address !== 'string' || typeof raw.bundle !== 'string' || !/^([0-9a-f]{2})+$/.test(raw.bundle)) {
    throw new CliError('NOT_FOUND', `${path} is not a bundle file (ame client identity --export)`);
  }
  if (raw.address !== to) throw new CliError('USAGE', `${path} is the bundle of ${raw.address}, not of ${to}`);
  return fromHex(raw.bundle);
}

export async function send(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { ...COMMON, bundle: { type: 'string' } }, USAGE);
  if (positionals.length !== 2) throw new CliError('USAGE', `send takes ADDRESS and TEXT\nusage: ${USAGE}`);
  const to = hex32(positionals[0], 'a messaging address');
  const text = positionals[1]!;
  const folder = openFolder(io, values.client);
  const messenger = messengerOf(folder);
  const bundle = values.bundle === undefined ? undefined : readBundle(io, values.bundle, toHex(to));
  // Refused before anything is paid for.
  const fresh = !messenger.hasSession(to);
  if (fresh && bundle === undefined) {
    throw new CliError('NOT_FOUND', `no session with ${toHex(to)} yet: pass the prekey bundle its owner exported (ame client identity --export FILE) with --bundle FILE`);
  }
  const out = await paying(io, folder, 'ABIT', values, async ({ worker, channel, spender, api }) => {
    const before = spender.total;
    const seq = await api.send(to, messenger.seal(to, text, bundle));
    return { to: toHex(to), seq, worker: worker.peer.id, channel: channel.id, newSession: fresh, paid: (spender.total - before).toString() };
  });
  if (values.json === true) io.stdout.write(`${JSON.stringify(out)}\n`);
  else io.stdout.write(`sent to ${out.to} (message ${out.seq} at ${out.worker}${fresh ? ', new session' : ''})\n`);
  return 0;
}

export async function inbox(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { client: { type: 'string' }, worker: { type: 'string' }, ack: { type: 'boolean' }, json: { type: 'boolean' } }, USAGE);
  if (positionals.length > 0) throw new CliError('USAGE', `unexpected "${positionals[0]}"\nusage: ${USAGE}`);
  const folder = openFolder(io, values.client);
  const worker = workerFor(io, folder, values.worker);
  const messenger = messengerOf(folder);
  const signing = messenger.identity.signing;
  const { messages, acked } = await withHost(async (host) => {
    // Reading and acknowledging are signed by the messaging key, not paid: no channel is needed.
    const api = new WorkerClient({ rpc: host.rpc, worker: worker.peer, payee: worker.key, prices: () => folder.prices(), now: io.now });
    try {
      const items: { seq: number; envelope: Uint8Array }[] = [];
      for (;;) {
        const page = await api.inbox(signing, items.at(-1)?.seq ?? 0, MAX_MAIL_ITEMS);
        items.push(...page);
        if (page.length < MAX_MAIL_ITEMS) break;
      }
      const messages = messenger.open(worker.peer.id, items);
      let acked = 0;
      if (values.ack === true) {
        const seqs = items.map((i) => i.seq);
        for (let i = 0; i < seqs.length; i += MAX_MAIL_ITEMS) acked += await api.ack(signing, seqs.slice(i, i + MAX_MAIL_ITEMS));
        messenger.forget(worker.peer.id, seqs);
      }
      return { messages, acked };
    } catch (error) {
      throw explain(error, worker);
    }
  });
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ address: toHex(messenger.address), worker: worker.peer.id, messages, acked })}\n`);
    return 0;
  }
  for (const m of messages) {
    io.stdout.write(m.error === undefined ? `[${m.seq}] from ${m.from}: ${m.text}\n` : `[${m.seq}] not opened: ${m.error}\n`);
  }
  io.stderr.write(`${messages.length} message(s) at ${worker.peer.id}${values.ack === true ? `, ${acked} deleted there` : ''}\n`);
  return 0;
}
