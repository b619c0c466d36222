/**
 * The release store: the image repository's signed documents (node/update ImageRepository) and the bundle files,
 * on disk under one folder, and the registry's record of each release.
 *
 * ImageRepository keeps its versions in memory, so the store keeps what it published (the targets and the last
 * versions signed) in `state.json` and resumes from it at open: the first documents of a restarted controller are
 * one version above any a device has seen (it would refuse a reused one as ROLLBACK). Root version 1 is kept as
 * first signed (`image-root-1.cbor`): it is what devices ship with, and signing it again would change its expiry.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLIC_MODE, writeFileAtomic } from '../../node/client/json-file.ts';
import { fromHex, sha256, toHex, type RandomSource } from '../../node/crypto/index.ts';
import {
  bundleTargetName,
  ImageRepository,
  readBundle,
  type BundleLimits,
  type ImageLifetimes,
  type ImageVersions,
  type TargetInfo,
} from '../../node/update/index.ts';
import type { NewRelease, Release } from '../registry/index.ts';
import { RepositoryError } from './errors.ts';
import { loadRoleKeys } from './keys.ts';
import { adoptedChain, rootKeysOffline, type RootFolder } from './root-files.ts';

export const IMAGE_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
const ONLINE_IMAGE_ROLES = ['targets', 'snapshot', 'timestamp'] as const;

/** The image repository's roots on disk (root-files.ts). */
export function imageRootFolder(dir: string): RootFolder {
  return { dir, repository: 'image', firstFile: ROOT_FILE, onlineRoles: ONLINE_IMAGE_ROLES };
}
export type ImageDocument = 'timestamp' | 'snapshot' | 'targets';

/** What the store needs of the registry: recording a release. */
export interface ReleaseRecorder {
  add(release: NewRelease, now: number): Release;
}

export interface ReleaseStoreOptions {
  /** The store's folder: `keys/`, `targets/`, `state.json`, `image-root-1.cbor`. */
  readonly dir: string;
  readonly releases: ReleaseRecorder;
  readonly now: () => number;
  readonly lifetimes?: Partial<ImageLifetimes>;
  readonly bundleLimits?: Partial<BundleLimits>;
  /** Seeds of keys made on the first start (default node:crypto). */
  readonly random?: RandomSource;
}

interface PublishedTarget {
  readonly name: string;
  readonly length: number;
  readonly sha256: string;
  readonly custom: { readonly name: string; readonly version: string; readonly arch: string };
}

interface StoreState {
  readonly format: 2;
  readonly targets: PublishedTarget[];
  /** The versions of the documents signed last. */
  versions: ImageVersions;
}

const STATE_FILE = 'state.json';
const ROOT_FILE = 'image-root-1.cbor';

export class ReleaseStore {
  readonly #dir: string;
  readonly #releases: ReleaseRecorder;
  readonly #now: () => number;
  readonly #limits: Partial<BundleLimits>;
  readonly #repository: ImageRepository;
  readonly #state: StoreState;
  readonly #initialRoot: Uint8Array;
  #signedAt: number;

  private constructor(options: ReleaseStoreOptions) {
    this.#dir = options.dir;
    this.#releases = options.releases;
    this.#now = options.now;
    this.#limits = options.bundleLimits ?? {};
    mkdirSync(join(this.#dir, 'targets'), { recursive: true });
    this.#state = readState(join(this.#dir, STATE_FILE));
    const targets = Object.fromEntries(this.#state.targets.map((t) => [t.name, toInfo(t)]));
    const keysDir = join(this.#dir, 'keys');
    const folder = imageRootFolder(this.#dir);
    // Resuming signs fresh targets, snapshot and timestamp, each one version above the last kept.
    const common = { now: options.now, resume: { targets, versions: this.#state.versions }, ...(options.lifetimes ? { lifetimes: options.lifetimes } : {}) };
    this.#repository = rootKeysOffline(folder)
      ? new ImageRepository({ ...common, roles: loadRoleKeys(keysDir, ONLINE_IMAGE_ROLES, options.random), rootChain: adoptedChain(folder) })
      : new ImageRepository({ ...common, roles: loadRoleKeys(keysDir, IMAGE_ROLES, options.random) });
    const rootPath = join(this.#dir, ROOT_FILE);
    if (!existsSync(rootPath)) writeFileAtomic(rootPath, this.#repository.initialRoot(), PUBLIC_MODE);
    this.#initialRoot = new Uint8Array(readFileSync(rootPath));
    this.#signedAt = this.#now();
    this.#save();
  }

  /** Opens (or creates) the store in `options.dir`; BAD_KEYS or BAD_STATE when its files are not usable. */
  static open(options: ReleaseStoreOptions): ReleaseStore {
    return new ReleaseStore(options);
  }

  /**
   * Checks a bundle (readBundle: manifest, every file's hash), keeps it as `targets/<name>`, lists it in the
   * image repository and records the release. Pushing the same bundle again returns its release unchanged.
   */
  pushRelease(bytes: Uint8Array): Release {
    let name: string;
    let custom: PublishedTarget['custom'];
    try {
      const { manifest } = readBundle(bytes, this.#limits);
      name = bundleTargetName(manifest);
      custom = { name: manifest.name, version: manifest.version, arch: manifest.arch };
    } catch (cause) {
      throw new RepositoryError('BAD_BUNDLE', `the bundle is refused: ${(cause as Error).message}`, { cause });
    }
    const target: PublishedTarget = { name, length: bytes.length, sha256: toHex(sha256(bytes)), custom };
    const listed = this.#state.targets.find((t) => t.name === name);
    if (listed !== undefined && listed.sha256 !== target.sha256) {
      throw new RepositoryError('BAD_BUNDLE', `${name} is already published with other bytes (sha256 ${listed.sha256})`);
    }
    if (listed === undefined) {
      writeFileAtomic(join(this.#dir, 'targets', name), bytes, PUBLIC_MODE);
      this.#repository.publish(name, toInfo(target));
      this.#state.targets.push(target);
      this.#signedAt = this.#now();
      this.#save();
    }
    return this.#releases.add({ id: target.sha256, target: name, version: custom.version, arch: custom.arch, length: target.length }, this.#now());
  }

  /** Signs a new timestamp (later expiry, higher version) over the same snapshot. */
  refreshTimestamp(): void {
    this.#repository.refreshTimestamp();
    this.#signedAt = this.#now();
    this.#save();
  }

  /** When the current timestamp was signed (ms): the refresher's reference. */
  get signedAt(): number {
    return this.#signedAt;
  }

  document(name: ImageDocument): Uint8Array {
    return this.#repository.metadata()[name];
  }

  /** Root `version` as devices walk the chain; undefined past the newest. */
  root(version: number): Uint8Array | undefined {
    if (version === 1) return this.#initialRoot;
    return this.#repository.metadata().imageRoots[version - 1];
  }

  /** The root devices start from (ship it in the image or the first-boot config). */
  initialRoot(): Uint8Array {
    return this.#initialRoot;
  }

  /** The file of a listed target; undefined for a name the repository does not list. */
  targetFile(name: string): { readonly path: string; readonly length: number } | undefined {
    const target = this.#state.targets.find((t) => t.name === name);
    return target === undefined ? undefined : { path: join(this.#dir, 'targets', target.name), length: target.length };
  }

  #save(): void {
    this.#state.versions = this.#repository.versions();
    writeFileAtomic(join(this.#dir, STATE_FILE), `${JSON.stringify(this.#state)}\n`, PUBLIC_MODE);
  }
}

function toInfo(target: PublishedTarget): TargetInfo {
  return { length: target.length, sha256: fromHex(target.sha256, 'sha256', 32), custom: { ...target.custom } };
}

function readState(path: string): StoreState {
  if (!existsSync(path)) return { format: 2, targets: [], versions: { targets: 0, snapshot: 0, timestamp: 0 } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new RepositoryError('BAD_STATE', `${path} is not JSON`, { cause });
  }
  const state = parsed as { format?: unknown; targets?: unknown; versions?: Partial<ImageVersions>; refreshes?: unknown } | null;
  const targets = state !== null && typeof state === 'object' && Array.isArray(state.targets) && state.targets.every(isTarget) ? state.targets : undefined;
  const version = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (targets !== undefined && state!.format === 2 && typeof state!.versions === 'object' && state!.versions !== null) {
    const { targets: t, snapshot, timestamp } = state!.versions;
    if (version(t) && version(snapshot) && version(timestamp)) return { format: 2, targets: [...targets], versions: { targets: t, snapshot, timestamp } };
  }
  if (targets !== undefined && state!.format === 1 && version(state!.refreshes)) {
    // Format 1 kept a replay count: one publication at creation, one per target, then each timestamp refresh.
    const published = 1 + targets.length;
    return { format: 2, targets: [...targets], versions: { targets: published, snapshot: published, timestamp: published + state!.refreshes } };
  }
  throw new RepositoryError('BAD_STATE', `${path} is not a release store state this build wrote`);
}

function isTarget(t: unknown): t is PublishedTarget {
  const v = t as Partial<PublishedTarget> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.name === 'string' &&
    Number.isSafeInteger(v.length) &&
    typeof v.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(v.sha256) &&
    typeof v.custom === 'object' &&
    v.custom !== null
  );
}
