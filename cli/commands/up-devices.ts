/**
 * `ame up --devices N`: N device agents, each its own `ame device --join DIR --sim` process with its data in
 * DIR/devices/dI (kept across restarts), its output in DIR/devices/dI/agent.log. Each device's wallet is funded
 * once by the investors' account (150 ABC: fees, and the worker deposit a promotion freezes) when the ledger shows
 * it holds less than the deposit. On stop each gets SIGTERM (a clean stop), and SIGKILL after 10 s.
 *
 * `ame up` is the devices' launcher too (image/ame-start.sh on a box): each gets the fleet's first roots on its boot
 * folder (DIR/devices/dI/boot/fleet-root), so a rollout from the local controller reaches it, and a device that
 * exits 75 — its update agent switched releases — is started again from its running slot's `bin/ame` (or this
 * checkout's CLI when the slot is none or carries no launcher).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESTART_EXIT_CODE } from '../../device/index.ts';
import { runningSlot, shippedRootPaths } from '../../device/update/index.ts';
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
  /** The device's current process (a new one after each restart into another release). */
  child: ChildProcess;
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
  /** The fleet's first image and director roots, written to each device's boot folder (`ame device`'s update agent). */
  readonly roots?: { readonly image: Uint8Array; readonly director: Uint8Array };
}

/** The command that runs device `dir`'s release: its running slot's launcher, else this checkout's CLI. */
function deviceCommand(dir: string): readonly string[] {
  let slot: string | null;
  try {
    slot = runningSlot(dir);
  } catch {
    slot = null; // a state file that does not read back: the agent says so at its start
  }
  const launcher = slot === null ? undefined : join(slot, 'bin', 'ame');
  return launcher !== undefined && existsSync(launcher) ? [launcher] : [process.execPath, mainTs];
}

export function startUpDevices(options: UpDevicesOptions): UpDevices {
  const devices: UpDevice[] = [];
  const fund = (device: UpDevice) => {
    const wallet = device.info!.wallet;
    const view = () => options.lead.ledger.finalView();
    void options.fund(wallet, FUNDING, `funding device ${device.dir}`, () => view().account(wallet).abc >= view().params().depositWorker);
  };
  let stopping = false;
  const launch = (device: UpDevice, i: number): ChildProcess => {
    const [command, ...pre] = deviceCommand(device.dir);
    const child = spawn(command!, [...pre, 'device', '--join', options.dir, '--data', device.dir, '--boot', join(device.dir, 'boot'), '--sim'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    });
    const log = createWriteStream(join(device.dir, 'agent.log'), { flags: 'a' });
    child.stderr!.pipe(log);
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
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
    child.once('close', (code) => {
      log.end();
      if (code !== RESTART_EXIT_CODE || stopping) return;
      device.state = 'restarting';
      options.onLine?.(i, 'restarting into its running slot');
      device.child = launch(device, i);
    });
    return child;
  };
  for (let i = 0; i < options.count; i++) {
    const dir = join(options.dir, 'devices', `d${i}`);
    mkdirSync(dir, { recursive: true });
    if (options.roots !== undefined) {
      const paths = shippedRootPaths(join(dir, 'boot'));
      mkdirSync(join(paths.image, '..'), { recursive: true });
      writeFileSync(paths.image, options.roots.image);
      writeFileSync(paths.director, options.roots.director);
    }
    const device = { dir, state: 'starting', info: undefined } as Omit<UpDevice, 'child'> as UpDevice;
    device.child = launch(device, i);
    devices.push(device);
  }
  return {
    devices,
    stop: async () => {
      stopping = true;
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
