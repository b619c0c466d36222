/**
 * Admin accounts (roles viewer, operator, admin) and API tokens. Passwords are kept only as scrypt hashes
 * (passwords.ts); a token is shown once when issued and kept only as its SHA-256, which is enough for a 256-bit
 * random secret (nothing to brute-force) and lets a token be found by an index lookup.
 *
 * Every refusal of a login is UNAUTHORIZED with a message that does not say which part was wrong.
 */
import { sha256, utf8, type RandomSource } from '../../node/crypto/index.ts';
import { RegistryError } from './errors.ts';
import { text, time } from './fields.ts';
import { hashPassword, passwordMatches, spendPasswordCheck } from './passwords.ts';
import type { RegistryStore } from './store.ts';

export type AdminRole = 'viewer' | 'operator' | 'admin';
export const ADMIN_ROLES: readonly AdminRole[] = ['viewer', 'operator', 'admin'];

export interface Admin {
  readonly username: string;
  readonly role: AdminRole;
  readonly createdAt: number;
}

export interface TokenGrant {
  readonly id: number;
  readonly role: AdminRole;
  readonly label: string;
  /** The account the token acts for, if any. */
  readonly owner: string | null;
  readonly expiresAt: number | null;
}

export interface IssuedToken extends TokenGrant {
  /** The secret: shown once, never stored. */
  readonly token: string;
}

const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
const TOKEN_PREFIX = 'amet_';
const TOKEN_TEXT = /^amet_[A-Za-z0-9_-]{43}$/;
const MIN_PASSWORD = 10;
const MAX_PASSWORD = 1024;
const WRONG_LOGIN = 'wrong username or password';

function role(value: unknown): AdminRole {
  if (!ADMIN_ROLES.includes(value as AdminRole)) throw new RegistryError('BAD_INPUT', `role must be one of ${ADMIN_ROLES.join(', ')}`);
  return value as AdminRole;
}

function username(value: unknown): string {
  if (typeof value !== 'string' || !USERNAME.test(value)) {
    throw new RegistryError('BAD_INPUT', 'username must be 1-64 letters, digits, dots, dashes or underscores');
  }
  return value;
}

function password(value: unknown): string {
  if (typeof value !== 'string' || value.length < MIN_PASSWORD || value.length > MAX_PASSWORD) {
    throw new RegistryError('BAD_INPUT', `password must be ${MIN_PASSWORD}-${MAX_PASSWORD} characters`);
  }
  return value;
}

const digestOf = (token: string): Buffer => Buffer.from(sha256(utf8(token)));

export class AdminTable {
  readonly #store: RegistryStore;
  readonly #random: RandomSource;
  readonly #cost: number;

  constructor(store: RegistryStore, random: RandomSource, passwordCost: number) {
    this.#store = store;
    this.#random = random;
    this.#cost = passwordCost;
  }

  create(name: string, secret: string, r: AdminRole, now: number): Admin {
    const account = { username: username(name), role: role(r), createdAt: time('now', now) };
    const h = hashPassword(password(secret), this.#random, this.#cost);
    return this.#store.run(
      `create admin ${account.username}`,
      () => {
        const db = this.#store.db;
        if (db.prepare('SELECT 1 FROM admins WHERE username = ?').get(account.username) !== undefined) {
          throw new RegistryError('CONFLICT', `admin ${account.username} exists`);
        }
        db.prepare('INSERT INTO admins (username, role, salt, hash, cost, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          account.username,
          account.role,
          Buffer.from(h.salt),
          Buffer.from(h.hash),
          h.cost,
          account.createdAt,
        );
        return account;
      },
      true,
    );
  }

  setPassword(name: string, secret: string): void {
    const h = hashPassword(password(secret), this.#random, this.#cost);
    this.#change(name, 'UPDATE admins SET salt = ?, hash = ?, cost = ? WHERE username = ?', Buffer.from(h.salt), Buffer.from(h.hash), h.cost, name);
  }

  setRole(name: string, r: AdminRole): void {
    this.#change(name, 'UPDATE admins SET role = ? WHERE username = ?', role(r), name);
  }

  /** Removes the account and every token it owns. */
  remove(name: string): void {
    this.#change(name, 'DELETE FROM admins WHERE username = ?', name);
  }

  list(): Admin[] {
    return this.#store.run('list admins', () =>
      this.#store.db
        .prepare<[], { username: string; role: AdminRole; created_at: number }>('SELECT username, role, created_at FROM admins ORDER BY username')
        .all()
        .map((a) => ({ username: a.username, role: a.role, createdAt: a.created_at })),
    );
  }

  /** The account if the password is its own; UNAUTHORIZED otherwise (unknown or wrong alike). */
  authenticate(name: string, secret: string): Admin {
    if (typeof name !== 'string' || typeof secret !== 'string' || secret.length > MAX_PASSWORD) {
      throw new RegistryError('UNAUTHORIZED', WRONG_LOGIN);
    }
    const row = this.#store.run('read an admin', () =>
      this.#store.db
        .prepare<[string], { username: string; role: AdminRole; salt: Buffer; hash: Buffer; cost: number; created_at: number }>(
          'SELECT * FROM admins WHERE username = ?',
        )
        .get(name),
    );
    if (row === undefined) {
      spendPasswordCheck(secret, this.#cost);
      throw new RegistryError('UNAUTHORIZED', WRONG_LOGIN);
    }
    if (!passwordMatches(secret, { salt: row.salt, hash: row.hash, cost: row.cost })) {
      throw new RegistryError('UNAUTHORIZED', WRONG_LOGIN);
    }
    return { username: row.username, role: row.role, createdAt: row.created_at };
  }

  issueToken(grant: { readonly role: AdminRole; readonly label: string; readonly owner?: string; readonly expiresAt?: number }, now: number): IssuedToken {
    const r = role(grant.role);
    const label = text('label', grant.label, 128);
    const at = time('now', now);
    const expiresAt = grant.expiresAt === undefined ? null : time('expiresAt', grant.expiresAt);
    if (expiresAt !== null && expiresAt <= at) throw new RegistryError('BAD_INPUT', 'expiresAt must be later than now');
    const token = TOKEN_PREFIX + Buffer.from(this.#random(32)).toString('base64url');
    return this.#store.run(
      'issue a token',
      () => {
        const db = this.#store.db;
        const owner = grant.owner === undefined ? null : grant.owner;
        if (owner !== null && db.prepare('SELECT 1 FROM admins WHERE username = ?').get(owner) === undefined) {
          throw new RegistryError('NOT_FOUND', `no admin ${owner}`);
        }
        const id = Number(
          db
            .prepare('INSERT INTO api_tokens (digest, role, label, owner, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
            .run(digestOf(token), r, label, owner, at, expiresAt).lastInsertRowid,
        );
        return { id, token, role: r, label, owner, expiresAt };
      },
      true,
    );
  }

  /** What a token grants at `now`; UNAUTHORIZED for an unknown, malformed, expired or revoked one. */
  authenticateToken(token: string, now: number): TokenGrant {
    if (typeof token !== 'string' || !TOKEN_TEXT.test(token)) throw new RegistryError('UNAUTHORIZED', 'not an API token');
    const row = this.#store.run('read a token', () =>
      this.#store.db
        .prepare<[Buffer], { id: number; role: AdminRole; label: string; owner: string | null; expires_at: number | null; revoked_at: number | null }>(
          'SELECT id, role, label, owner, expires_at, revoked_at FROM api_tokens WHERE digest = ?',
        )
        .get(digestOf(token)),
    );
    if (row === undefined) throw new RegistryError('UNAUTHORIZED', 'unknown API token');
    if (row.revoked_at !== null) throw new RegistryError('UNAUTHORIZED', `API token ${row.id} was revoked`);
    if (row.expires_at !== null && now >= row.expires_at) throw new RegistryError('UNAUTHORIZED', `API token ${row.id} expired`);
    return { id: row.id, role: row.role, label: row.label, owner: row.owner, expiresAt: row.expires_at };
  }

  revokeToken(id: number, now: number): void {
    const at = time('now', now);
    this.#store.run(
      `revoke token ${id}`,
      () => {
        const changed = this.#store.db.prepare('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?').run(at, id);
        if (changed.changes === 0) throw new RegistryError('NOT_FOUND', `no API token ${id}`);
      },
      true,
    );
  }

  #change(name: string, sql: string, ...params: (string | number | Buffer)[]): void {
    this.#store.run(
      `change admin ${name}`,
      () => {
        if (this.#store.db.prepare(sql).run(...params).changes === 0) throw new RegistryError('NOT_FOUND', `no admin ${name}`);
      },
      true,
    );
  }
}
