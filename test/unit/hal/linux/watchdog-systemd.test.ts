import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSystemdWatchdog, systemdWatchdogRequest, type CommandRunner } from '../../../../hal/linux/watchdog-systemd.ts';

describe('systemd watchdog request from the environment', () => {
  it('needs NOTIFY_SOCKET and WATCHDOG_USEC, and WATCHDOG_PID (if set) must be ours', () => {
    expect(systemdWatchdogRequest({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000' }, 42)).toEqual({
      notifySocket: '/run/systemd/notify',
      timeoutMs: 30_000,
    });
    expect(systemdWatchdogRequest({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).not.toBeNull();
    expect(systemdWatchdogRequest({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '41' }, 42)).toBeNull();
    expect(systemdWatchdogRequest({ NOTIFY_SOCKET: '/run/systemd/notify' }, 42)).toBeNull();
    expect(systemdWatchdogRequest({ WATCHDOG_USEC: '30000000' }, 42)).toBeNull();
    expect(systemdWatchdogRequest({ NOTIFY_SOCKET: '/x', WATCHDOG_USEC: 'abc' }, 42)).toBeNull();
  });

  it('each kick runs systemd-notify WATCHDOG=1 with NOTIFY_SOCKET; a failing run is WATCHDOG_IO', async () => {
    const calls: { argv: readonly string[]; socket: string | undefined }[] = [];
    let exitCode = 0;
    const run: CommandRunner = async (argv, env) => {
      calls.push({ argv, socket: env['NOTIFY_SOCKET'] });
      return exitCode;
    };
    const wd = createSystemdWatchdog({ request: { notifySocket: '@/org/test', timeoutMs: 30_000 }, env: { PATH: '/usr/bin' }, run });
    expect(wd.timeoutMs).toBe(30_000);
    await expect(wd.kick()).rejects.toMatchObject({ code: 'NOT_STARTED' });
    await wd.start();
    await wd.kick();
    expect(calls).toEqual([{ argv: ['systemd-notify', 'WATCHDOG=1'], socket: '@/org/test' }]);
    exitCode = 1;
    await expect(wd.kick()).rejects.toMatchObject({ code: 'WATCHDOG_IO' });
    const missing = createSystemdWatchdog({ request: { notifySocket: '/x', timeoutMs: 1 }, env: {}, command: '/nonexistent/systemd-notify' });
    await missing.start();
    await expect(missing.kick()).rejects.toMatchObject({ code: 'WATCHDOG_IO' });
  });

  const haveTools = spawnSync('sh', ['-c', 'command -v systemd-notify && command -v python3']).status === 0;

  it.skipIf(!haveTools)('the real systemd-notify delivers WATCHDOG=1 to a notify socket (a python stand-in for systemd)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ame-notify-'));
    const socket = path.join(dir, 'notify');
    // Receives one datagram the way systemd does, closing any passed fds so systemd-notify's barrier completes.
    const receiver = spawn('python3', [
      '-c',
      `import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); print('ready', flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(64))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            import array, os
            fds = array.array('i'); fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
            for fd in fds: os.close(fd)
    if msg: print(msg.decode(), flush=True)
`,
      socket,
    ]);
    try {
      let out = '';
      const seen = (pattern: RegExp) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`receiver saw ${JSON.stringify(out)}`)), 10_000);
          const check = () => {
            if (pattern.test(out)) {
              clearTimeout(timer);
              resolve();
            }
          };
          receiver.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            check();
          });
          check();
        });
      await seen(/ready/);
      const request = systemdWatchdogRequest({ NOTIFY_SOCKET: socket, WATCHDOG_USEC: '20000000' }, process.pid)!;
      const wd = createSystemdWatchdog({ request, env: { PATH: process.env['PATH'] } });
      await wd.start();
      await wd.kick();
      await seen(/WATCHDOG=1/);
      await wd.stop();
    } finally {
      receiver.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
