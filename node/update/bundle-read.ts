/**
 * Reads and extracts a bundle that came from anywhere: the unpacked size is capped before the tar is parsed (a
 * gzip bomb stops at the cap), then every entry is checked against the manifest — its path, that it appears once,
 * that the manifest lists it, its size, mode and SHA-256 — and every listed file must be present.
 */
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sha256, toHex } from '../crypto/index.ts';
import { type BundleManifest, checkBundlePath, decodeManifest, MANIFEST_PATH } from './bundle-manifest.ts';
import { UpdateError } from './errors.ts';
import { readTar, type TarFile } from './tar.ts';

export interface BundleLimits {
  /** Cap on the whole unpacked tar, manifest and padding included. */
  readonly maxUnpackedSize: number;
  readonly maxFiles: number;
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = { maxUnpackedSize: 512 * 1024 * 1024, maxFiles: 50_000 };

export interface BundleContents {
  readonly manifest: BundleManifest;
  /** In manifest order, each checked against it. */
  readonly files: readonly TarFile[];
}

function gunzip(bytes: Uint8Array, max: number): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(bytes, { maxOutputLength: max }));
  } catch (cause) {
    if (cause instanceof RangeError) {
      throw new UpdateError('TOO_LARGE', `bundle unpacks to more than ${max} bytes`, { cause });
    }
    throw new UpdateError('MALFORMED', 'bundle is not valid gzip', { cause });
  }
}

export function readBundle(bytes: Uint8Array, limits: Partial<BundleLimits> = {}): BundleContents {
  const { maxUnpackedSize, maxFiles } = { ...DEFAULT_BUNDLE_LIMITS, ...limits };
  const entries = readTar(gunzip(bytes, maxUnpackedSize), { maxEntries: maxFiles + 1 });
  const [first, ...rest] = entries;
  if (first?.path !== MANIFEST_PATH) throw new UpdateError('MALFORMED', `the first entry is not ${MANIFEST_PATH}`);
  const manifest = decodeManifest(first.data);
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const seen = new Set<string>();
  for (const entry of rest) {
    checkBundlePath(entry.path);
    const shown = JSON.stringify(entry.path.slice(0, 80));
    if (entry.path === MANIFEST_PATH || seen.has(entry.path)) throw new UpdateError('DUPLICATE_ENTRY', `${shown} appears twice`);
    seen.add(entry.path);
    const file = listed.get(entry.path);
    if (file === undefined) throw new UpdateError('NOT_IN_MANIFEST', `${shown} is in the bundle but not in its manifest`);
    if (entry.data.length !== file.size) {
      throw new UpdateError('HASH_MISMATCH', `${shown} has ${entry.data.length} bytes, the manifest says ${file.size}`);
    }
    if (entry.mode !== file.mode) throw new UpdateError('HASH_MISMATCH', `${shown} has mode ${entry.mode.toString(8)}, the manifest says ${file.mode.toString(8)}`);
    if (toHex(sha256(entry.data)) !== file.sha256) throw new UpdateError('HASH_MISMATCH', `${shown} does not match its SHA-256 in the manifest`);
  }
  for (const path of listed.keys()) {
    if (!seen.has(path)) throw new UpdateError('NOT_IN_MANIFEST', `the manifest lists ${JSON.stringify(path)}, which the bundle lacks`);
  }
  const byPath = new Map(rest.map((e) => [e.path, e]));
  return { manifest, files: manifest.files.map((f) => byPath.get(f.path)!) };
}

/**
 * Verifies the whole bundle first, then writes it into `destDir`, which must be empty or absent: nothing is
 * written from a bundle that fails any check, and no file is opened over one that exists already.
 */
export async function extractBundle(bytes: Uint8Array, destDir: string, limits: Partial<BundleLimits> = {}): Promise<BundleManifest> {
  const contents = readBundle(bytes, limits);
  await mkdir(destDir, { recursive: true });
  if ((await readdir(destDir)).length > 0) throw new UpdateError('BAD_ARGUMENT', `${destDir} is not empty`);
  for (const file of contents.files) {
    const target = join(destDir, ...file.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.data, { flag: 'wx', mode: file.mode });
    // The umask may have taken bits off; the manifest's mode is what runs.
    await chmod(target, file.mode);
  }
  return contents.manifest;
}
