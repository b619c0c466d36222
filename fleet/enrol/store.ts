/**
 * What enrolment needs from the fleet's registry: provisioning tokens (hashed), enrolled devices with their public
 * keys, and revocations. The SQLite registry implements it; MemoryEnrolmentStore is for tests and `ame up`'s
 * throwaway fleets. Every method may be synchronous or return a promise.
 */

type Maybe<T> = T | Promise<T>;

export interface StoredToken {
  /** The token's public id (base64url), as in its text. */
  readonly id: string;
  /** SHA-256 of the secret: the secret itself is never stored. */
  readonly secretHash: Uint8Array;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly maxUses: number;
  /** How many devices enrolled with it so far. */
  readonly uses: number;
  /** Given to every device that enrols with the token. */
  readonly groups: readonly string[];
  readonly tags: readonly string[];
}

export interface EnrolledDevice {
  /** The device id: the PeerId of `publicKey`. */
  readonly id: string;
  /** The 32-byte Ed25519 node key the device proved it holds. */
  readonly publicKey: Uint8Array;
  readonly enrolledAt: number;
  /** The provisioning token it enrolled with. */
  readonly tokenId: string;
  readonly groups: readonly string[];
  readonly tags: readonly string[];
  /** When it was revoked; a revoked device stays recorded so that it cannot enrol again. */
  readonly revokedAt?: number;
}

export interface EnrolmentStore {
  /** The key of an enrolled device that is not revoked; undefined otherwise (what a broker's login check asks). */
  publicKey(id: string): Maybe<Uint8Array | undefined>;
  /** The record of a device, revoked or not. */
  device(id: string): Maybe<EnrolledDevice | undefined>;
  addToken(token: StoredToken): Maybe<void>;
  token(id: string): Maybe<StoredToken | undefined>;
  /** Every token, oldest first (the admin's list; secrets are hashes anyway). */
  tokens(): Maybe<StoredToken[]>;
  /**
   * Ends a token's life at `at` (its expiry becomes `at` unless it was earlier): revocation without a column of
   * its own, so a revoked token is refused exactly as an expired one. False when no such token exists.
   */
  endToken(id: string, at: number): Maybe<boolean>;
  /** Records `device` and counts one use of its token, both or neither (one transaction in SQLite). */
  enrol(device: EnrolledDevice): Maybe<void>;
  /** Marks a device revoked at `at`; false when no such device was ever enrolled. */
  revoke(id: string, at: number): Maybe<boolean>;
}

/** An EnrolmentStore in memory. */
export class MemoryEnrolmentStore implements EnrolmentStore {
  readonly #tokens = new Map<string, StoredToken>();
  readonly #devices = new Map<string, EnrolledDevice>();

  publicKey(id: string): Uint8Array | undefined {
    const device = this.#devices.get(id);
    return device === undefined || device.revokedAt !== undefined ? undefined : device.publicKey;
  }

  device(id: string): EnrolledDevice | undefined {
    return this.#devices.get(id);
  }

  addToken(token: StoredToken): void {
    this.#tokens.set(token.id, token);
  }

  token(id: string): StoredToken | undefined {
    return this.#tokens.get(id);
  }

  tokens(): StoredToken[] {
    return [...this.#tokens.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  endToken(id: string, at: number): boolean {
    const token = this.#tokens.get(id);
    if (token === undefined) return false;
    this.#tokens.set(id, { ...token, expiresAt: Math.min(token.expiresAt, at) });
    return true;
  }

  enrol(device: EnrolledDevice): void {
    const token = this.#tokens.get(device.tokenId);
    if (token === undefined) throw new Error(`no token ${device.tokenId}`);
    this.#tokens.set(token.id, { ...token, uses: token.uses + 1 });
    this.#devices.set(device.id, device);
  }

  revoke(id: string, at: number): boolean {
    const device = this.#devices.get(id);
    if (device === undefined) return false;
    if (device.revokedAt === undefined) this.#devices.set(id, { ...device, revokedAt: at });
    return true;
  }

  /** Every device record, for tests and listings. */
  devices(): EnrolledDevice[] {
    return [...this.#devices.values()];
  }
}
