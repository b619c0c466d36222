/**
 * Where `ame fleet balena rollout` keeps a rollout between invocations: one folder (default `.ame/balena`) with,
 * per rollout ID, `ID.json` (the fleet, the API URL and the engine's snapshot, rewritten atomically after every
 * engine call), `ID.lock` (the process driving it now: only one polls and pins at a time) and `ID.abort` (an abort
 * asked for by another invocation while one is driving: the driver picks it up at its next poll).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLIC_MODE, writeFileAtomic } from '../../node/client/json-file.ts';
import { CliError } from '../errors.ts';

export const DEFAULT_BALENA_DIR = '.ame/balena';
const ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface StoredRollout {
  readonly format: 1;
  /** The balena fleet's slug (`org/name`). */
  readonly fleet: string;
  readonly apiUrl: string;
  /** The engine's snapshot (fleet/rollout), as the driver's onSnapshot gave it. */
  readonly snapshot: unknown;
  /** The rollout is done and the fleet was seen pinned to the release: nothing is left to do. */
  readonly finalised: boolean;
}

export class RolloutFiles {
  readonly dir: string;
  readonly id: string;

  constructor(dir: string, id: string) {
    if (!ID.test(id) || id.startsWith('.')) throw new CliError('USAGE', `a rollout ID is 1…64 of A-Z a-z 0-9 . _ - (not starting with a dot), got ${JSON.stringify(id.slice(0, 64))}`);
    this.dir = dir;
    this.id = id;
  }

  #path(ext: string): string {
    return join(this.dir, `${this.id}.${ext}`);
  }

  exists(): boolean {
    return existsSync(this.#path('json'));
  }

  read(): StoredRollout {
    let value: Partial<StoredRollout>;
    try {
      value = JSON.parse(readFileSync(this.#path('json'), 'utf8')) as Partial<StoredRollout>;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError('NOT_FOUND', `no balena rollout ${this.id} in ${this.dir}`, { cause });
      throw new CliError('BAD_INPUT', `${this.#path('json')} is not readable JSON`, { cause });
    }
    if (value.format !== 1 || typeof value.fleet !== 'string' || typeof value.apiUrl !== 'string' || typeof value.finalised !== 'boolean') {
      throw new CliError('BAD_INPUT', `${this.#path('json')} is not a balena rollout this build wrote`);
    }
    return value as StoredRollout;
  }

  write(rollout: StoredRollout): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.#path('json'), `${JSON.stringify(rollout)}\n`, PUBLIC_MODE);
  }

  /** Takes the lock, or says which live process holds it; a dead holder's lock is taken over. */
  lock(pid: number): { release(): void } | { heldBy: number } {
    mkdirSync(this.dir, { recursive: true });
    const path = this.#path('lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, `${pid}\n`, { flag: 'wx' });
        return { release: () => rmSync(path, { force: true }) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isSafeInteger(holder) && holder > 0 && alive(holder)) return { heldBy: holder };
      rmSync(path, { force: true });
    }
    throw new CliError('WRONG_STATE', `cannot take ${path}: another process keeps taking it`);
  }

  requestAbort(reason: string): void {
    writeFileAtomic(this.#path('abort'), JSON.stringify({ reason }), PUBLIC_MODE);
  }

  /** The reason of an abort another invocation asked for, once (the request is removed). */
  takeAbortRequest(): string | undefined {
    const path = this.#path('abort');
    if (!existsSync(path)) return undefined;
    let reason = 'aborted from the command line';
    try {
      const value = JSON.parse(readFileSync(path, 'utf8')) as { reason?: unknown };
      if (typeof value.reason === 'string' && value.reason !== '') reason = value.reason.slice(0, 200);
    } catch {
      // a torn or foreign request still asks for an abort
    }
    rmSync(path, { force: true });
    return reason;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
