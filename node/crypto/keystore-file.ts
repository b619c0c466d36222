/**
 * Keystore files on disk. A write never leaves a half-written keystore behind: the text goes to a temporary file
 * in the same directory (mode 0600 from the start, fsynced), which is then renamed over the target, or hard-linked
 * to it when the target must not be replaced, so a crash leaves either the old file or the new one.
 *
 * Synchronous on purpose: the files are a few KB, written once at wallet creation and once when the phrase is
 * shown, read at start-up; a synchronous sequence also makes the crash-safety argument above easy to follow.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CryptoError } from './errors.ts';
import { parseKeystore, serializeKeystore, type KeystoreFile } from './keystore-format.ts';

export const KEYSTORE_FILE_MODE = 0o600;
/** Far above any real keystore (a Falcon one is ~2.5 KB); guards against reading an unrelated huge file. */
const MAX_KEYSTORE_FILE_SIZE = 64 * 1024;

export interface WriteKeystoreOptions {
  /** Replace an existing file. Without it an existing file makes the write fail with the fs error EEXIST. */
  readonly overwrite?: boolean;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or the directory vanished: nothing left to clean up.
  }
}

export function writeKeystoreFile(path: string, keystore: KeystoreFile, options: WriteKeystoreOptions = {}): void {
  const bytes = Buffer.from(serializeKeystore(keystore), 'utf8');
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', KEYSTORE_FILE_MODE);
  try {
    // The umask may have narrowed the mode given to open; set it exactly.
    fchmodSync(fd, KEYSTORE_FILE_MODE);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    removeQuietly(temp);
    throw error;
  }
  closeSync(fd);
  try {
    if (options.overwrite === true) {
      renameSync(temp, path);
    } else {
      linkSync(temp, path);
      unlinkSync(temp);
    }
  } catch (error) {
    removeQuietly(temp);
    throw error;
  }
  syncDirectory(dir);
}

/** Makes the rename itself durable; some file systems cannot fsync a directory, which is not an error. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Best effort only.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads and validates a keystore file; BAD_KEYSTORE if it is not one. fs errors (ENOENT…) pass through. */
export function readKeystoreFile(path: string): KeystoreFile {
  const bytes = readFileSync(path);
  if (bytes.length > MAX_KEYSTORE_FILE_SIZE) {
    throw new CryptoError('BAD_KEYSTORE', `${path} is ${bytes.length} bytes, too large to be a keystore`);
  }
  return parseKeystore(bytes.toString('utf8'));
}
