/**
 * The serial console's line commands (SPEC.md §9): status, wallet, earnings, logs, reboot, factory-reset, help.
 * The HAL only moves lines; the answers come from the agent through ConsoleBackend. Lines are handled one at a
 * time, in order, so replies never interleave. `factory-reset --wipe-wallet` asks for a typed confirmation that
 * names the wallet (the end of its address), and the very next line must be it: anything else cancels.
 */
import type { Logger } from 'pino';
import type { ConsolePort } from '../hal/index.ts';
import { describeError } from './errors.ts';

export interface ConsoleBackend {
  status(): Promise<readonly string[]>;
  wallet(): Promise<readonly string[]>;
  earnings(): Promise<readonly string[]>;
  logs(count: number): readonly string[];
  canReboot(): boolean;
  /** Asks the host to reboot (the reply is written before: the reboot may end this process). */
  reboot(): Promise<void>;
  /** Runs the reset and returns what to print when it is done (or why it was refused). */
  factoryReset(wipeWallet: boolean): Promise<readonly string[]>;
  /** The device wallet's address, or null when there is no keystore (not provisioned yet, or wiped). */
  walletAddress(): string | null;
}

export const DEFAULT_LOG_LINES = 20;
export const MAX_LOG_LINES = 200;
const CONFIRM_SUFFIX_LENGTH = 6;

export const HELP_LINES: readonly string[] = [
  'commands:',
  '  status                       state, role, identity, health',
  '  wallet                       payout account and balance',
  '  earnings                     requests served, receipts held, amounts settled',
  `  logs [n]                     the last n agent events (default ${DEFAULT_LOG_LINES})`,
  '  reboot                       reboot the device',
  '  factory-reset                wipe config, data and node identity; keep the wallet',
  '  factory-reset --wipe-wallet  the same, and the wallet keystore (asks to confirm)',
];

/** The text to type to confirm wiping the wallet whose address this is. */
export function wipeConfirmationFor(address: string): string {
  return `erase ${address.slice(-CONFIRM_SUFFIX_LENGTH)}`;
}

export interface ConsoleSession {
  start(): Promise<void>;
  stop(): void;
  /** Resolves when every line received so far has been answered. */
  idle(): Promise<void>;
}

export function createConsoleSession(options: { console: ConsolePort; backend: ConsoleBackend; logger?: Logger }): ConsoleSession {
  const { console: port, backend, logger } = options;
  let queue: Promise<void> = Promise.resolve();
  let unsubscribe: (() => void) | null = null;
  // The wipe confirmation that the next line must match; null when no confirmation is pending.
  let awaiting: string | null = null;

  const write = async (lines: readonly string[]) => {
    for (const line of lines) await port.writeLine(line);
  };

  const handle = async (raw: string): Promise<readonly string[]> => {
    const line = raw.trim();
    if (awaiting !== null) {
      const expected = awaiting;
      awaiting = null;
      if (line !== expected) return ['not confirmed: nothing was wiped'];
      await write(['factory reset: wiping config, data, node identity and the wallet…']);
      return backend.factoryReset(true);
    }
    if (line === '') return [];
    const [command, ...args] = line.split(/\s+/);
    switch (command) {
      case 'help':
      case '?':
        return HELP_LINES;
      case 'status':
        return backend.status();
      case 'wallet':
        return backend.wallet();
      case 'earnings':
        return backend.earnings();
      case 'logs': {
        const n = args[0] === undefined ? DEFAULT_LOG_LINES : Number(args[0]);
        if (!Number.isInteger(n) || n < 1 || n > MAX_LOG_LINES || args.length > 1) return [`usage: logs [n], n from 1 to ${MAX_LOG_LINES}`];
        const lines = backend.logs(n);
        return lines.length > 0 ? lines : ['(no events yet)'];
      }
      case 'reboot':
        if (args.length > 0) return ['usage: reboot'];
        if (!backend.canReboot()) return ['reboot is not available on this host'];
        await write(['rebooting']);
        await backend.reboot();
        return [];
      case 'factory-reset':
        if (args.length === 0) {
          await write(['factory reset: wiping config, data and node identity (the wallet is kept)…']);
          return backend.factoryReset(false);
        }
        if (args.length === 1 && args[0] === '--wipe-wallet') {
          const address = backend.walletAddress();
          if (address === null) return ['there is no wallet keystore on this device: use factory-reset'];
          awaiting = wipeConfirmationFor(address);
          return [
            `This also erases the wallet keystore of ${address}.`,
            'Its funds are lost for good unless its 24-word phrase was written down.',
            `Type "${awaiting}" to confirm; anything else cancels:`,
          ];
        }
        return ['usage: factory-reset [--wipe-wallet]'];
      default:
        return [`unknown command "${command}": type help`];
    }
  };

  const onLine = (line: string) => {
    queue = queue.then(async () => {
      let reply: readonly string[];
      try {
        reply = await handle(line);
      } catch (error) {
        logger?.error({ err: error }, 'console command failed');
        reply = [`error: ${describeError(error)}`];
      }
      try {
        await write(reply);
      } catch (error) {
        // The console is a convenience: a terminal gone away must not stop the agent.
        logger?.warn({ err: error }, 'console reply could not be written');
      }
    });
  };

  return {
    async start() {
      if (unsubscribe) return;
      unsubscribe = port.onLine(onLine);
      await write(['AME device console: type help']).catch(() => {});
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      awaiting = null;
    },
    idle: () => queue,
  };
}
