/**
 * Enrolment with provisioning tokens (SPEC §10). The admin issues a token (random secret shown once, stored
 * hashed, with an expiry, a number of uses and the groups and tags its devices get); a device that is not yet
 * enrolled proves it holds its node key and presents the token, and the controller records its public key. On the
 * embedded broker both happen in the first login (docs/fleetproto.md "Enrolment"): the broker has verified the
 * login token under the key it names before it calls `enrol`.
 *
 * Enrolments run one at a time, so two devices racing for the last use of a token cannot both get it, whatever
 * the store. A token's text never reaches a log: only its id does.
 */
import { peerIdOf, type RandomSource } from '../../node/crypto/index.ts';
import { EnrolError } from './errors.ts';
import type { EnrolledDevice, EnrolmentStore, StoredToken } from './store.ts';
import {
  formatProvisioningToken,
  hashSecret,
  parseProvisioningToken,
  secretMatches,
  TOKEN_ID_BYTES,
  TOKEN_SECRET_BYTES,
} from './token.ts';

/** The part of a pino logger enrolment uses; pass a child logger (`logger.child({ mod: 'enrol' })`). */
export interface EnrolLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const MAX_TOKEN_LIFETIME_MS = 365 * 24 * 3_600_000;
export const MAX_TOKEN_USES = 1_000_000;
const MAX_LABELS = 32;
const LABEL = /^[A-Za-z0-9._:-]{1,64}$/;

export interface IssueTokenOptions {
  /** How long the token can be used, from now. */
  readonly lifetimeMs: number;
  /** How many devices may enrol with it (default 1). */
  readonly maxUses?: number;
  readonly groups?: readonly string[];
  readonly tags?: readonly string[];
}

export interface IssuedToken {
  readonly id: string;
  /** The whole token (`ampt1.<id>.<secret>`): shown to the admin once, never stored or logged. */
  readonly text: string;
  readonly expiresAt: number;
  readonly maxUses: number;
}

/** A provisioning token as the admin's list shows it: never its secret. */
export interface TokenInfo extends Omit<StoredToken, 'secretHash'> {
  /** `active` while a device can still enrol with it; revoking ends its life, so a revoked token is `expired`. */
  readonly state: 'active' | 'expired' | 'used-up';
}

export interface EnrolRequest {
  /** The id the device logs in as; must be the PeerId of `publicKey`. */
  readonly deviceId: string;
  /** The key the device proved it holds (the broker verified its login token under it). */
  readonly publicKey: Uint8Array;
  readonly provisioningToken: string;
}

export interface Enrolment {
  issueToken(options: IssueTokenOptions): Promise<IssuedToken>;
  /**
   * Records the device's key, or refuses with BAD_TOKEN, UNKNOWN_TOKEN, TOKEN_EXPIRED, TOKEN_USED_UP, BAD_KEY,
   * REVOKED or STORE_FAILED. A device already enrolled with this key gets its record back and uses nothing up.
   */
  enrol(request: EnrolRequest): Promise<EnrolledDevice>;
  /** The key of an enrolled, unrevoked device: a broker's KeyRegistry. */
  publicKey(id: string): Promise<Uint8Array | undefined>;
  /** Every token, oldest first, without secrets. */
  tokens(): Promise<TokenInfo[]>;
  /** Ends a token's life now, so no device enrols with it any more (UNKNOWN_TOKEN if there is none); idempotent. */
  revokeToken(id: string): Promise<TokenInfo>;
}

export interface EnrolmentOptions {
  readonly store: EnrolmentStore;
  readonly clock: { now(): number };
  readonly random: RandomSource;
  readonly logger?: EnrolLogger;
}

export function createEnrolment(options: EnrolmentOptions): Enrolment {
  return new TokenEnrolment(options);
}

class TokenEnrolment implements Enrolment {
  readonly #o: EnrolmentOptions;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: EnrolmentOptions) {
    this.#o = options;
  }

  async issueToken(options: IssueTokenOptions): Promise<IssuedToken> {
    const { lifetimeMs } = options;
    const maxUses = options.maxUses ?? 1;
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1 || lifetimeMs > MAX_TOKEN_LIFETIME_MS) {
      throw new EnrolError('BAD_OPTIONS', `token lifetime must be 1 ms … ${MAX_TOKEN_LIFETIME_MS} ms`);
    }
    if (!Number.isSafeInteger(maxUses) || maxUses < 1 || maxUses > MAX_TOKEN_USES) {
      throw new EnrolError('BAD_OPTIONS', `a token allows 1 … ${MAX_TOKEN_USES} uses, got ${maxUses}`);
    }
    const groups = labels(options.groups, 'groups');
    const tags = labels(options.tags, 'tags');
    const id = this.#o.random(TOKEN_ID_BYTES);
    const secret = this.#o.random(TOKEN_SECRET_BYTES);
    const text = formatProvisioningToken(id, secret);
    const now = this.#o.clock.now();
    const stored: StoredToken = {
      id: parseProvisioningToken(text).id,
      secretHash: hashSecret(secret),
      createdAt: now,
      expiresAt: now + lifetimeMs,
      maxUses,
      uses: 0,
      groups,
      tags,
    };
    await this.#store('save the token', () => this.#o.store.addToken(stored));
    this.#o.logger?.info({ token: stored.id, maxUses, expiresAt: stored.expiresAt }, 'provisioning token issued');
    return { id: stored.id, text, expiresAt: stored.expiresAt, maxUses };
  }

  enrol(request: EnrolRequest): Promise<EnrolledDevice> {
    const run = this.#tail.then(() => this.#enrol(request));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async publicKey(id: string): Promise<Uint8Array | undefined> {
    return this.#store('look up a device', () => this.#o.store.publicKey(id));
  }

  async tokens(): Promise<TokenInfo[]> {
    const now = this.#o.clock.now();
    const list = await this.#store('list the tokens', () => this.#o.store.tokens());
    return list.map((token) => tokenInfo(token, now));
  }

  revokeToken(id: string): Promise<TokenInfo> {
    // In the enrolment queue, so a revocation never lands in the middle of an enrolment using the token.
    const run = this.#tail.then(async () => {
      const now = this.#o.clock.now();
      const known = typeof id === 'string' && (await this.#store('end the token', () => this.#o.store.endToken(id, now)));
      const token = known ? await this.#store('read the token', () => this.#o.store.token(id)) : undefined;
      if (token === undefined) throw new EnrolError('UNKNOWN_TOKEN', `no provisioning token ${String(id).slice(0, 64)}`);
      this.#o.logger?.info({ token: id }, 'provisioning token revoked');
      return tokenInfo(token, now);
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #enrol(request: EnrolRequest): Promise<EnrolledDevice> {
    try {
      return await this.#check(request);
    } catch (error) {
      const code = error instanceof EnrolError ? error.code : 'FAILED';
      this.#o.logger?.warn({ device: String(request.deviceId).slice(0, 64), code }, 'enrolment refused');
      throw error;
    }
  }

  async #check(request: EnrolRequest): Promise<EnrolledDevice> {
    const parsed = parseProvisioningToken(request.provisioningToken);
    const store = this.#o.store;
    const token = await this.#store('read the token', () => store.token(parsed.id));
    if (token === undefined || !secretMatches(parsed.secret, token.secretHash)) {
      throw new EnrolError('UNKNOWN_TOKEN', 'no provisioning token with this id and secret');
    }
    if (keyId(request.publicKey) !== request.deviceId) {
      throw new EnrolError('BAD_KEY', 'the device id is not the PeerId of the key presented');
    }
    const existing = await this.#store('read the device', () => store.device(request.deviceId));
    if (existing?.revokedAt !== undefined) throw new EnrolError('REVOKED', 'this device was revoked');
    if (existing !== undefined) return existing;
    const now = this.#o.clock.now();
    if (now >= token.expiresAt) throw new EnrolError('TOKEN_EXPIRED', `provisioning token ${token.id} has expired`);
    if (token.uses >= token.maxUses) {
      const used = `${token.uses} times of ${token.maxUses}`;
      throw new EnrolError('TOKEN_USED_UP', `provisioning token ${token.id} was used ${used}`);
    }
    const device: EnrolledDevice = {
      id: request.deviceId,
      publicKey: Uint8Array.from(request.publicKey),
      enrolledAt: now,
      tokenId: token.id,
      groups: token.groups,
      tags: token.tags,
    };
    await this.#store('record the device', () => store.enrol(device));
    this.#o.logger?.info({ device: device.id, token: token.id }, 'device enrolled');
    return device;
  }

  async #store<T>(what: string, call: () => T | Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (cause) {
      throw new EnrolError('STORE_FAILED', `the enrolment store could not ${what}`, { cause });
    }
  }
}

function tokenInfo(t: StoredToken, now: number): TokenInfo {
  const state = now >= t.expiresAt ? 'expired' : t.uses >= t.maxUses ? 'used-up' : 'active';
  return { id: t.id, createdAt: t.createdAt, expiresAt: t.expiresAt, maxUses: t.maxUses, uses: t.uses, groups: t.groups, tags: t.tags, state };
}

function keyId(publicKey: Uint8Array): string | undefined {
  try {
    return peerIdOf(publicKey);
  } catch {
    return undefined;
  }
}

function labels(values: readonly string[] | undefined, what: string): readonly string[] {
  const list = values ?? [];
  if (!Array.isArray(list) || list.length > MAX_LABELS) {
    throw new EnrolError('BAD_OPTIONS', `${what}: at most ${MAX_LABELS} labels`);
  }
  for (const label of list) {
    if (typeof label !== 'string' || !LABEL.test(label)) {
      const shown = JSON.stringify(String(label).slice(0, 64));
      throw new EnrolError('BAD_OPTIONS', `${what}: ${shown} is not 1…64 of A-Z a-z 0-9 . _ : -`);
    }
  }
  return [...new Set(list)];
}
