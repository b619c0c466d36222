/**
 * Builds a release bundle from a folder: a gzip'd ustar whose first entry is the manifest, then every regular file
 * in path order. Deterministic: only paths, contents and the executable bit go in, so two builds of one commit
 * are byte-identical whatever the clocks, owners or umasks of the machines. Symbolic links are refused rather
 * than followed or stored: a link is a path the extractor would have to re-check at install time, and releases
 * have no need for one.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256, toHex } from '../crypto/index.ts';
import {
  BUNDLE_FORMAT,
  type BundleManifest,
  checkBundlePath,
  encodeManifest,
  EXEC_MODE,
  FILE_MODE,
  MANIFEST_PATH,
  type ManifestFile,
} from './bundle-manifest.ts';
import { UpdateError } from './errors.ts';
import { NAME_PATTERN } from './roles.ts';
import { type TarFile, writeTar } from './tar.ts';

export interface BuildBundleOptions {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly arch: string;
}

export interface BuiltBundle {
  readonly bytes: Uint8Array;
  readonly manifest: BundleManifest;
  readonly sha256: Uint8Array;
  readonly length: number;
}

async function collect(root: string, relative: string, out: TarFile[]): Promise<void> {
  const entries = await readdir(join(root, relative));
  for (const entry of entries) {
    const path = relative ? `${relative}/${entry}` : entry;
    const stat = await lstat(join(root, path));
    if (stat.isDirectory()) await collect(root, path, out);
    else if (stat.isFile()) {
      checkBundlePath(path);
      out.push({ path, mode: stat.mode & 0o111 ? EXEC_MODE : FILE_MODE, data: new Uint8Array(await readFile(join(root, path))) });
    } else {
      const kind = stat.isSymbolicLink() ? 'a symbolic link' : 'not a regular file or folder';
      throw new UpdateError('UNSUPPORTED_ENTRY', `${path} is ${kind}; bundles carry regular files only`);
    }
  }
}

export async function buildBundle(options: BuildBundleOptions): Promise<BuiltBundle> {
  for (const key of ['name', 'version', 'arch'] as const) {
    if (!NAME_PATTERN.test(options[key])) throw new UpdateError('BAD_ARGUMENT', `bundle ${key} ${JSON.stringify(options[key])} is not a portable name`);
  }
  const files: TarFile[] = [];
  await collect(options.dir, '', files);
  // Plain code-unit order, not localeCompare: the order must not depend on the machine's locale.
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (files.some((f) => f.path === MANIFEST_PATH)) {
    throw new UpdateError('DUPLICATE_ENTRY', `the folder has its own ${MANIFEST_PATH}, which the bundle reserves`);
  }
  const listed: ManifestFile[] = files.map((f) => ({ path: f.path, size: f.data.length, sha256: toHex(sha256(f.data)), mode: f.mode }));
  const manifest: BundleManifest = { format: BUNDLE_FORMAT, name: options.name, version: options.version, arch: options.arch, files: listed };
  const tar = writeTar([{ path: MANIFEST_PATH, mode: FILE_MODE, data: encodeManifest(manifest) }, ...files]);
  const bytes = new Uint8Array(gzipSync(tar, { level: 9 }));
  return { bytes, manifest, sha256: sha256(bytes), length: bytes.length };
}
