/**
 * `ame up --devices N`: N device agents, each its own `ame device --join DIR --sim` process with its data in
 * DIR/devices/dI (kept across restarts), its output in DIR/devices/dI/agent.log. Each device's wallet is funded
 * once by the investors' account (150 ABC: fees, and the worker deposit a promotion freezes) when the ledger shows
 * it holds less than the deposit. On stop each gets SIGTERM (a clean stop), and SIGKILL after 10 s.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Wallet } from '../../node/crypto/index.ts';
import { encodeTx, signAccountTx } from '../../node/ledger/index.ts';
import type { ManagerServer } from '../../node/manager/index.ts';
import { MICRO_PER_UNIT } from '../../node/wire/index.ts';
import { final } from './up-register.ts';

const FUNDING = 150n * MICRO_PER_UNIT;

export interface DeviceInfo {
  readonly peerId: string;
  readonly key: string;
  readonly wallet: string;
  readonly dashboard: string | null;
}

export interface UpDevice {
  readonly dir: string;
  readonly child: ChildProcess;
  /** Set once the device printed who it is. */
  info: DeviceInfo | undefined;
  state: string;
}

export interface UpDevices {
  readonly devices: readonly UpDevice[];
  stop(): Promise<void>;
}

const mainTs = fileURLToPath(new URL('../main.ts', import.meta.url));

/**
 * Transfers from one account, in batches: what is asked while a batch waits goes out together in the next one, on
 * consecutive nonces from the account's final nonce (the mempool admits up to 64 ahead), so the nonces never race and
 * N devices are funded in the time of one final block, not N. `unless` skips a transfer the final state makes
 * unneeded. Resolves false when the transfer failed or was not made in time.
 */
export type Funder = (to: string, amount: bigint, what: string, unless?: () => boolean) => Promise<boolean>;

const FUNDING_BATCH = 32;

export function batchFunder(lead: ManagerServer, from: Wallet, after: Promise<unknown> = Promise.resolve()): Funder {
  interface Ask {
    readonly to: string;
    readonly amount: bigint;
    readonly what: string;
    readonly unless: (() => boolean) | undefined;
    readonly done: (ok: boolean) => void;
  }
  const asks: Ask[] = [];
  let running = false;
  const batch = async (taken: Ask[]) => {
    const view = lead.ledger.finalView();
    const needed = taken.filter((a) => a.unless?.() !== true);
    for (const a of taken) if (!needed.includes(a)) a.done(true);
    if (needed.length === 0) return;
    const first = view.account(from.account.address).nonce;
    const sent = needed.map((a, i) => {
      try {
        const tx = signAccountTx({ chain: view.chain().chainId, kind: 'transfer', nonce: first + BigInt(i), fee: view.params().minFee, body: { to: a.to, amount: a.amount } }, from.account);
        return { a, hash: lead.submit(encodeTx(tx)) };
      } catch {
        return { a, hash: undefined };
      }
    });
    await Promise.all(
      sent.map(({ a, hash }) =>
        hash === undefined
          ? a.done(false)
          : final(lead, [hash], a.what, Date.now() + 60_000).then(
              () => a.done(true),
              () => a.done(false),
            ),
      ),
    );
  };
  const pump = async () => {
    if (running) return;
    running = true;
    await after.catch(() => undefined);
    while (asks.length > 0) await batch(asks.splice(0, FUNDING_BATCH));
    running = false;
  };
  return (to, amount, what, unless) =>
    new Promise<boolean>((done) => {
      asks.push({ to, amount, what, unless, done });
      void pump();
    });
}

export interface UpDevicesOptions {
  readonly dir: string;
  readonly count: number;
  readonly lead: ManagerServer;
  readonly fund: Funder;
  readonly onLine?: (i: number, line: string) => void;
  /** Once a device said who it is (each start of its process). */
  readonly onInfo?: (i: number, info: DeviceInfo) => void;
}

export function startUpDevices(options: UpDevicesOptions): UpDevices {
  const devices: UpDevice[] = [];
  const fund = (device: UpDevice) => {
    const wallet = device.info!.wallet;
    const view = () => options.lead.ledger.finalView();
    void options.fund(wallet, FUNDING, `funding device ${device.dir}`, () => view().account(wallet).abc >= view().params().depositWorker);
  };
  for (let i = 0; i < options.count; i++) {
    const dir = join(options.dir, 'devices', `d${i}`);
    mkdirSync(dir, { recursive: true });
    const child = spawn(process.execPath, [mainTs, 'device', '--join', options.dir, '--data', dir, '--boot', join(dir, 'boot'), '--sim'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    });
    const log = createWriteStream(join(dir, 'agent.log'), { flags: 'a' });
    child.stderr.pipe(log);
    const device: UpDevice = { dir, child, state: 'starting', info: undefined };
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const who = /^device (\{.*\})$/.exec(line);
        if (who !== null) {
          device.info = JSON.parse(who[1]!) as DeviceInfo;
          fund(device);
          options.onInfo?.(i, device.info);
        }
        const state = /^state (\S+)/.exec(line);
        if (state !== null) device.state = state[1]!;
        options.onLine?.(i, line);
      }
    });
    devices.push(device);
  }
  return {
    devices,
    stop: async () => {
      await Promise.all(
        devices.map(
          (d) =>
            new Promise<void>((done) => {
              if (d.child.exitCode !== null || d.child.signalCode !== null) return done();
              const kill = setTimeout(() => d.child.kill('SIGKILL'), 10_000);
              d.child.once('close', () => {
                clearTimeout(kill);
                done();
              });
              d.child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
