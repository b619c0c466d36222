/**
 * The serial console over a UART (or any tty: the simulator hands it a pseudo-terminal) through serialport. Raw
 * mode, 8N1; line handling is console-lines.ts, since a raw UART gets no help from the kernel's line discipline.
 */
import type { SerialPort as SerialPortType } from 'serialport';
import { LineAssembler, terminalLine } from '../console-lines.ts';
import { HalError, describeError } from '../errors.ts';
import type { AdapterKind, ConsolePort } from '../ports.ts';
import type { WarningReporter } from '../warnings.ts';

/** The Pi firmware's console speed; serial terminals default to it too. */
export const DEFAULT_BAUD_RATE = 115_200;

type SerialPortClass = typeof SerialPortType;

async function loadSerialPort(): Promise<SerialPortClass> {
  try {
    return (await import('serialport')).SerialPort;
  } catch (error) {
    throw new HalError('SERIAL_UNAVAILABLE', `serialport could not be loaded: ${describeError(error)}`, { cause: error });
  }
}

export interface SerialConsoleOptions {
  /** The device path, already under the root. */
  readonly path: string;
  readonly baudRate?: number;
  /** Echo typed characters back (a serial terminal shows only what the far end sends). Default true. */
  readonly echo?: boolean;
  readonly maxLineChars?: number;
  readonly report?: WarningReporter;
  /** The kind reported to callers ('sim' when the simulator runs this over a pty). */
  readonly kind?: AdapterKind;
}

export function createSerialConsole(options: SerialConsoleOptions): ConsolePort {
  const listeners = new Set<(line: string) => void>();
  const { report } = options;
  let port: InstanceType<SerialPortClass> | null = null;
  let stopping = false;

  const fault = (message: string, error?: unknown) =>
    report?.({
      code: 'CONSOLE_FAULT',
      port: 'console',
      level: 'warn',
      message,
      path: options.path,
      ...(error === undefined ? {} : { cause: describeError(error) }),
    });

  const write = (p: InstanceType<SerialPortClass>, text: string) =>
    new Promise<void>((resolve, reject) => {
      p.write(text, (error) => {
        if (error) reject(new HalError('CONSOLE_IO', `writing ${options.path}: ${error.message}`, { cause: error }));
        else p.drain(() => resolve());
      });
    });

  return {
    kind: options.kind ?? 'linux',
    path: options.path,
    async start() {
      if (port) return;
      const SerialPort = await loadSerialPort();
      const opened = await new Promise<InstanceType<SerialPortClass>>((resolve, reject) => {
        const p = new SerialPort({ path: options.path, baudRate: options.baudRate ?? DEFAULT_BAUD_RATE }, (error) => {
          if (error) {
            reject(new HalError('CONSOLE_OPEN_FAILED', `opening ${options.path}: ${error.message}`, { cause: error }));
          } else resolve(p);
        });
      });
      const assembler = new LineAssembler({ echo: options.echo ?? true, ...(options.maxLineChars ? { maxLineChars: options.maxLineChars } : {}) });
      opened.on('data', (chunk: Buffer) => {
        const input = assembler.push(chunk);
        if (input.echo) void write(opened, input.echo).catch((error: unknown) => fault('console echo failed', error));
        if (input.overflowed > 0) fault(`discarded ${input.overflowed} console line(s) longer than the limit`);
        for (const line of input.lines) for (const listener of [...listeners]) listener(line);
      });
      // A USB serial adapter pulled out closes the port: report it, do not crash.
      opened.on('error', (error: Error) => fault('console error', error));
      opened.on('close', () => {
        if (!stopping) fault('console closed unexpectedly');
        if (port === opened) port = null;
      });
      stopping = false;
      port = opened;
    },
    async stop() {
      const p = port;
      port = null;
      if (!p) return;
      stopping = true;
      await new Promise<void>((resolve) => {
        if (!p.isOpen) resolve();
        else p.close(() => resolve());
      });
    },
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async writeLine(text) {
      if (!port) throw new HalError('NOT_STARTED', `console ${options.path} is not open`);
      await write(port, terminalLine(text));
    },
  };
}
