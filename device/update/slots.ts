/**
 * Where the update agent keeps releases (`<dataDir>/update/`): `slots/<sha256>/` holds an extracted bundle (its
 * files plus the bundle's `manifest.json`, a name no bundle may carry itself), `downloads/<sha256>.part` a
 * download in progress. A slot is named by the SHA-256 of the bundle it came from and appears by a rename, so a
 * folder under that name is always a complete, verified extraction; the manifest beside the files lets a kept slot
 * be checked again before it is reused (a fleet revert to the previous release).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BundleManifest,
  decodeManifest,
  encodeManifest,
  extractBundle,
  MANIFEST_PATH,
  UpdateError,
} from '../../node/update/index.ts';
import { UpdateAgentError } from './errors.ts';
import { readUpdateState } from './update-state.ts';

export interface UpdatePaths {
  readonly root: string;
  readonly slots: string;
  readonly downloads: string;
  readonly state: string;
  readonly trust: string;
  readonly lock: string;
}

export function updatePaths(dataDir: string): UpdatePaths {
  const root = join(dataDir, 'update');
  return {
    root,
    slots: join(root, 'slots'),
    downloads: join(root, 'downloads'),
    state: join(root, 'state.json'),
    trust: join(root, 'trust.json'),
    lock: join(root, 'lock.json'),
  };
}

export const slotPath = (paths: UpdatePaths, sha256: string): string => join(paths.slots, sha256);
export const partPath = (paths: UpdatePaths, sha256: string): string => join(paths.downloads, `${sha256}.part`);

/**
 * The folder a launcher runs: the running slot, or null for the release the device was flashed with. Read from
 * state.json, so what the launcher starts after a restart is what the agent last committed to disk.
 */
export function runningSlot(dataDir: string): string | null {
  const paths = updatePaths(dataDir);
  const { running } = readUpdateState(paths.state);
  return running === null ? null : slotPath(paths, running.sha256);
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** True when the slot exists and every file its manifest lists is there with the listed size and SHA-256. */
export async function slotIntact(paths: UpdatePaths, sha256: string): Promise<boolean> {
  const dir = slotPath(paths, sha256);
  let manifest: BundleManifest;
  try {
    manifest = decodeManifest(new Uint8Array(await readFile(join(dir, MANIFEST_PATH))));
    for (const file of manifest.files) {
      const path = join(dir, ...file.path.split('/'));
      if ((await stat(path)).size !== file.size || (await fileSha256(path)) !== file.sha256) return false;
    }
  } catch (error) {
    if (error instanceof UpdateError || (error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  return true;
}

/**
 * Extracts a verified bundle into `slots/<sha256>` by way of a temporary folder, so the slot never exists half
 * written. A bundle that fails its own checks is node/update's UpdateError; a failing disk is INSTALL_FAILED.
 */
export async function installSlot(paths: UpdatePaths, sha256: string, bundle: Uint8Array): Promise<string> {
  const dir = slotPath(paths, sha256);
  const temporary = `${dir}.tmp`;
  try {
    await rm(temporary, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
    const manifest = await extractBundle(bundle, temporary);
    await writeFile(join(temporary, MANIFEST_PATH), encodeManifest(manifest), { flag: 'wx', mode: 0o644 });
    await rename(temporary, dir);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    if (error instanceof UpdateError) throw error;
    throw new UpdateAgentError('INSTALL_FAILED', `cannot write slot ${dir}: ${(error as Error).message}`, { cause: error });
  }
  return dir;
}

/** Removes every slot and download except those named in `keep` (SHA-256 hex): at most running and previous stay. */
export async function pruneSlots(paths: UpdatePaths, keep: ReadonlySet<string>): Promise<void> {
  await mkdir(paths.slots, { recursive: true });
  await mkdir(paths.downloads, { recursive: true });
  for (const entry of await readdir(paths.slots)) {
    if (!keep.has(entry)) await rm(join(paths.slots, entry), { recursive: true, force: true });
  }
  for (const entry of await readdir(paths.downloads)) await rm(join(paths.downloads, entry), { force: true });
}
