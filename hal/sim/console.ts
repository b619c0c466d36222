/**
 * The simulated console: the real serial console adapter, over one end of a pseudo-terminal pair instead of a
 * UART. A user (or a test) opens `terminalPath()` with any serial terminal — screen, minicom, serialport — and
 * talks to the device exactly as over a cable.
 */
import { HalError } from '../errors.ts';
import { createSerialConsole } from '../linux/console.ts';
import type { ConsolePort } from '../ports.ts';
import type { WarningReporter } from '../warnings.ts';
import { openPtyPair, type PtyPair } from './pty-pair.ts';

export interface SimConsole extends ConsolePort {
  /** The pty the user's terminal opens (available after start()). */
  terminalPath(): string;
}

export function createSimConsole(options: { echo?: boolean; python?: string; report?: WarningReporter } = {}): SimConsole {
  let pair: PtyPair | null = null;
  let inner: ConsolePort | null = null;
  const listeners = new Set<(line: string) => void>();

  return {
    kind: 'sim',
    get path() {
      return pair?.devicePath ?? null;
    },
    async start() {
      if (pair) return;
      const opened = await openPtyPair(options.python ? { python: options.python } : {});
      const serial = createSerialConsole({
        path: opened.devicePath,
        kind: 'sim',
        echo: options.echo ?? true,
        ...(options.report ? { report: options.report } : {}),
      });
      try {
        await serial.start();
      } catch (error) {
        await opened.close();
        throw error;
      }
      serial.onLine((line) => {
        for (const listener of [...listeners]) listener(line);
      });
      pair = opened;
      inner = serial;
    },
    async stop() {
      const [p, c] = [pair, inner];
      pair = null;
      inner = null;
      await c?.stop();
      await p?.close();
    },
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async writeLine(text) {
      if (!inner) throw new HalError('NOT_STARTED', 'sim console is not started');
      await inner.writeLine(text);
    },
    terminalPath() {
      if (!pair) throw new HalError('NOT_STARTED', 'sim console is not started');
      return pair.terminalPath;
    },
  };
}
