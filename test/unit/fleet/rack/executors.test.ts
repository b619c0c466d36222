/**
 * Both executors on this machine: the local one directly, the SSH one through a stand-in for `ssh` that runs the
 * remote command with `sh -c` — so the quoting of paths, arguments and modes is checked by a real shell.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalExecutor, createSshExecutor, type HostExecutor, type RackHost } from '../../../../fleet/rack/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-rack-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// `ssh [options] DESTINATION -- SCRIPT`: the stand-in drops the destination and `--` and runs the script.
const fakeSsh = join(dir, 'fake-ssh');
writeFileSync(fakeSsh, '#!/bin/sh\nshift 2\nexec sh -c "$1"\n');
chmodSync(fakeSsh, 0o755);

const until = async (what: string, check: () => Promise<boolean>) => {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`${what}: not within 5 s`);
};

const cases: [string, HostExecutor, RackHost][] = [
  ['local', createLocalExecutor(), { name: 'h0', address: '127.0.0.1' }],
  ['ssh', createSshExecutor({ ssh: [fakeSsh] }), { name: 'h0', address: '127.0.0.1', target: 'admin@h0' }],
];

describe.each(cases)('the %s executor', (kind, executor, host) => {
  const base = join(dir, kind, `it's "odd" $(x)`);

  it('writes a file with its mode, whatever the path holds', async () => {
    const path = join(base, 'a b', 'node.key');
    await executor.put(host, path, new TextEncoder().encode('secret\n'), 0o600);
    expect(readFileSync(path, 'utf8')).toBe('secret\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('launches a detached process whose arguments reach it verbatim, signals it and sees it gone', async () => {
    const log = join(base, 'server.log');
    const marker = join(dir, `${kind}-injected`);
    const pid = await executor.launch(host, ['sh', '-c', 'echo "$1"; exec sleep 30', 'sh', `$(touch ${marker}) 'quoted' "double"`], log);
    expect(pid).toBeGreaterThan(1);
    expect(await executor.alive(host, pid)).toBe(true);
    await until('the argument logged', async () => readFileSync(log, 'utf8').includes('quoted'));
    expect(readFileSync(log, 'utf8')).toBe(`$(touch ${marker}) 'quoted' "double"\n`);
    expect(() => statSync(marker)).toThrow();
    expect(await executor.signal(host, pid, 'SIGTERM')).toBe(true);
    await until('the process gone', async () => !(await executor.alive(host, pid)));
    expect(await executor.signal(host, pid, 'SIGKILL')).toBe(false);
  });
});
