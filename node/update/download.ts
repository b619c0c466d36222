/**
 * A resumable download that trusts nothing it is sent: it continues a partial file from its size (hashing what is
 * already there), takes at most the signed length — the first byte past it stops the transfer with TOO_LARGE, so
 * an endless stream costs one chunk more than the target — and keeps the file only if its SHA-256 is the signed
 * one. Transport is a function, so HTTP (httpRangeFetcher), a test generator or a peer can feed it.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { bytesEqual, toHex } from '../crypto/index.ts';
import { UpdateError } from './errors.ts';

/** The target's bytes from `offset` on, in chunks of any size. */
export type FetchRange = (offset: number) => AsyncIterable<Uint8Array>;

export interface DownloadOptions {
  readonly fetchRange: FetchRange;
  /** From verified metadata: what the file must be. */
  readonly target: { readonly length: number; readonly sha256: Uint8Array };
  /** The partial file: resumed if present, complete and verified when the promise resolves. */
  readonly path: string;
}

export interface DownloadResult {
  readonly path: string;
  readonly length: number;
  /** How many bytes were already on disk when this call started. */
  readonly resumedFrom: number;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function append(options: DownloadOptions, offset: number, hash: Hash): Promise<number> {
  const { fetchRange, target, path } = options;
  const file = await open(path, 'a');
  let size = offset;
  try {
    for await (const chunk of fetchRange(offset)) {
      if (!(chunk instanceof Uint8Array)) throw new UpdateError('MALFORMED', 'the source sent something other than bytes');
      if (chunk.length > target.length - size) {
        throw new UpdateError('TOO_LARGE', `the source sent more than the signed ${target.length} bytes`);
      }
      hash.update(chunk);
      await file.write(chunk);
      size += chunk.length;
    }
    await file.datasync();
  } finally {
    await file.close();
  }
  return size;
}

export async function downloadTarget(options: DownloadOptions): Promise<DownloadResult> {
  const { target, path } = options;
  let resumedFrom = await sizeOf(path);
  if (resumedFrom > target.length) {
    // Longer than the target: it cannot be a prefix of it, so nothing in it is worth keeping.
    await rm(path, { force: true });
    resumedFrom = 0;
  }
  const hash = createHash('sha256');
  if (resumedFrom > 0) await hashFile(path, hash);
  let size = resumedFrom;
  if (size < target.length) {
    try {
      size = await append(options, resumedFrom, hash);
    } catch (error) {
      if (error instanceof UpdateError) await rm(path, { force: true });
      throw error;
    }
  }
  if (size < target.length) {
    throw new UpdateError('INCOMPLETE', `the source ended at ${size} of ${target.length} bytes; ${path} is kept to resume`);
  }
  const digest = new Uint8Array(hash.digest());
  if (!bytesEqual(digest, target.sha256)) {
    await rm(path, { force: true });
    throw new UpdateError('HASH_MISMATCH', `downloaded SHA-256 ${toHex(digest).slice(0, 16)}… is not the signed one; ${path} removed`);
  }
  return { path, length: size, resumedFrom };
}

/**
 * A FetchRange over HTTP(S) with node's fetch: `Range: bytes=<offset>-`, and a 206 whose Content-Range starts at
 * the offset asked for (a server that ignores the range would otherwise splice the file's start onto its middle).
 */
export function httpRangeFetcher(url: string, fetchImpl: typeof fetch = fetch): FetchRange {
  return async function* (offset: number) {
    const response = await fetchImpl(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {} });
    if (!response.ok || response.body === null) {
      throw new UpdateError('INCOMPLETE', `GET ${url}: HTTP ${response.status}`);
    }
    if (offset > 0) {
      const range = response.headers.get('content-range') ?? '';
      if (response.status !== 206 || !range.startsWith(`bytes ${offset}-`)) {
        await response.body.cancel();
        throw new UpdateError('MALFORMED', `GET ${url}: the server did not answer the range from ${offset} (HTTP ${response.status})`);
      }
    }
    for await (const chunk of response.body) yield chunk;
  };
}
