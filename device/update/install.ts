/**
 * Getting a verified target into its slot: reuse the slot when it is already there and intact (a fleet revert to
 * the previous release), otherwise download it resumably into `downloads/<sha256>.part` (length- and
 * hash-checked by node/update's downloadTarget) and extract it beside the running version.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { toHex } from '../../node/crypto/index.ts';
import { downloadTarget, UpdateError, type VerifiedTarget } from '../../node/update/index.ts';
import type { RepositoryClient } from './repository-client.ts';
import { installSlot, partPath, slotIntact, slotPath, type UpdatePaths } from './slots.ts';

export interface Installed {
  readonly slot: string;
  /** True when an existing slot was reused and nothing was downloaded. */
  readonly reused: boolean;
}

export async function installTarget(paths: UpdatePaths, repository: RepositoryClient, target: VerifiedTarget, signal: AbortSignal): Promise<Installed> {
  const sha256 = toHex(target.sha256);
  if (await slotIntact(paths, sha256)) return { slot: slotPath(paths, sha256), reused: true };
  await mkdir(paths.downloads, { recursive: true });
  const path = partPath(paths, sha256);
  try {
    await downloadTarget({ fetchRange: repository.target(target.name), target, path });
  } catch (error) {
    if (error instanceof UpdateError || signal.aborted) throw error;
    // A dropped connection or a refused one: the partial file stays, and the next attempt resumes from it.
    throw new UpdateError('INCOMPLETE', `download of ${target.name} broke off: ${(error as Error).message}`, { cause: error });
  }
  const slot = await installSlot(paths, sha256, new Uint8Array(await readFile(path)));
  return { slot, reused: false };
}
