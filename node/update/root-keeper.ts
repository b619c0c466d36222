/**
 * The publishing side of a root role, shared by the image repository and the director: the role keys, the chain of
 * signed roots (v1 … vN, which a device walks one version at a time), and rotation. A new root is signed by a
 * threshold of the previous root's root keys AND of its own (TUF §5.3.4), so neither a stolen old key set nor a
 * freshly invented one alone can move a device's trust. Revoking a key is a rotation that leaves it out.
 *
 * With offline root keys (root-ceremony.ts) the keeper is adopted: it holds a chain signed elsewhere and only the
 * online roles' keys; a new root arrives complete (`install`), and `rotate` is refused.
 */
import type { Ed25519KeyPair } from '../crypto/index.ts';
import { UpdateError } from './errors.ts';
import { signDocument } from './metadata.ts';
import { checkNextRoot } from './root-ceremony.ts';
import { keyIdOf, REQUIRED_ROLES, type Repository, type RootSigned, SPEC_VERSION } from './roles.ts';

/** The keys of one role and how many of them must sign. Every key given signs what the role publishes. */
export interface RoleKeyConfig {
  readonly keys: readonly Ed25519KeyPair[];
  readonly threshold: number;
}

export type RoleConfigs = Readonly<Record<string, RoleKeyConfig>>;

export const DAY_MS = 24 * 60 * 60 * 1000;

function checkConfigs(repository: Repository, roles: RoleConfigs, offline = false): void {
  const required = REQUIRED_ROLES[repository].filter((name) => !offline || name !== 'root');
  for (const name of Object.keys(roles)) {
    if (!required.includes(name)) throw new UpdateError('BAD_ARGUMENT', `the ${repository} root has no ${name} role`);
  }
  for (const name of required) {
    const role = roles[name];
    if (role === undefined) throw new UpdateError('BAD_ARGUMENT', `the ${name} role of the ${repository} root is missing`);
    const ids = new Set(role.keys.map((key) => keyIdOf(key.publicKey.bytes)));
    if (ids.size !== role.keys.length) throw new UpdateError('BAD_ARGUMENT', `the ${name} role lists a key twice`);
    if (!Number.isInteger(role.threshold) || role.threshold < 1 || role.threshold > role.keys.length) {
      throw new UpdateError('BAD_ARGUMENT', `the ${name} role has threshold ${role.threshold} for ${role.keys.length} keys`);
    }
  }
}

function uniqueKeys(keys: readonly Ed25519KeyPair[]): Ed25519KeyPair[] {
  const seen = new Map<string, Ed25519KeyPair>();
  for (const key of keys) seen.set(keyIdOf(key.publicKey.bytes), key);
  return [...seen.values()];
}

export interface RootKeeperOptions {
  readonly repository: Repository;
  readonly roles: RoleConfigs;
  readonly now: () => number;
  readonly rootLifetimeMs: number;
}

/** A keeper of roots signed offline: the chain from version 1, and the keys of every role but root. */
export interface AdoptedRootOptions {
  readonly repository: Repository;
  readonly chain: readonly Uint8Array[];
  readonly roles: RoleConfigs;
}

/** Throws unless `roles` are keys the root gives: each role's keys listed by it, at least its threshold of them. */
function checkOnlineKeys(root: RootSigned, roles: RoleConfigs): void {
  for (const [name, config] of Object.entries(roles)) {
    const delegation = root.roles[name];
    const listed = new Set(delegation?.keyids ?? []);
    const stray = config.keys.find((key) => !listed.has(keyIdOf(key.publicKey.bytes)));
    if (delegation === undefined || stray !== undefined || config.keys.length < delegation.threshold) {
      throw new UpdateError('BAD_ARGUMENT', `the online ${name} keys are not ${delegation?.threshold ?? 1} of those ${root.repository} root v${root.version} gives the ${name} role`);
    }
  }
}

export class RootKeeper {
  readonly #repository: Repository;
  readonly #now: () => number;
  readonly #lifetime: number;
  readonly #offline: boolean;
  #roles: RoleConfigs;
  #signed: RootSigned;
  readonly #chain: Uint8Array[] = [];

  constructor(options: RootKeeperOptions | (AdoptedRootOptions & { readonly now: () => number })) {
    this.#repository = options.repository;
    this.#now = options.now;
    if ('chain' in options) {
      checkConfigs(options.repository, options.roles, true);
      if (Object.hasOwn(options.roles, 'root')) throw new UpdateError('BAD_ARGUMENT', 'an adopted root chain takes no online root keys');
      if (options.chain.length === 0) throw new UpdateError('BAD_ARGUMENT', `the ${options.repository} root chain is empty`);
      this.#offline = true;
      this.#lifetime = 0;
      let signed: RootSigned | undefined;
      options.chain.forEach((bytes, i) => (signed = checkNextRoot(bytes, options.chain[i - 1], options.repository)));
      checkOnlineKeys(signed!, options.roles);
      this.#signed = signed!;
      this.#roles = options.roles;
      this.#chain.push(...options.chain);
      return;
    }
    checkConfigs(options.repository, options.roles);
    this.#offline = false;
    this.#lifetime = options.rootLifetimeMs;
    this.#roles = options.roles;
    this.#signed = this.#build(1);
    this.#chain.push(signDocument('root', this.#signed, this.#roles.root!.keys));
  }

  /** True when the root keys are offline (an adopted chain). */
  get offline(): boolean {
    return this.#offline;
  }

  /**
   * Adopted keepers: appends a complete root signed offline (the next version, a threshold of the old and the new
   * root keys) and takes `changes` as the online keys of the roles it re-keys. The keys must be those it lists.
   */
  install(bytes: Uint8Array, changes: RoleConfigs = {}): void {
    if (!this.#offline) throw new UpdateError('BAD_ARGUMENT', `the ${this.#repository} root keys are online: rotate instead`);
    const signed = checkNextRoot(bytes, this.#chain.at(-1), this.#repository);
    const roles = { ...this.#roles, ...changes };
    checkOnlineKeys(signed, roles);
    this.#signed = signed;
    this.#roles = roles;
    this.#chain.push(bytes);
  }

  get signed(): RootSigned {
    return this.#signed;
  }

  /** Every root version from 1 on, in order: what a device with any older root needs. */
  chain(): readonly Uint8Array[] {
    return [...this.#chain];
  }

  keysOf(role: string): readonly Ed25519KeyPair[] {
    if (this.#offline && role === 'root') throw new UpdateError('BAD_ARGUMENT', `the ${this.#repository} root keys are offline`);
    const config = this.#roles[role];
    if (config === undefined) throw new UpdateError('BAD_ARGUMENT', `the ${this.#repository} root has no ${role} role`);
    return config.keys;
  }

  /** A new root version with `changes` applied; signed by the old and the new root keys. Returns its bytes. */
  rotate(changes: RoleConfigs): Uint8Array {
    if (this.#offline) {
      throw new UpdateError('BAD_ARGUMENT', `the ${this.#repository} root keys are offline: sign root v${this.#signed.version + 1} in a ceremony and install it`);
    }
    const roles = { ...this.#roles, ...changes };
    checkConfigs(this.#repository, roles);
    const signers = uniqueKeys([...this.#roles.root!.keys, ...roles.root!.keys]);
    this.#roles = roles;
    this.#signed = this.#build(this.#signed.version + 1);
    const bytes = signDocument('root', this.#signed, signers);
    this.#chain.push(bytes);
    return bytes;
  }

  #build(version: number): RootSigned {
    const keys: Record<string, RootSigned['keys'][string]> = {};
    const roles: Record<string, RootSigned['roles'][string]> = {};
    for (const [name, config] of Object.entries(this.#roles)) {
      const keyids = config.keys.map((key) => keyIdOf(key.publicKey.bytes));
      config.keys.forEach((key, i) => (keys[keyids[i]!] = { scheme: 'ed25519', public: key.publicKey.bytes }));
      roles[name] = { keyids, threshold: config.threshold };
    }
    return {
      type: 'root',
      spec: SPEC_VERSION,
      repository: this.#repository,
      version,
      expires: this.#now() + this.#lifetime,
      keys,
      roles,
    };
  }
}
