/**
 * Two linked pseudo-terminals, like a null-modem cable between two serial ports: bytes written to one end come out
 * of the other. Node cannot call openpty() without a native addon, so a small python3 helper (standard library only)
 * opens both, prints their paths, and relays between the masters; it keeps the slave ends open itself so either
 * side can close and reopen without a hang-up, and exits when its stdin closes (also when we die).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { HalError } from '../errors.ts';

const HELPER = `
import os, pty, select, sys, tty
ma, sa = pty.openpty()
mb, sb = pty.openpty()
for fd in (sa, sb):
    tty.setraw(fd)
sys.stdout.write(os.ttyname(sa) + ' ' + os.ttyname(sb) + '\\n')
sys.stdout.flush()
peer = {ma: mb, mb: ma}
while True:
    ready, _, _ = select.select([ma, mb, 0], [], [])
    if 0 in ready and not os.read(0, 64):
        break
    for fd in (ma, mb):
        if fd in ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                continue
            while data:
                data = data[os.write(peer[fd], data):]
`;

export interface PtyPair {
  /** The end the device side opens (as its UART). */
  readonly devicePath: string;
  /** The end a user's terminal (or a test) opens. */
  readonly terminalPath: string;
  close(): Promise<void>;
}

export async function openPtyPair(options: { python?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  const python = options.python ?? 'python3';
  const child: ChildProcess = spawn(python, ['-c', HELPER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const paths = await new Promise<string[]>((resolve, reject) => {
    let out = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new HalError('PTY_UNAVAILABLE', `pseudo-terminal helper (${python}) ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail('did not start in time'), options.timeoutMs ?? 10_000);
    const onClose = (code: number | null) => fail(`exited with ${code}`);
    child.once('error', (error) => fail(`could not be started (${error.message})`));
    child.once('close', onClose);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.off('close', onClose);
      resolve(out.slice(0, newline).trim().split(' '));
    });
  });
  const [devicePath, terminalPath] = paths;
  if (!devicePath || !terminalPath) throw new HalError('PTY_UNAVAILABLE', `pseudo-terminal helper printed ${paths.join(' ')}`);
  return {
    devicePath,
    terminalPath,
    async close() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
