/**
 * The kernel watchdog device. Opening /dev/watchdog arms it; each write is a kick; writing the magic character 'V'
 * right before close disarms it (unless the kernel was built with NOWAYOUT, then nothing disarms it). Node has no
 * ioctl, so the timeout cannot be set here: it is read from sysfs when the driver exposes it (bcm2835 default 15 s),
 * and set by the kernel command line or module parameter otherwise.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { HalError, describeError } from '../errors.ts';
import { underRoot } from '../paths.ts';
import type { WatchdogPort } from '../ports.ts';

export const WATCHDOG_DEVICE = '/dev/watchdog';
export const WATCHDOG_TIMEOUT_FILE = '/sys/class/watchdog/watchdog0/timeout';

/** The kick byte: anything but 'V', which some drivers take as "close expected". */
const KICK = Buffer.from([0]);
const MAGIC_CLOSE = Buffer.from('V');

/** The timeout in ms from sysfs, or null when the driver does not say. */
export async function readWatchdogTimeoutMs(root: string): Promise<number | null> {
  try {
    const seconds = Number((await readFile(underRoot(root, WATCHDOG_TIMEOUT_FILE), 'utf8')).trim());
    return Number.isInteger(seconds) && seconds > 0 ? seconds * 1000 : null;
  } catch {
    return null;
  }
}

export function createDevWatchdog(options: { root: string; devicePath?: string; timeoutMs: number | null }): WatchdogPort {
  const file = underRoot(options.root, options.devicePath ?? WATCHDOG_DEVICE);
  let handle: FileHandle | null = null;

  const io = async (what: string, fn: (h: FileHandle) => Promise<unknown>, h: FileHandle) => {
    try {
      await fn(h);
    } catch (error) {
      throw new HalError('WATCHDOG_IO', `${what} ${file}: ${describeError(error)}`, { cause: error });
    }
  };

  return {
    kind: 'dev',
    timeoutMs: options.timeoutMs,
    async start() {
      if (handle) return;
      try {
        // 'a': write-only without truncation (a fake device in tests is a plain file that collects the kicks).
        handle = await open(file, 'a');
      } catch (error) {
        // EBUSY: systemd (RuntimeWatchdogSec) or a watchdog daemon already holds it.
        throw new HalError('WATCHDOG_IO', `opening ${file}: ${describeError(error)}`, { cause: error });
      }
    },
    async kick() {
      if (!handle) throw new HalError('NOT_STARTED', `watchdog ${file} is not open`);
      await io('kicking', (h) => h.write(KICK), handle);
    },
    async stop() {
      const h = handle;
      handle = null;
      if (!h) return;
      try {
        await io('disarming', (x) => x.write(MAGIC_CLOSE), h);
      } finally {
        await h.close();
      }
    },
  };
}
