/**
 * One ame up per data folder: a live holder's lock is refused naming its pid, a dead holder's lock is taken over,
 * and releasing removes only this process's own lock.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockUpFolder, UP_LOCK_FILE } from '../../../../cli/commands/up-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-up-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ame up folder lock', () => {
  it('refuses a folder a live process holds, takes over a dead one’s, and releases only its own', () => {
    const path = join(dir, UP_LOCK_FILE);
    const release = lockUpFolder(dir);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    // Another live process (the parent of this test worker) asking for it: refused, naming the holder.
    expect(() => lockUpFolder(dir, process.ppid)).toThrow(expect.objectContaining({ code: 'EXISTS', message: expect.stringContaining(`pid ${process.pid}`) }));
    release();
    expect(existsSync(path)).toBe(false);

    // A process that is gone left its lock: taken over.
    const dead = spawnSync('true').pid!;
    writeFileSync(path, `${dead}\n`);
    const mine = lockUpFolder(dir);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    // A lock another process took meanwhile is not removed by this one's release.
    writeFileSync(path, `${process.ppid}\n`);
    mine();
    expect(readFileSync(path, 'utf8')).toBe(`${process.ppid}\n`);
    // Garbage in the file is no holder.
    writeFileSync(path, 'not a pid');
    lockUpFolder(dir)();
    expect(existsSync(path)).toBe(false);
  });
});
