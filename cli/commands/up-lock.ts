/**
 * One `ame up` per data folder: DIR/up.lock holds the running process's pid. Two networks on one folder would
 * open the same SQLite files and chains from two processes and race each other's identities and ports. A lock whose
 * process is gone (a crash, kill -9) is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.ts';

export const UP_LOCK_FILE = 'up.lock';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but is someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Takes DIR's lock for this process (EXISTS naming the pid that holds it); the returned function releases it. */
export function lockUpFolder(dir: string, pid = process.pid): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, UP_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return () => {
        if (readPid(path) === pid) rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readPid(path);
      if (holder !== undefined && holder !== pid && alive(holder)) {
        throw new CliError('EXISTS', `another ame up (pid ${holder}) runs on ${dir}: stop it first, or use another --data folder`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new CliError('EXISTS', `${path} keeps coming back: another ame up is starting on ${dir}`);
}

function readPid(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
