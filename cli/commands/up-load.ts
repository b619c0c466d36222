/**
 * `ame up --load`: a client that uses the network the way SPEC §7's client flow says, so requests reach the
 * temporary workers `ame up --devices` started. One client account (a fresh ECDSA wallet each start, funded by the
 * investors) holds a Manager Ring channel paying the managers; every `everyMs` it picks a 4 KiB blob of random
 * bytes (or, every third time, one it stored), pays a manager the introduction fee for the blob's Unity, takes the
 * index server's offer and pays the first offered worker on a channel that lists it — opening a channel to the
 * offered workers the ledger knows when none does — to store (or fetch) the blob. A fetch offered another worker
 * than the one that stored the blob is served from the ring's replicas. Failures (a device restarting) are counted,
 * not fatal.
 */
import { randomBytes } from 'node:crypto';
import { introduce } from '../../node/client/introductions.ts';
import { WorkerClient } from '../../node/client/worker-client.ts';
import { authorizeSession, bytesEqual, ed25519KeyFromPeerId, Ed25519KeyPair, type Wallet } from '../../node/crypto/index.ts';
import { channelId, encodeTx, signAccountTx } from '../../node/ledger/index.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import type { Host, PeerRef } from '../../node/net/index.ts';
import { buildBlob } from '../../node/services/blobs/index.ts';
import { servePrice, storePrice } from '../../node/services/pricing.ts';
import { ChannelSpender, MemorySpenderStore } from '../../node/worker/payments/index.ts';
import { MICRO_PER_UNIT } from '../../node/wire/index.ts';
import type { Funder } from './up-devices.ts';
import { final } from './up-register.ts';

/** Escrow of each channel: the Manager Ring's pays 5,000 introductions at the default fee. */
const INTRODUCTIONS_ESCROW = 50n * MICRO_PER_UNIT;
const WORKERS_ESCROW = 5n * MICRO_PER_UNIT;
const BLOB_BYTES = 4096;

export interface LoadStats {
  introductions: number;
  stores: number;
  fetches: number;
  /** Requests a temporary worker (a device) served. */
  byTemporary: number;
  channels: number;
  failures: number;
}

export interface UpLoad {
  readonly stats: LoadStats;
  stop(): void;
}

export function startUpLoad(options: { lead: ManagerServer; host: Host; managers: readonly PeerRef[]; fund: Funder; wallet: Wallet; everyMs?: number }): UpLoad {
  const { lead } = options;
  const view = () => lead.ledger.finalView();
  const stats: LoadStats = { introductions: 0, stores: 0, fetches: 0, byTemporary: 0, channels: 0, failures: 0 };
  const account = options.wallet.account;
  const session = Ed25519KeyPair.generate();
  const authorization = authorizeSession(account, session.publicKey, Date.now() + 24 * 3_600_000);
  const spenders: ChannelSpender[] = [];
  const stored: Uint8Array[] = [];
  let stopped = false;

  /** Opens a channel (one at a time: the account's nonces never race) and returns its spender. */
  const openChannel = async (payees: readonly Uint8Array[], escrow: bigint, what: string): Promise<ChannelSpender> => {
    if (!(await options.fund(account.address, escrow + MICRO_PER_UNIT, `funding the load client for ${what}`))) throw new Error('the load client is not funded');
    const v = view();
    const nonce = v.account(account.address).nonce;
    const body = { currency: 'ABC', amount: escrow, payees: [...payees] };
    const tx = signAccountTx({ chain: v.chain().chainId, kind: 'channel-open', nonce, fee: v.params().minFee, body }, account);
    await final(lead, [lead.submit(encodeTx(tx))], what, Date.now() + 60_000);
    const channel = { id: channelId(v.chain().chainId, account.address, nonce), escrow, payees: [...payees], currency: 'ABC' as const };
    const spender = new ChannelSpender({ channel, session, authorization, store: new MemorySpenderStore(), now: Date.now });
    spenders.push(spender);
    stats.channels += 1;
    return spender;
  };

  const payerOf = (payee: Uint8Array, amount: bigint) =>
    spenders.find((s) => s.channel.payees.some((p) => bytesEqual(p, payee)) && s.remaining >= amount);

  /** The Manager Ring channel with room for one more introduction, opened (again) when there is none. */
  const introductionPayer = async (fee: bigint): Promise<ChannelSpender> => {
    const managers = view().managers().keys;
    const held = spenders.find((s) => managers.every((m) => s.channel.payees.some((p) => bytesEqual(p, m))) && s.remaining >= fee);
    return held ?? openChannel(managers, INTRODUCTIONS_ESCROW, 'the Manager Ring channel');
  };

  /**
   * The worker the index server put first, on a channel that lists it — else a new channel to the offered workers
   * the ledger holds (a device attached since the last channel opened). An offered worker unknown to the ledger
   * cannot be paid: then the first offered one a channel pays.
   */
  const workerFor = async (offer: readonly PeerRef[], price: bigint): Promise<{ peer: PeerRef; key: Uint8Array; spender: ChannelSpender }> => {
    const active = (key: Uint8Array) => view().node(key)?.status === 'active';
    const keyed = offer.map((peer) => ({ peer, key: ed25519KeyFromPeerId(peer.id) }));
    const first = keyed.find((w) => active(w.key)) ?? keyed[0];
    if (first === undefined) throw new Error('an empty offer');
    const paying = payerOf(first.key, price);
    if (paying !== undefined) return { ...first, spender: paying };
    if (active(first.key)) {
      const spender = await openChannel(keyed.filter((w) => active(w.key)).map((w) => w.key), WORKERS_ESCROW, 'a channel to the offered workers');
      return { ...first, spender };
    }
    for (const w of keyed) {
      const spender = payerOf(w.key, price);
      if (spender !== undefined) return { ...w, spender };
    }
    throw new Error('no offered worker is on the ledger');
  };

  const request = async () => {
    const params = view().params();
    const fetching = stored.length > 0 && Math.random() < 1 / 3;
    const bytes = fetching ? undefined : new Uint8Array(randomBytes(BLOB_BYTES));
    const address = fetching ? stored[Math.floor(Math.random() * stored.length)]! : buildBlob(bytes!).address;
    const fee = params.introductionFee;
    const introduced = await introduce({ rpc: options.host.rpc, managers: options.managers, spender: await introductionPayer(fee), fee }, address, 'blob');
    stats.introductions += 1;
    const price = fetching ? servePrice(params, BLOB_BYTES) : storePrice(params, BLOB_BYTES, 1);
    const worker = await workerFor(introduced.offer, price);
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
