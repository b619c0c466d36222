/**
 * What a command may touch of the outside world, passed in so commands are testable in-process and never
 * reach for process globals themselves.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface CliIO {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Unix time in milliseconds. */
  now(): number;
}

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
  };
}

export function interactive(io: CliIO): boolean {
  return io.stdin.isTTY === true;
}

/** Asks one line on the terminal; `hidden` stops the typed characters from being echoed (passwords). */
export async function ask(io: CliIO, question: string, hidden = false): Promise<string> {
  // With terminal mode on and no output stream, readline puts the TTY in raw mode and echoes nothing. Raw mode
  // goes on before the prompt appears: a line typed (or sent by a script) the moment the prompt shows must not be
  // echoed by the terminal's cooked mode.
  const rl = createInterface({ input: io.stdin, terminal: hidden && interactive(io) });
  io.stderr.write(question);
  try {
    const line = await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new Error('standard input closed')));
    });
    if (hidden) io.stderr.write('\n');
    return line;
  } finally {
    rl.close();
  }
}

/** All of standard input as text (for piped input such as a backup phrase). */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}
