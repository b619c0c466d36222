/**
 * The manifest every bundle starts with: `manifest.json`, canonical JSON (sorted keys, no spaces) of
 * `{format, name, version, arch, files: [{path, size, sha256, mode}]}`, files sorted by path. Canonical so that
 * two builds of one tree are byte-identical, and so that a reader can refuse every other spelling of it.
 */
import { UpdateError } from './errors.ts';
import { NAME_PATTERN } from './roles.ts';

export const BUNDLE_FORMAT = 'ame-bundle/1';
export const MANIFEST_PATH = 'manifest.json';
export const FILE_MODE = 0o644;
export const EXEC_MODE = 0o755;
const MAX_PATH_BYTES = 255;

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
  readonly mode: number;
}

export interface BundleManifest {
  readonly format: typeof BUNDLE_FORMAT;
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  readonly files: readonly ManifestFile[];
}

/** The target name a bundle is published under. */
export function bundleTargetName(manifest: Pick<BundleManifest, 'name' | 'version' | 'arch'>): string {
  return `${manifest.name}-${manifest.version}-${manifest.arch}.tar.gz`;
}

/**
 * Refuses a path that could land outside the extraction folder or mean different files on different systems:
 * absolute, `.` or `..` segments, empty segments, backslashes, control characters, over 255 bytes.
 */
export function checkBundlePath(path: string): void {
  const shown = JSON.stringify(path.slice(0, 80));
  if (path.length === 0) throw new UpdateError('BAD_PATH', 'empty path');
  if (path.startsWith('/')) throw new UpdateError('BAD_PATH', `path ${shown} is absolute`);
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) throw new UpdateError('BAD_PATH', `path ${shown} is over ${MAX_PATH_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) throw new UpdateError('BAD_PATH', `path ${shown} has a backslash or control character`);
  for (const segment of path.split('/')) {
    if (segment === '..') throw new UpdateError('BAD_PATH', `path ${shown} climbs out with ".."`);
    if (segment === '' || segment === '.') throw new UpdateError('BAD_PATH', `path ${shown} has an empty or "." segment`);
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function encodeManifest(manifest: BundleManifest): Uint8Array {
  return new TextEncoder().encode(canonical(manifest));
}

function bad(message: string): UpdateError {
  return new UpdateError('MALFORMED', `manifest: ${message}`);
}

function exactKeys(value: unknown, keys: readonly string[], what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${what} must be an object`);
  const got = Object.keys(value).sort().join();
  if (got !== [...keys].sort().join()) throw bad(`${what} must have exactly the keys ${keys.join(', ')}`);
  return value as Record<string, unknown>;
}

function parseFile(value: unknown, i: number): ManifestFile {
  const file = exactKeys(value, ['path', 'size', 'sha256', 'mode'], `files[${i}]`);
  const { path, size, sha256, mode } = file;
  if (typeof path !== 'string') throw bad(`files[${i}].path must be text`);
  checkBundlePath(path);
  if (path === MANIFEST_PATH) throw new UpdateError('DUPLICATE_ENTRY', `manifest lists ${MANIFEST_PATH} as a file`);
  if (!Number.isSafeInteger(size) || (size as number) < 0) throw bad(`files[${i}].size must be a non-negative integer`);
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) throw bad(`files[${i}].sha256 must be 64 lowercase hex digits`);
  if (mode !== FILE_MODE && mode !== EXEC_MODE) throw bad(`files[${i}].mode must be 420 (0644) or 493 (0755)`);
  return { path, size: size as number, sha256, mode };
}

/** Parses and checks a manifest; the bytes must be exactly its canonical encoding. */
export function decodeManifest(bytes: Uint8Array): BundleManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new UpdateError('MALFORMED', 'manifest: not UTF-8 JSON', { cause });
  }
  const top = exactKeys(json, ['format', 'name', 'version', 'arch', 'files'], 'manifest');
  if (top['format'] !== BUNDLE_FORMAT) throw bad(`format must be ${BUNDLE_FORMAT}`);
  for (const key of ['name', 'version', 'arch'] as const) {
    const value = top[key];
    if (typeof value !== 'string' || !NAME_PATTERN.test(value)) throw bad(`${key} must be a portable name`);
  }
  if (!Array.isArray(top['files'])) throw bad('files must be an array');
  const files = top['files'].map(parseFile);
  for (let i = 1; i < files.length; i += 1) {
    if (files[i - 1]!.path === files[i]!.path) throw new UpdateError('DUPLICATE_ENTRY', `manifest lists ${files[i]!.path} twice`);
    if (files[i - 1]!.path > files[i]!.path) throw bad('files must be sorted by path');
  }
  const paths = new Set(files.map((f) => f.path));
  for (const { path } of files) {
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
      if (paths.has(path.slice(0, i))) throw new UpdateError('BAD_PATH', `${path.slice(0, i)} is listed as a file and as a folder`);
    }
  }
  const manifest = { ...(top as unknown as BundleManifest), files };
  if (new TextDecoder().decode(bytes) !== canonical(json)) {
    throw bad('not in canonical form (sorted keys, no whitespace)');
  }
  return manifest;
}
