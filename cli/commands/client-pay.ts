/**
 * What the `ame client` commands share: their usage text and options, and `paying` — a request to one worker paid
 * from the folder's channel, with the spender store and the libp2p host open for exactly as long as it runs.
 */
import type { ChannelEntry, ClientFolder, Currency } from '../../node/client/client-folder.ts';
import { WorkerClient } from '../../node/client/worker-client.ts';
import type { Host } from '../../node/net/index.ts';
import type { ChannelSpender } from '../../node/worker/payments/index.ts';
import type { CliIO } from '../io.ts';
import type { KeyKind } from '../../node/worker/introduction-protocol.ts';
import { channelFor, type Contact, explain, withHost, workerFor } from './client-env.ts';
import { introducedWorker } from './client-introduce.ts';

export const USAGE = `ame client <store|fetch|identity|send|inbox> [--client DIR] [--worker CONTACT | --join UPDIR] [--json]
  store FILE [--days N] [--channel ID]        store FILE for N days (default 1); prints its content address (hex)
  fetch ADDRESS [--out F] [--channel ID]      fetch a blob (to F, else to standard output), checked against ADDRESS
  identity [--export FILE]                    this folder's messaging address; --export writes its prekey bundle
  send ADDRESS TEXT [--bundle FILE] [--channel ID]   an end-to-end encrypted message to a messaging address; the
                                              first one to an address needs the bundle its owner exported
  inbox [--ack]                               the messages waiting at the worker, decrypted; --ack deletes them there
CONTACT is a worker's ring-contact.json or its data folder (ame up's DIR/sN); without --worker, the worker a channel
of this folder pays (named by its contact file when the channel was opened). --join UPDIR (store, fetch): a manager
of \`ame up --data UPDIR\` introduces the client to the blob's Unity, whose index server offers the workers to use
(the folder needs a Manager Ring channel, ame channel open --managers, and a channel paying an offered worker).`;

export const COMMON = { client: { type: 'string' }, worker: { type: 'string' }, join: { type: 'string' }, channel: { type: 'string' }, json: { type: 'boolean' } } as const;

export interface Paying {
  readonly host: Host;
  readonly worker: Contact;
  readonly channel: ChannelEntry;
  readonly spender: ChannelSpender;
  readonly api: WorkerClient;
}

/**
 * Runs `fn` against `worker` paying from the folder's best `currency` channel to it, with the spender store open
 * and the host up for exactly as long as it runs; the worker's refusals come out reworded (explain).
 */
export async function paying<T>(
  io: CliIO,
  folder: ClientFolder,
  currency: Currency,
  values: { worker?: string; channel?: string; join?: string },
  fn: (p: Paying) => Promise<T>,
  /** What the request is about, for an introduction (--join without --worker). */
  target?: { readonly key: Uint8Array; readonly kind: KeyKind },
): Promise<T> {
  const introducing = values.join !== undefined && values.worker === undefined && target !== undefined;
  const named = introducing ? undefined : workerFor(io, folder, values.worker, currency);
  const store = folder.openSpenderStore();
  try {
    const left = (c: ChannelEntry) => folder.spender(c, store, io.now).remaining;
    const prices = folder.prices();
    return await withHost(async (host) => {
      const worker = named ?? (await introducedWorker({ io, folder, store, host, join: values.join!, key: target!.key, kind: target!.kind, currency, left }));
      const channel = channelFor(folder, currency, worker, values.channel, left);
      const spender = folder.spender(channel, store, io.now);
      const pays = currency === 'ABC' ? { abc: spender } : { abit: spender };
      const api = new WorkerClient({ rpc: host.rpc, worker: worker.peer, payee: worker.key, prices: () => prices, now: io.now, ...pays });
      try {
        return await fn({ host, worker, channel, spender, api });
      } catch (error) {
        throw explain(error, worker, channel);
      }
    });
  } finally {
    store.close();
  }
}

