/**
 * The image repository's publishing side (TUF): it lists every published bundle in targets, pins that targets
 * document in snapshot, and that snapshot in timestamp. Each publication bumps all three; the timestamp alone is
 * re-signed often (refreshTimestamp) so that a device can tell a frozen mirror from a quiet one. Pure: keys and the
 * clock come in, signed bytes come out; where they are served from is the caller's business.
 */
import { bytesEqual, sha256 } from '../crypto/index.ts';
import { UpdateError } from './errors.ts';
import { signDocument } from './metadata.ts';
import { type FileMeta, NAME_PATTERN, type TargetInfo, type TargetsSigned } from './roles.ts';
import { DAY_MS, type RoleKeyConfig, RootKeeper } from './root-keeper.ts';

export interface ImageLifetimes {
  readonly root: number;
  readonly targets: number;
  readonly snapshot: number;
  readonly timestamp: number;
}

export const DEFAULT_IMAGE_LIFETIMES: ImageLifetimes = {
  root: 365 * DAY_MS,
  targets: 90 * DAY_MS,
  snapshot: 7 * DAY_MS,
  timestamp: DAY_MS,
};

export type ImageRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

export interface ImageRepositoryOptions {
  /**
   * Every role's keys — or, with offline root keys, every role but root's, and `rootChain`: the roots signed
   * offline from version 1 (root-ceremony.ts).
   */
  readonly roles: Readonly<Record<ImageRole, RoleKeyConfig>> | Readonly<Record<Exclude<ImageRole, 'root'>, RoleKeyConfig>>;
  readonly rootChain?: readonly Uint8Array[];
  readonly now: () => number;
  readonly lifetimes?: Partial<ImageLifetimes>;
  /**
   * Where a restarted repository takes up: the targets it listed and the last versions it signed (kept by the
   * caller). The first documents signed are one version above these, so no device sees a version twice.
   */
  readonly resume?: { readonly targets: Readonly<Record<string, TargetInfo>>; readonly versions: ImageVersions };
}

export interface ImageVersions {
  readonly targets: number;
  readonly snapshot: number;
  readonly timestamp: number;
}

/** What a device fetches from the image repository for one check. */
export interface ImageMetadata {
  readonly imageRoots: readonly Uint8Array[];
  readonly timestamp: Uint8Array;
  readonly snapshot: Uint8Array;
  readonly targets: Uint8Array;
}

export class ImageRepository {
  readonly #root: RootKeeper;
  readonly #now: () => number;
  readonly #lifetimes: ImageLifetimes;
  #targets: Record<string, TargetInfo> = {};
  #versions = { targets: 0, snapshot: 0, timestamp: 0 };
  #targetsBytes: Uint8Array = new Uint8Array();
  #snapshotBytes: Uint8Array = new Uint8Array();
  #timestampBytes: Uint8Array = new Uint8Array();

  constructor(options: ImageRepositoryOptions) {
    this.#now = options.now;
    this.#lifetimes = { ...DEFAULT_IMAGE_LIFETIMES, ...options.lifetimes };
    this.#root =
      options.rootChain === undefined
        ? new RootKeeper({ repository: 'image', roles: options.roles, now: options.now, rootLifetimeMs: this.#lifetimes.root })
        : new RootKeeper({ repository: 'image', roles: options.roles, chain: options.rootChain, now: options.now });
    if (options.resume !== undefined) {
      const { targets, versions } = options.resume;
      for (const [name, version] of Object.entries(versions)) {
        if (!Number.isSafeInteger(version) || version < 0) throw new UpdateError('BAD_ARGUMENT', `resume: ${name} version must be an integer ≥ 0`);
      }
      for (const name of Object.keys(targets)) {
        if (!NAME_PATTERN.test(name)) throw new UpdateError('BAD_ARGUMENT', `resume: target name ${JSON.stringify(name)} is not portable`);
      }
      this.#targets = { ...targets };
      this.#versions = { ...versions };
    }
    this.#publishTargets();
  }

  /** The versions of the documents signed last (what a caller keeps to resume). */
  versions(): ImageVersions {
    return { ...this.#versions };
  }

  metadata(): ImageMetadata {
    return {
      imageRoots: this.#root.chain(),
      timestamp: this.#timestampBytes,
      snapshot: this.#snapshotBytes,
      targets: this.#targetsBytes,
    };
  }

  /** The trusted root a device starts from (version 1), as it ships in the image or the first-boot config. */
  initialRoot(): Uint8Array {
    return this.#root.chain()[0]!;
  }

  listed(): Readonly<Record<string, TargetInfo>> {
    return { ...this.#targets };
  }

  /** Lists a target (a bundle's name, length and hash) and signs new targets, snapshot and timestamp. */
  publish(name: string, info: TargetInfo): void {
    if (!NAME_PATTERN.test(name)) throw new UpdateError('BAD_ARGUMENT', `target name ${JSON.stringify(name)} is not portable`);
    const before = Object.hasOwn(this.#targets, name) ? this.#targets[name] : undefined;
    if (before !== undefined && (before.length !== info.length || !bytesEqual(before.sha256, info.sha256))) {
      // Names are content addresses: the same name with other bytes would make two devices disagree on a release.
      throw new UpdateError('BAD_ARGUMENT', `${name} is already listed with another length or hash`);
    }
    this.#targets = { ...this.#targets, [name]: info };
    this.#publishTargets();
  }

  /** A new timestamp over the same snapshot, only later expiry and a higher version. */
  refreshTimestamp(): void {
    this.#publishTimestamp();
  }

  /**
   * A new root with the changed roles (e.g. a role without a revoked key), then targets, snapshot and timestamp
   * signed again so that every document verifies under the new root.
   */
  rotateRoot(changes: Partial<Readonly<Record<ImageRole, RoleKeyConfig>>>): void {
    this.#root.rotate(changes as Readonly<Record<string, RoleKeyConfig>>);
    this.#publishTargets();
  }

  /**
   * Offline root keys: installs the next root, signed offline (RootKeeper.install), with the online keys of any
   * role it re-keys, then signs targets, snapshot and timestamp again under it.
   */
  installRoot(bytes: Uint8Array, changes: Partial<Readonly<Record<Exclude<ImageRole, 'root'>, RoleKeyConfig>>> = {}): void {
    this.#root.install(bytes, changes as Readonly<Record<string, RoleKeyConfig>>);
    this.#publishTargets();
  }

  #expires(role: keyof ImageLifetimes): number {
    return this.#now() + this.#lifetimes[role];
  }

  #publishTargets(): void {
    this.#versions.targets += 1;
    const signed: TargetsSigned = {
      type: 'targets',
      version: this.#versions.targets,
      expires: this.#expires('targets'),
      targets: this.#targets,
    };
    this.#targetsBytes = signDocument('targets', signed, this.#root.keysOf('targets'));
    this.#versions.snapshot += 1;
    this.#snapshotBytes = signDocument(
      'snapshot',
      {
        type: 'snapshot',
        version: this.#versions.snapshot,
        expires: this.#expires('snapshot'),
        targets: pin(signed.version, this.#targetsBytes),
      },
      this.#root.keysOf('snapshot'),
    );
    this.#publishTimestamp();
  }

  #publishTimestamp(): void {
    this.#versions.timestamp += 1;
    const snapshot = pin(this.#versions.snapshot, this.#snapshotBytes);
    const signed = { type: 'timestamp', version: this.#versions.timestamp, expires: this.#expires('timestamp'), snapshot } as const;
    this.#timestampBytes = signDocument('timestamp', signed, this.#root.keysOf('timestamp'));
  }
}

/** What one document says of another it pins: version, length and hash of the exact bytes. */
function pin(version: number, bytes: Uint8Array): FileMeta {
  return { version, length: bytes.length, sha256: sha256(bytes) };
}
