/**
 * `ame up --load`: a client that uses the network the way SPEC §7's client flow says, so requests reach the
 * temporary workers `ame up --devices` started. One client account (a fresh ECDSA wallet each start, funded by the
 * investors) holds a Manager Ring channel paying the managers; every `everyMs` it picks a 4 KiB blob of random
 * bytes (or, every third time, one it stored), pays a manager the introduction fee for the blob's Unity, takes the
 * index server's offer and pays the first offered worker on a channel that lists it — opening a channel to the
 * offered workers the ledger knows when none does — to store (or fetch) the blob. A fetch offered another worker
 * than the one that stored the blob is served from the ring's replicas. Every fourth request is a message instead:
 * two client identities (Alice and Bob, their messaging state in DIR/load/) exchange end-to-end encrypted messages
 * (SPEC §3): the sender is introduced for the recipient's mailbox, pays the offered server on an ABIT channel (ABIT
 * converted from the client's ABC), the recipient is introduced for the same address, reads, opens and
 * acknowledges. Failures (a device restarting, a manager killed) are counted, not fatal.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Messenger } from '../../node/client/messenger.ts';
import { introduce } from '../../node/client/introductions.ts';
import { WorkerClient } from '../../node/client/worker-client.ts';
import { authorizeSession, bytesEqual, ed25519KeyFromPeerId, Ed25519KeyPair, type Wallet } from '../../node/crypto/index.ts';
import { channelId, encodeTx, signAccountTx, type TxBody } from '../../node/ledger/index.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import type { Host, PeerRef } from '../../node/net/index.ts';
import { buildBlob } from '../../node/services/blobs/index.ts';
import { messagePrice, servePrice, storePrice } from '../../node/services/pricing.ts';
import { ChannelSpender, MemorySpenderStore } from '../../node/worker/payments/index.ts';
import { MICRO_PER_UNIT } from '../../node/wire/index.ts';
import type { Funder } from './up-devices.ts';
import { final } from './up-register.ts';

/** Escrow of each channel: the Manager Ring's pays 5,000 introductions at the default fee. */
const INTRODUCTIONS_ESCROW = 50n * MICRO_PER_UNIT;
const WORKERS_ESCROW = 5n * MICRO_PER_UNIT;
/** ABC converted at a time into ABIT for messages (1 ABC → 1000 ABIT), and the escrow of an ABIT channel. */
const CONVERTED = 1n * MICRO_PER_UNIT;
const MESSAGES_ESCROW = 500n * MICRO_PER_UNIT;
/** One request in this many is a message. */
const MESSAGE_EVERY = 4;
const BLOB_BYTES = 4096;

export interface LoadStats {
  introductions: number;
  stores: number;
  fetches: number;
  /** Messages sent, and received (opened by the recipient and acknowledged at its mailbox). */
  sent: number;
  received: number;
  /** Requests a temporary worker (a device) served. */
  byTemporary: number;
  channels: number;
  failures: number;
}

export interface UpLoad {
  readonly stats: LoadStats;
  stop(): void;
}

export interface UpLoadOptions {
  readonly lead: ManagerServer;
  readonly host: Host;
  readonly managers: readonly PeerRef[];
  readonly fund: Funder;
  readonly wallet: Wallet;
  /** Where the two messaging identities keep their state (DIR/load). */
  readonly dir: string;
  readonly everyMs?: number;
}

export function startUpLoad(options: UpLoadOptions): UpLoad {
  const { lead } = options;
  const view = () => lead.ledger.finalView();
  const stats: LoadStats = { introductions: 0, stores: 0, fetches: 0, sent: 0, received: 0, byTemporary: 0, channels: 0, failures: 0 };
  const account = options.wallet.account;
  const session = Ed25519KeyPair.generate();
  const authorization = authorizeSession(account, session.publicKey, Date.now() + 24 * 3_600_000);
  const spenders: ChannelSpender[] = [];
  const stored: Uint8Array[] = [];
  let stopped = false;

  /** Submits one transaction of the client's account and waits until it is final. */
  const submit = async <K extends 'channel-open' | 'convert'>(kind: K, body: TxBody<K>, what: string) => {
    const v = view();
    const nonce = v.account(account.address).nonce;
    const tx = signAccountTx({ chain: v.chain().chainId, kind, nonce, fee: v.params().minFee, body }, account);
    await final(lead, [lead.submit(encodeTx(tx))], what, Date.now() + 60_000);
    return { chain: v.chain().chainId, nonce };
  };

  /** ABIT for an escrow: the ABC converted (1 ABC → 1000 ABIT) until the account holds enough. */
  const abitFor = async (escrow: bigint) => {
    while (view().account(account.address).abit < escrow) {
      if (!(await options.fund(account.address, CONVERTED + MICRO_PER_UNIT, 'funding the load client for ABIT'))) throw new Error('the load client is not funded');
      await submit('convert', { amount: CONVERTED }, 'converting ABC into ABIT');
    }
  };

  /** Opens a channel (one at a time: the account's nonces never race) and returns its spender. */
  const openChannel = async (payees: readonly Uint8Array[], escrow: bigint, what: string, currency: 'ABC' | 'ABIT' = 'ABC'): Promise<ChannelSpender> => {
    if (currency === 'ABIT') await abitFor(escrow);
    else if (!(await options.fund(account.address, escrow + MICRO_PER_UNIT, `funding the load client for ${what}`))) throw new Error('the load client is not funded');
    const { chain, nonce } = await submit('channel-open', { currency, amount: escrow, payees: [...payees] }, what);
    const channel = { id: channelId(chain, account.address, nonce), escrow, payees: [...payees], currency };
    const spender = new ChannelSpender({ channel, session, authorization, store: new MemorySpenderStore(), now: Date.now });
    spenders.push(spender);
    stats.channels += 1;
    return spender;
  };

  const payerOf = (payee: Uint8Array, amount: bigint, currency: 'ABC' | 'ABIT') =>
    spenders.find((s) => s.channel.currency === currency && s.channel.payees.some((p) => bytesEqual(p, payee)) && s.remaining >= amount);

  /** The Manager Ring channel with room for one more introduction, opened (again) when there is none. */
  const introductionPayer = async (fee: bigint): Promise<ChannelSpender> => {
    const managers = view().managers().keys;
    const held = spenders.find((s) => s.channel.currency === 'ABC' && managers.every((m) => s.channel.payees.some((p) => bytesEqual(p, m))) && s.remaining >= fee);
    return held ?? openChannel(managers, INTRODUCTIONS_ESCROW, 'the Manager Ring channel');
  };

  /**
   * The worker the index server put first, on a channel that lists it — else a new channel to the offered workers
   * the ledger holds (a device attached since the last channel opened). An offered worker unknown to the ledger
   * cannot be paid: then the first offered one a channel pays.
   */
  const workerFor = async (offer: readonly PeerRef[], price: bigint, currency: 'ABC' | 'ABIT' = 'ABC'): Promise<{ peer: PeerRef; key: Uint8Array; spender: ChannelSpender }> => {
    const active = (key: Uint8Array) => view().node(key)?.status === 'active';
    const keyed = offer.map((peer) => ({ peer, key: ed25519KeyFromPeerId(peer.id) }));
    const first = keyed.find((w) => active(w.key)) ?? keyed[0];
    if (first === undefined) throw new Error('an empty offer');
    const paying = payerOf(first.key, price, currency);
    if (paying !== undefined) return { ...first, spender: paying };
    if (active(first.key)) {
      const payees = keyed.filter((w) => active(w.key)).map((w) => w.key);
      const spender = await openChannel(payees, currency === 'ABC' ? WORKERS_ESCROW : MESSAGES_ESCROW, `an ${currency} channel to the offered workers`, currency);
      return { ...first, spender };
    }
    for (const w of keyed) {
      const spender = payerOf(w.key, price, currency);
      if (spender !== undefined) return { ...w, spender };
    }
    throw new Error('no offered worker is on the ledger');
  };

  const introduced = async (key: Uint8Array, kind: 'blob' | 'mail') => {
    const fee = view().params().introductionFee;
    const out = await introduce({ rpc: options.host.rpc, managers: options.managers, spender: await introductionPayer(fee), fee }, key, kind);
    stats.introductions += 1;
    return out;
  };

  // Alice writes to Bob; Bob's first message from Alice starts the session from his prekey bundle.
  const alice = Messenger.open(join(options.dir, 'alice'));
  const bob = Messenger.open(join(options.dir, 'bob'));
  let written = 0;
  const message = async () => {
    const to = bob.address;
    const sending = await introduced(to, 'mail');
    const relay = await workerFor(sending.offer, messagePrice(view().params()), 'ABIT');
    const api = new WorkerClient({ rpc: options.host.rpc, worker: relay.peer, payee: relay.key, abit: relay.spender, prices: () => view().params() });
    written += 1;
    await api.send(to, alice.seal(to, `hello Bob, message ${written}`, alice.hasSession(to) ? undefined : bob.bundle()));
    stats.sent += 1;
    // Bob is introduced for his own mailbox (the same Unity and servers), reads, opens and acknowledges.
    const reading = await introduced(to, 'mail');
    const reader = new WorkerClient({ rpc: options.host.rpc, worker: reading.offer[0]!, payee: ed25519KeyFromPeerId(reading.offer[0]!.id), prices: () => view().params() });
    const items = await reader.inbox(bob.identity.signing);
    const opened = bob.open(reading.offer[0]!.id, items);
    await reader.ack(bob.identity.signing, items.map((i) => i.seq));
    bob.forget(reading.offer[0]!.id, items.map((i) => i.seq));
    stats.received += opened.filter((m) => m.text !== undefined).length;
  };

  let requests = 0;
  const request = async () => {
    requests += 1;
    if (requests % MESSAGE_EVERY === 0) return message();
    const params = view().params();
    const fetching = stored.length > 0 && Math.random() < 1 / 3;
    const bytes = fetching ? undefined : new Uint8Array(randomBytes(BLOB_BYTES));
    const address = fetching ? stored[Math.floor(Math.random() * stored.length)]! : buildBlob(bytes!).address;
    const offered = await introduced(address, 'blob');
    const price = fetching ? servePrice(params, BLOB_BYTES) : storePrice(params, BLOB_BYTES, 1);
    const worker = await workerFor(offered.offer, price);
    const client = new WorkerClient({ rpc: options.host.rpc, worker: worker.peer, payee: worker.key, abc: worker.spender, prices: () => view().params() });
    if (fetching) {
      await client.fetch(address);
      stats.fetches += 1;
    } else {
      stored.push((await client.store(bytes!)).address);
      if (stored.length > 64) stored.shift();
      stats.stores += 1;
    }
    if (view().node(worker.key)?.role === 'temporary') stats.byTemporary += 1;
  };

  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    if (stopped) return;
    void request()
      .catch(() => {
        stats.failures += 1;
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, options.everyMs ?? 500);
      });
  };
  timer = setTimeout(loop, options.everyMs ?? 500);
  return {
    stats,
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
