/**
 * `ame client … --join UPDIR`: the worker is found by the client flow of SPEC §7 instead of named. The folder's
 * Manager Ring channel (`ame channel open --managers`) pays a manager of UPDIR/bootstrap.json the introduction fee;
 * an index server of the Unity that owns the key offers workers, and the first offered one a channel of the folder
 * pays is used. When none is paid, the error names the command that opens a channel to the offered workers.
 */
import { resolve } from 'node:path';
import type { ChannelEntry, ClientFolder, Currency } from '../../node/client/client-folder.ts';
import { introduce } from '../../node/client/introductions.ts';
import { ed25519KeyFromPeerId, toHex } from '../../node/crypto/index.ts';
import { type Host, type PeerRef, peersOfMultiaddrs } from '../../node/net/index.ts';
import type { KeyKind } from '../../node/worker/introduction-protocol.ts';
import type { SqliteSpenderStore } from '../../node/worker/payments/index.ts';
import { CliError } from '../errors.ts';
import type { CliIO } from '../io.ts';
import { type Contact, paysWorker } from './client-env.ts';
import { readBootstrap } from './up-bootstrap.ts';

/** PeerRefs of multiaddrs ending in /p2p/<PeerId>, one per PeerId with every address given for it. */
export function peersOf(multiaddrs: readonly string[], what: string): PeerRef[] {
  const parsed = peersOfMultiaddrs(multiaddrs);
  if ('bad' in parsed) throw new CliError('BAD_INPUT', `${what}: ${parsed.bad} names no /p2p/ peer`);
  return parsed.peers;
}

export interface IntroducedOptions {
  readonly io: CliIO;
  readonly folder: ClientFolder;
  readonly store: SqliteSpenderStore;
  readonly host: Host;
  /** `ame up`'s data folder (its bootstrap.json names the managers). */
  readonly join: string;
  readonly key: Uint8Array;
  readonly kind: KeyKind;
  readonly currency: Currency;
  /** What a channel has left (the folder's spender state). */
  readonly left: (c: ChannelEntry) => bigint;
}

export async function introducedWorker(o: IntroducedOptions): Promise<Contact> {
  const managers = peersOf(readBootstrap(resolve(o.io.cwd, o.join)).managers, 'bootstrap.json managers');
  const keys = new Set(managers.map((m) => toHex(ed25519KeyFromPeerId(m.id))));
  const fee = o.folder.chain()?.introductionFee;
  const feeChannels = o.folder.channels().filter((c) => c.status === 'open' && c.currency === 'ABC' && c.payees.some((p) => keys.has(p.key)));
  if (fee === undefined || feeChannels.length === 0) {
    throw new CliError('NOT_FOUND', `no open ABC channel of ${o.folder.dir} pays the managers for introductions: ame channel open --managers --currency ABC --amount 1`);
  }
  const feeChannel = feeChannels.reduce((best, c) => (o.left(c) > o.left(best) ? c : best));
  const spender = o.folder.spender(feeChannel, o.store, o.io.now);
  // Only the managers the channel pays can be paid.
  const payable = managers.filter((m) => feeChannel.payees.some((p) => p.key === toHex(ed25519KeyFromPeerId(m.id))));
  const introduced = await introduce({ rpc: o.host.rpc, managers: payable, spender, fee: BigInt(fee) }, o.key, o.kind);
  for (const peer of introduced.offer) {
    const key = toHex(ed25519KeyFromPeerId(peer.id));
    if (o.folder.channels().some((c) => paysWorker(c, o.currency, key))) return { peer, key: ed25519KeyFromPeerId(peer.id), path: '' };
  }
  const payees = introduced.offer.map((p) => `--payee ${toHex(ed25519KeyFromPeerId(p.id))}`).join(' ');
  throw new CliError(
    'NOT_FOUND',
    `no open ${o.currency} channel of ${o.folder.dir} pays a worker Unity ${introduced.unity} offered: ame channel open --currency ${o.currency} --amount 1 ${payees}`,
  );
}
