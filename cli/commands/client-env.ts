/**
 * What `ame channel` and `ame client` share: the client folder, ring-contact files (a worker named by its data
 * folder), the explorer API to ask, the libp2p host a command talks RLDP from, and the rewording of a worker's
 * refusals into messages that say what to do.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClientFolder, type ChannelEntry, type Currency, type PayeeEntry } from '../../node/client/client-folder.ts';
import { ed25519KeyFromPeerId, Ed25519KeyPair, fromHex, peerIdOf, toHex } from '../../node/crypto/index.ts';
import type { ExplorerClient } from '../../node/manager/explorer/index.ts';
import { createHost, type Host, NetError, type PeerRef } from '../../node/net/index.ts';
import { CONTACT_FILE } from '../../node/ring/service/ring-host.ts';
import { WorkerError } from '../../node/worker/errors.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { managerClient } from './chain.ts';

export const DEFAULT_CLIENT_DIR = '.ame/client';

/** --client DIR, else AME_CLIENT_DIR, else .ame/client (relative to the working folder). */
export function openFolder(io: CliIO, given: string | undefined): ClientFolder {
  return ClientFolder.open(resolve(io.cwd, given ?? io.env['AME_CLIENT_DIR'] ?? DEFAULT_CLIENT_DIR));
}

/** The explorer API: --manager, else AME_MANAGER, else the one the folder's channels were opened through. */
export function managerFor(io: CliIO, given: string | undefined, folder: ClientFolder): ExplorerClient {
  return managerClient(io, given ?? io.env['AME_MANAGER'] ?? folder.chain()?.manager);
}

export interface Contact {
  readonly peer: PeerRef;
  /** The node key (the payee receipts name), from the PeerId. */
  readonly key: Uint8Array;
  /** The contact file, absolute. */
  readonly path: string;
}

/** A node's ring-contact.json, or a data folder holding one (`ame up`'s DIR/sN). */
export function readContact(io: CliIO, text: string): Contact {
  const given = resolve(io.cwd, text);
  const path = existsSync(given) && statSync(given).isDirectory() ? join(given, CONTACT_FILE) : given;
  if (!existsSync(path)) throw new CliError('NOT_FOUND', `no contact file at ${path} (a node's ${CONTACT_FILE} or its data folder)`);
  let peer: Partial<PeerRef> | undefined;
  try {
    peer = (JSON.parse(readFileSync(path, 'utf8')) as { peer?: Partial<PeerRef> } | null)?.peer;
  } catch (cause) {
    throw new CliError('NOT_FOUND', `${path} is not a contact file: ${(cause as Error).message}`, { cause });
  }
  if (typeof peer?.id !== 'string' || !Array.isArray(peer.addrs)) throw new CliError('NOT_FOUND', `${path} names no peer`);
  return { peer: { id: peer.id, addrs: peer.addrs.map(String) }, key: ed25519KeyFromPeerId(peer.id), path };
}

/** A payee: a node key in hex, or a contact file / data folder (whose addresses are then remembered by path). */
export function parsePayee(io: CliIO, text: string): PayeeEntry {
  if (/^[0-9a-fA-F]{64}$/.test(text)) {
    const key = fromHex(text.toLowerCase());
    return { key: toHex(key), peer: peerIdOf(key) };
  }
  const contact = readContact(io, text);
  return { key: toHex(contact.key), peer: contact.peer.id, contact: contact.path };
}

/** 64 hex digits → bytes; a usage error naming `what` otherwise. */
export function hex32(text: string | undefined, what: string): Uint8Array {
  if (text === undefined || !/^[0-9a-fA-F]{64}$/.test(text)) throw new CliError('USAGE', `${what} is 64 hex digits, got ${JSON.stringify(text ?? '')}`);
  return fromHex(text.toLowerCase());
}

/**
 * The worker to talk to: --worker, else the first payee named by a contact file among the folder's open channels
 * (of `currency` when the request is paid).
 */
export function workerFor(io: CliIO, folder: ClientFolder, given: string | undefined, currency?: Currency): Contact {
  if (given !== undefined) return readContact(io, given);
  for (const channel of folder.channels()) {
    if (channel.status !== 'open' || (currency !== undefined && channel.currency !== currency)) continue;
    const payee = channel.payees.find((p) => p.contact !== undefined);
    if (payee !== undefined) return readContact(io, payee.contact!);
  }
  throw new CliError('USAGE', `name the worker: --worker <its ring-contact.json or data folder> (no open ${currency ?? ''} channel of ${folder.dir} names one)`.replace('  ', ' '));
}

/** Whether `channel` is open, of `currency`, and lists the node key `key` (hex) as a payee. */
export function paysWorker(channel: ChannelEntry, currency: Currency, key: string): boolean {
  return channel.status === 'open' && channel.currency === currency && channel.payees.some((p) => p.key === key);
}

/**
 * The open channel of `currency` that pays `worker` and has the most escrow left (--channel picks one); NO_CHANNEL
 * tells how to open one.
 */
export function channelFor(folder: ClientFolder, currency: Currency, worker: Contact, given: string | undefined, left: (c: ChannelEntry) => bigint): ChannelEntry {
  const key = toHex(worker.key);
  if (given !== undefined) {
    const channel = folder.channel(given);
    if (channel.currency !== currency) throw new CliError('USAGE', `channel ${channel.id} is paid in ${channel.currency}, this request in ${currency}`);
    if (channel.status !== 'open') throw new CliError('USAGE', `channel ${channel.id} is ${channel.status}`);
    if (!channel.payees.some((p) => p.key === key)) throw new CliError('USAGE', `channel ${channel.id} does not pay worker ${worker.peer.id}`);
    return channel;
  }
  const usable = folder.channels().filter((c) => paysWorker(c, currency, key));
  if (usable.length === 0) {
    throw new CliError(
      'NOT_FOUND',
      `no open ${currency} channel of ${folder.dir} pays worker ${worker.peer.id}: ame channel open --currency ${currency} --amount A --payee ${worker.path}`,
    );
  }
  return usable.reduce((best, c) => (left(c) > left(best) ? c : best));
}

/**
 * Runs `fn` with a short-lived libp2p host (fresh key, listening nowhere), stopped whatever happens. It can dial
 * /p2p-circuit addresses: a device behind NAT is reached through its relay (docs/net.md "Relays and NAT").
 */
export async function withHost<T>(fn: (host: Host) => Promise<T>): Promise<T> {
  const host = createHost({ nodeKey: Ed25519KeyPair.generate(), listen: [], nat: { relayDial: true } });
  await host.start();
  try {
    return await fn(host);
  } finally {
    await host.stop();
  }
}

/** A worker's refusal or an unreachable worker, reworded for the command line (same class and code). */
export function explain(error: unknown, worker: Contact, channel?: ChannelEntry): unknown {
  if (error instanceof WorkerError && error.code === 'REFUSED') {
    return new WorkerError('REFUSED', `worker ${worker.peer.id} refused: ${error.remote ?? '?'}: ${error.message}`, { cause: error });
  }
  if (error instanceof WorkerError && error.code === 'OVER_ESCROW' && channel !== undefined) {
    return new WorkerError(
      'OVER_ESCROW',
      `channel ${channel.id} cannot pay for this (${error.message}): open one with more escrow (ame channel open) or pick another with --channel`,
      { cause: error },
    );
  }
  if (error instanceof WorkerError && error.code === 'EXPIRED') {
    return new WorkerError('EXPIRED', 'the session key\'s authorisation has expired: ame channel renew --wallet PATH', { cause: error });
  }
  if (error instanceof NetError && !error.remote) {
    return new NetError(error.code, `cannot reach worker ${worker.peer.id} at ${worker.peer.addrs.join(', ') || 'no address'} (${error.message}); is it running?`, { cause: error });
  }
  return error;
}
