/**
 * Small files of a client folder. Every write goes to a temporary file that is synced and then renamed over the
 * old one, so a crash leaves either the old or the new content, never half of it — a half-written sessions file
 * would lose the ratchet state of every conversation. Secret files are created with mode 0600.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { ClientError } from './errors.ts';

export const SECRET_MODE = 0o600;
export const PUBLIC_MODE = 0o644;

/** Writes `data` to `path` atomically (temporary file, fsync, rename) with `mode`. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

export function writeJson(path: string, value: unknown, mode: number): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode);
}

/** The JSON in `path`, or undefined when there is no such file; BAD_STATE when it does not parse. */
export function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (cause) {
    throw new ClientError('BAD_STATE', `${path} is not readable JSON (${(cause as Error).message})`, { cause });
  }
}

export const isHex = (value: unknown, bytes?: number): value is string =>
  typeof value === 'string' && (bytes === undefined ? /^([0-9a-f]{2})*$/ : new RegExp(`^[0-9a-f]{${bytes * 2}}$`)).test(value);

export const isDecimal = (value: unknown): value is string => typeof value === 'string' && /^\d{1,20}$/.test(value);
