/**
 * Offline root keys on disk (docs/fleet.md "Offline root keys"). A repository folder (the image repository's or the
 * director's) holds its first root as `<first file>` and every later one as `roots/<version>.cbor`. While
 * `keys/root.key` exists the root key is online (the controller signs roots itself, as on a fresh install); a root
 * installed from an offline ceremony retires that file, and from then on the folder's chain is the only source of
 * roots: the controller holds the online roles' keys and nothing that can sign a root.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLIC_MODE, writeFileAtomic } from '../../node/client/json-file.ts';
import { checkNextRoot, decodeDocument, keyIdOf, type Repository, type RootSigned } from '../../node/update/index.ts';
import { RepositoryError } from './errors.ts';
import { loadOrCreateKey } from './keys.ts';

const ROOTS = 'roots';
const ROOT_FILE = /^([1-9][0-9]{0,8})\.cbor$/;

/** A repository folder and what its roots are called. */
export interface RootFolder {
  readonly dir: string;
  readonly repository: Repository;
  /** The first root's file name in `dir` (`image-root-1.cbor`, `director-root-1.cbor`). */
  readonly firstFile: string;
  /** The roles other than root, whose keys stay online in `dir/keys`. */
  readonly onlineRoles: readonly string[];
}

const rootKeyPath = (f: RootFolder) => join(f.dir, 'keys', 'root.key');

/** True when the folder's root key has been retired: its roots come from offline ceremonies. */
export function rootKeysOffline(f: RootFolder): boolean {
  return existsSync(join(f.dir, f.firstFile)) && !existsSync(rootKeyPath(f));
}

/** The stored roots from version 1 on (the first file, then `roots/2.cbor`, … while consecutive). */
export function storedRoots(f: RootFolder): Uint8Array[] {
  const first = join(f.dir, f.firstFile);
  if (!existsSync(first)) return [];
  const chain = [new Uint8Array(readFileSync(first))];
  const folder = join(f.dir, ROOTS);
  const versions = existsSync(folder)
    ? readdirSync(folder)
        .map((name) => ROOT_FILE.exec(name)?.[1])
        .filter((v): v is string => v !== undefined)
        .map(Number)
        .sort((a, b) => a - b)
    : [];
  for (const version of versions) {
    if (version !== chain.length + 1) throw new RepositoryError('BAD_STATE', `${folder} skips from root v${chain.length} to v${version}`);
    chain.push(new Uint8Array(readFileSync(join(folder, `${version}.cbor`))));
  }
  return chain;
}

/** The chain a folder with offline root keys runs on; BAD_ROOT when a stored root does not continue it. */
export function adoptedChain(f: RootFolder): Uint8Array[] {
  const chain = storedRoots(f);
  chain.forEach((bytes, i) => {
    try {
      checkNextRoot(bytes, chain[i - 1], f.repository);
    } catch (cause) {
      throw new RepositoryError('BAD_ROOT', `stored ${f.repository} root v${i + 1} in ${f.dir}: ${(cause as Error).message}`, { cause });
    }
  });
  return chain;
}

/** The public keys of the online roles, as a root draft lists them (made now if the folder has none yet). */
export function onlinePublicKeys(f: RootFolder): Record<string, Uint8Array> {
  return Object.fromEntries(f.onlineRoles.map((role) => [role, loadOrCreateKey(join(f.dir, 'keys'), role).publicKey.bytes]));
}

/**
 * Installs a complete root from an offline ceremony: it must be the next version after the stored chain (or
 * version 1 for a folder that has none), signed by a threshold of the previous root's root keys and of its own,
 * and it must give each online role the key this folder holds — otherwise the controller could not sign under it.
 * Writes it, then retires `keys/root.key`. The controller takes it at its next start.
 */
export function installRoot(f: RootFolder, bytes: Uint8Array): RootSigned {
  const chain = storedRoots(f);
  let signed: RootSigned;
  try {
    signed = checkNextRoot(bytes, chain.at(-1), f.repository);
  } catch (cause) {
    throw new RepositoryError('BAD_ROOT', `the ${f.repository} root is refused: ${(cause as Error).message}`, { cause });
  }
  for (const [role, key] of Object.entries(onlinePublicKeys(f))) {
    if (!(signed.roles[role]?.keyids ?? []).includes(keyIdOf(key))) {
      throw new RepositoryError('BAD_ROOT', `${f.repository} root v${signed.version} does not give the ${role} role this controller's key (${keyIdOf(key).slice(0, 16)}…)`);
    }
  }
  if (signed.version === 1) writeFileAtomic(join(f.dir, f.firstFile), bytes, PUBLIC_MODE);
  else {
    mkdirSync(join(f.dir, ROOTS), { recursive: true });
    writeFileAtomic(join(f.dir, ROOTS, `${signed.version}.cbor`), bytes, PUBLIC_MODE);
  }
  rmSync(rootKeyPath(f), { force: true });
  return signed;
}

/** The newest stored root's signed part, or undefined for a folder with none. */
export function newestRoot(f: RootFolder): RootSigned | undefined {
  const bytes = storedRoots(f).at(-1);
  return bytes === undefined ? undefined : decodeDocument('root', bytes).signed;
}
