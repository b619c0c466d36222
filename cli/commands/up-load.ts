/**
 * `ame up --load`: clients that use the devices `ame up --devices` started, so requests reach temporary workers.
 * One client account (a fresh ECDSA wallet each start, funded by the investors) opens an ABC channel to each
 * device once the ledger shows it attached, then every `everyMs` stores a 4 KiB blob of random bytes on one device
 * in turn, and fetches one it stored there before every third time. Each request is paid by a receipt: the
 * devices settle, are audited on what they logged, and earn. Failures (a device restarting) are counted, not
 * fatal.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerClient } from '../../node/client/worker-client.ts';
import { authorizeSession, Ed25519KeyPair, fromHex, type Wallet } from '../../node/crypto/index.ts';
import { channelId, encodeTx, signAccountTx } from '../../node/ledger/index.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import type { Host, PeerRef } from '../../node/net/index.ts';
import { ChannelSpender, MemorySpenderStore } from '../../node/worker/payments/index.ts';
import { MICRO_PER_UNIT } from '../../node/wire/index.ts';
import type { Funder, UpDevice } from './up-devices.ts';
import { final } from './up-register.ts';

const ESCROW = 5n * MICRO_PER_UNIT;

export interface LoadStats {
  stores: number;
  fetches: number;
  failures: number;
}

interface Line {
  readonly client: WorkerClient;
  readonly stored: Uint8Array[];
}

export interface UpLoad {
  readonly stats: LoadStats;
  stop(): void;
}

function contactOf(device: UpDevice): PeerRef | undefined {
  const path = join(device.dir, 'node', 'ring-contact.json');
  if (!existsSync(path)) return undefined;
  return (JSON.parse(readFileSync(path, 'utf8')) as { peer: PeerRef }).peer;
}

export function startUpLoad(options: { lead: ManagerServer; host: Host; devices: readonly UpDevice[]; fund: Funder; wallet: Wallet; everyMs?: number }): UpLoad {
  const { lead, devices } = options;
  const stats: LoadStats = { stores: 0, fetches: 0, failures: 0 };
  const lines = new Map<number, Line>();
  const opening = new Set<number>();
  const account = options.wallet.account;
  const session = Ed25519KeyPair.generate();
  let funded: Promise<void> | undefined;
  let stopped = false;
  let turn = 0;
  let chain = Promise.resolve();

  const fundClient = () =>
    (funded ??= options.fund(account.address, ESCROW * BigInt(devices.length + 1), 'funding the load clients').then((ok) => {
      if (!ok) {
        funded = undefined;
        throw new Error('the load clients are not funded');
      }
    }));

  // Channels are opened one at a time: the client account's nonces then never race.
  const open = (i: number, device: UpDevice) => {
    opening.add(i);
    chain = chain
      .then(async () => {
        await fundClient();
        const view = lead.ledger.finalView();
        const key = fromHex(device.info!.key, 'device key', 32);
        const nonce = view.account(account.address).nonce;
        const tx = signAccountTx(
          { chain: view.chain().chainId, kind: 'channel-open', nonce, fee: view.params().minFee, body: { currency: 'ABC', amount: ESCROW, payees: [key] } },
          account,
        );
        await final(lead, [lead.submit(encodeTx(tx))], `a channel to device ${device.dir}`, Date.now() + 60_000);
        const peer = contactOf(device);
        if (peer === undefined) throw new Error('no contact file yet');
        const spender = new ChannelSpender({
          channel: { id: channelId(view.chain().chainId, account.address, nonce), escrow: ESCROW, payees: [key], currency: 'ABC' },
          session,
          authorization: authorizeSession(account, session.publicKey, Date.now() + 24 * 3_600_000),
          store: new MemorySpenderStore(),
          now: Date.now,
        });
        const client = new WorkerClient({ rpc: options.host.rpc, worker: peer, payee: key, abc: spender, prices: () => lead.ledger.finalView().params() });
        lines.set(i, { client, stored: [] });
      })
      .catch(() => {
        stats.failures += 1;
      })
      .finally(() => opening.delete(i));
  };

  const tick = async () => {
    devices.forEach((device, i) => {
      if (lines.has(i) || opening.has(i) || device.info === undefined) return;
      const node = lead.ledger.finalView().node(fromHex(device.info.key, 'device key', 32));
      if (node !== undefined && node.status === 'active' && node.unity !== '') open(i, device);
    });
    const ready = [...lines.entries()];
    if (ready.length === 0) return;
    const [, line] = ready[turn++ % ready.length]!;
    try {
      if (turn % 3 === 0 && line.stored.length > 0) {
        await line.client.fetch(line.stored[Math.floor(Math.random() * line.stored.length)]!);
        stats.fetches += 1;
      } else {
        line.stored.push((await line.client.store(new Uint8Array(randomBytes(4096)))).address);
        if (line.stored.length > 64) line.stored.shift();
        stats.stores += 1;
      }
    } catch {
      stats.failures += 1;
    }
  };

  const loop = () => {
    if (stopped) return;
    void tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, options.everyMs ?? 500);
    });
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(loop, options.everyMs ?? 500);
  return {
    stats,
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
