/**
 * The device's update lock (SPEC §10 "Update locks"): `<dataDir>/update/lock.json` `{holder, reason, expiresAt}`,
 * taken by an application on the device that must not be interrupted (a long transfer, an audit being answered)
 * and released when it is done. It expires so that a holder that dies never blocks updates for good: a lock whose
 * `expiresAt` (trusted time, ms, exclusive) has passed no longer counts and anyone may take it over.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../node/client/json-file.ts';
import { UpdateAgentError } from './errors.ts';
import { updatePaths } from './slots.ts';

export interface UpdateLock {
  readonly holder: string;
  readonly reason: string;
  /** Trusted time in ms; the lock counts while now < expiresAt. */
  readonly expiresAt: number;
}

const MAX_TEXT = 256;

function parseLock(text: string, path: string): UpdateLock {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new UpdateAgentError('BAD_STATE', `${path}: is not JSON`, { cause });
  }
  const lock = json as Partial<Record<keyof UpdateLock, unknown>> | null;
  if (
    typeof lock !== 'object' ||
    lock === null ||
    typeof lock.holder !== 'string' ||
    typeof lock.reason !== 'string' ||
    !Number.isSafeInteger(lock.expiresAt)
  ) {
    throw new UpdateAgentError('BAD_STATE', `${path}: must be {holder: text, reason: text, expiresAt: integer ms}`);
  }
  return { holder: lock.holder, reason: lock.reason, expiresAt: lock.expiresAt as number };
}

/** The lock in force at `now`, or undefined (none, or expired). BAD_STATE when the file is not a lock. */
export function currentLock(dataDir: string, now: number): UpdateLock | undefined {
  const path = updatePaths(dataDir).lock;
  if (!existsSync(path)) return undefined;
  const lock = parseLock(readFileSync(path, 'utf8'), path);
  return now < lock.expiresAt ? lock : undefined;
}

/** Takes the lock, or renews it for its holder. LOCKED while another holder's lock is in force. */
export function takeLock(dataDir: string, lock: UpdateLock, now: number): UpdateLock {
  if (lock.holder.length === 0 || lock.holder.length > MAX_TEXT) throw new UpdateAgentError('BAD_LOCK', `holder must be 1…${MAX_TEXT} characters`);
  if (lock.reason.length > MAX_TEXT) throw new UpdateAgentError('BAD_LOCK', `reason must be at most ${MAX_TEXT} characters`);
  if (!Number.isSafeInteger(lock.expiresAt) || lock.expiresAt <= now) {
    throw new UpdateAgentError('BAD_LOCK', `expiresAt ${lock.expiresAt} must be an integer time after now (${now})`);
  }
  const held = currentLock(dataDir, now);
  if (held !== undefined && held.holder !== lock.holder) {
    throw new UpdateAgentError('LOCKED', `the update lock is held by ${held.holder} (${held.reason}) until ${held.expiresAt}`);
  }
  const path = updatePaths(dataDir).lock;
  mkdirSync(dirname(path), { recursive: true });
  const written = { holder: lock.holder, reason: lock.reason, expiresAt: lock.expiresAt };
  writeFileAtomic(path, `${JSON.stringify(written)}\n`, 0o644);
  return written;
}

/** Releases `holder`'s lock; true when one was removed. LOCKED when another holder's lock is in force. */
export function releaseLock(dataDir: string, holder: string, now: number): boolean {
  const path = updatePaths(dataDir).lock;
  if (!existsSync(path)) return false;
  const lock = parseLock(readFileSync(path, 'utf8'), path);
  if (lock.holder !== holder && now < lock.expiresAt) {
    throw new UpdateAgentError('LOCKED', `the update lock is held by ${lock.holder}, not ${holder}`);
  }
  rmSync(path, { force: true });
  return true;
}
