/** The user's side of a serial console in tests: opens a tty with serialport, as screen or minicom would. */
import { SerialPort } from 'serialport';

export interface Terminal {
  send(text: string): Promise<void>;
  /** Resolves with everything received so far once `pattern` matches it. */
  expect(pattern: RegExp, timeoutMs?: number): Promise<string>;
  received(): string;
  close(): Promise<void>;
}

export async function openTerminal(path: string): Promise<Terminal> {
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115_200 }, (error) => (error ? reject(error) : resolve(p)));
  });
  let received = '';
  const waiters = new Set<() => void>();
  port.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
    for (const w of [...waiters]) w();
  });
  return {
    send: (text) => new Promise((resolve, reject) => port.write(text, (e) => (e ? reject(e) : port.drain(() => resolve())))),
    expect(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(received)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; terminal received ${JSON.stringify(received)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    received: () => received,
    close: () => new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

/** Resolves with the next `count` lines a console delivers. */
export function nextLines(console: { onLine(l: (line: string) => void): () => void }, count: number, timeoutMs = 10_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${lines.length} of ${count} lines: ${JSON.stringify(lines)}`));
    }, timeoutMs);
    const off = console.onLine((line) => {
      lines.push(line);
      if (lines.length === count) {
        clearTimeout(timer);
        off();
        resolve(lines);
      }
    });
  });
}
