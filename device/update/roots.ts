/**
 * The first trusted root documents the update agent starts from (SPEC §11: the first-boot file sits "next to the
 * fleet's TUF root metadata"): `<bootDir>/fleet-root/image-root-1.cbor` and `<bootDir>/fleet-root/director-root-1.cbor`,
 * the two files the fleet controller writes (`repository/image-root-1.cbor`, `director/director-root-1.cbor`),
 * copied unchanged onto the boot partition with `ame.json`. They are read here only; whether they are signed
 * roots is node/update's to check when the agent starts its trust state from them (BAD_ROOTS otherwise).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UpdateAgentError } from './errors.ts';
import type { InitialRoots } from './update-state.ts';

export const FLEET_ROOT_DIR = 'fleet-root';
export const IMAGE_ROOT_FILE = 'image-root-1.cbor';
export const DIRECTOR_ROOT_FILE = 'director-root-1.cbor';
/** A root document is a few KiB; anything far larger is not one. */
const MAX_ROOT_BYTES = 64 * 1024;

export function shippedRootPaths(bootDir: string): { readonly image: string; readonly director: string } {
  const dir = join(bootDir, FLEET_ROOT_DIR);
  return { image: join(dir, IMAGE_ROOT_FILE), director: join(dir, DIRECTOR_ROOT_FILE) };
}

/**
 * The shipped roots, or the error saying why there are none: NO_ROOTS when neither file exists (a device set up
 * without a fleet), BAD_ROOTS when one is missing, unreadable or too large. Never throws.
 */
export function readShippedRoots(bootDir: string): InitialRoots | UpdateAgentError {
  const paths = shippedRootPaths(bootDir);
  const read = (path: string): Uint8Array | 'missing' | UpdateAgentError => {
    try {
      const bytes = readFileSync(path);
      if (bytes.length === 0 || bytes.length > MAX_ROOT_BYTES) return new UpdateAgentError('BAD_ROOTS', `${path} is ${bytes.length} bytes, not a root document`);
      return new Uint8Array(bytes);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      return new UpdateAgentError('BAD_ROOTS', `cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
  };
  const image = read(paths.image);
  const director = read(paths.director);
  if (image === 'missing' && director === 'missing') {
    return new UpdateAgentError('NO_ROOTS', `no trusted root documents: put the fleet's ${IMAGE_ROOT_FILE} and ${DIRECTOR_ROOT_FILE} in ${join(bootDir, FLEET_ROOT_DIR)}`);
  }
  for (const [which, value, path] of [['image', image, paths.image], ['director', director, paths.director]] as const) {
    if (value === 'missing') return new UpdateAgentError('BAD_ROOTS', `the ${which} root ${path} is missing (both roots are needed)`);
    if (value instanceof UpdateAgentError) return value;
  }
  return { image: image as Uint8Array, director: director as Uint8Array };
}
