/**
 * The director's publishing side (Uptane): per device, one signed document naming the target that device should
 * run, with a version that only grows for that device — so a fleet revert is a newer document naming an older
 * target, never an older document. Pure: keys and the clock come in, signed bytes come out.
 */
import { UpdateError } from './errors.ts';
import { signDocument } from './metadata.ts';
import { type DirectorTarget, NAME_PATTERN } from './roles.ts';
import { DAY_MS, type RoleKeyConfig, RootKeeper } from './root-keeper.ts';

export interface DirectorLifetimes {
  readonly root: number;
  readonly director: number;
}

export const DEFAULT_DIRECTOR_LIFETIMES: DirectorLifetimes = { root: 365 * DAY_MS, director: 30 * DAY_MS };

export type DirectorRole = 'root' | 'targets';

export interface DirectorOptions {
  /** Both roles' keys — or, with offline root keys, the targets role's and `rootChain` (root-ceremony.ts). */
  readonly roles: Readonly<Record<DirectorRole, RoleKeyConfig>> | Readonly<Record<'targets', RoleKeyConfig>>;
  readonly rootChain?: readonly Uint8Array[];
  readonly now: () => number;
  readonly lifetimes?: Partial<DirectorLifetimes>;
}

export class Director {
  readonly #root: RootKeeper;
  readonly #now: () => number;
  readonly #lifetimes: DirectorLifetimes;
  readonly #devices = new Map<string, { version: number; bytes: Uint8Array }>();

  constructor(options: DirectorOptions) {
    this.#now = options.now;
    this.#lifetimes = { ...DEFAULT_DIRECTOR_LIFETIMES, ...options.lifetimes };
    this.#root =
      options.rootChain === undefined
        ? new RootKeeper({ repository: 'director', roles: options.roles, now: options.now, rootLifetimeMs: this.#lifetimes.root })
        : new RootKeeper({ repository: 'director', roles: options.roles, chain: options.rootChain, now: options.now });
  }

  roots(): readonly Uint8Array[] {
    return this.#root.chain();
  }

  initialRoot(): Uint8Array {
    return this.#root.chain()[0]!;
  }

  /** Signs the next document for `deviceId` naming `target`; its version is the device's previous one plus one. */
  assign(deviceId: string, target: DirectorTarget): Uint8Array {
    if (deviceId.length === 0 || deviceId.length > 128) throw new UpdateError('BAD_ARGUMENT', 'device id must be 1…128 characters');
    if (!NAME_PATTERN.test(target.name)) {
      throw new UpdateError('BAD_ARGUMENT', `target name ${JSON.stringify(target.name)} is not portable`);
    }
    const version = (this.#devices.get(deviceId)?.version ?? 0) + 1;
    const bytes = signDocument(
      'director',
      {
        type: 'director',
        device: deviceId,
        version,
        expires: this.#now() + this.#lifetimes.director,
        target: { name: target.name, length: target.length, sha256: target.sha256 },
      },
      this.#root.keysOf('targets'),
    );
    this.#devices.set(deviceId, { version, bytes });
    return bytes;
  }

  /**
   * After a restart: the last version this director signed for `deviceId` was `version` (kept by the caller), so
   * its next document is `version + 1` — without re-signing every earlier one. Never lowers a version.
   */
  resume(deviceId: string, version: number): void {
    if (!Number.isSafeInteger(version) || version < 0) throw new UpdateError('BAD_ARGUMENT', `version must be an integer ≥ 0, got ${version}`);
    const known = this.#devices.get(deviceId);
    if (known !== undefined && known.version >= version) return;
    this.#devices.set(deviceId, { version, bytes: known?.bytes ?? new Uint8Array() });
  }

  /** The latest document for `deviceId`, if it was ever assigned a target. */
  metadataFor(deviceId: string): Uint8Array | undefined {
    const bytes = this.#devices.get(deviceId)?.bytes;
    // A resumed device has a version but no document signed by this instance yet.
    return bytes === undefined || bytes.length === 0 ? undefined : bytes;
  }

  /** Offline root keys: installs the next root signed offline, with the targets keys if it re-keys that role. */
  installRoot(bytes: Uint8Array, changes: Partial<Readonly<Record<'targets', RoleKeyConfig>>> = {}): void {
    this.#root.install(bytes, changes);
  }

  /** A new director root (e.g. without a revoked targets key). Devices' documents are re-signed on their next assign. */
  rotateRoot(changes: Partial<Readonly<Record<DirectorRole, RoleKeyConfig>>>): void {
    this.#root.rotate(changes as Readonly<Record<string, RoleKeyConfig>>);
  }
}
