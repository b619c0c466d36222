/**
 * Console sessions, kept in memory only: a restart of the controller logs everyone out, which is the safe side.
 * A session id and its CSRF token are 32 random bytes each; a session ends after `idleMs` without a request or
 * `maxAgeMs` after login, whichever comes first, and the oldest session goes when `max` are open, so a flood of
 * logins cannot grow the map without bound. Expired sessions are dropped when they are looked up or when a new
 * one is made, so no timer is needed.
 */
import { timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../../node/crypto/index.ts';
import type { AdminRole } from '../registry/index.ts';

export interface Session {
  readonly id: string;
  readonly csrf: string;
  readonly username: string;
  readonly role: AdminRole;
  readonly createdAt: number;
  /** When the session ends if no request comes first. */
  readonly expiresAt: number;
}

export interface SessionStoreOptions {
  readonly now: () => number;
  readonly random: RandomSource;
  /** Ends a session after this long without a request (default 30 min). */
  readonly idleMs?: number;
  /** Ends a session this long after login whatever happens (default 12 h). */
  readonly maxAgeMs?: number;
  /** Most sessions open at once (default 1,000). */
  readonly max?: number;
}

export interface SessionStore {
  create(username: string, role: AdminRole): Session;
  /** The live session with this id (its idle expiry pushed back), or undefined. */
  find(id: string): Session | undefined;
  remove(id: string): void;
  /** Ends every session of an account (removed, or its role changed). */
  removeUser(username: string): void;
  size(): number;
}

export const DEFAULT_IDLE_MS = 30 * 60_000;
export const DEFAULT_MAX_AGE_MS = 12 * 3_600_000;
const ID = /^[A-Za-z0-9_-]{43}$/;

const token = (random: RandomSource) => Buffer.from(random(32)).toString('base64url');

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createSessionStore(o: SessionStoreOptions): SessionStore {
  const idleMs = o.idleMs ?? DEFAULT_IDLE_MS;
  const maxAgeMs = o.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const max = o.max ?? 1000;
  // Insertion order is login order: the first entry is the oldest session.
  const sessions = new Map<string, Session>();

  const expiry = (createdAt: number, at: number) => Math.min(createdAt + maxAgeMs, at + idleMs);
  const sweep = (at: number) => {
    for (const [id, s] of sessions) if (s.expiresAt <= at) sessions.delete(id);
  };

  return {
    create(username, role) {
      const at = o.now();
      sweep(at);
      while (sessions.size >= max) sessions.delete(sessions.keys().next().value as string);
      const session: Session = { id: token(o.random), csrf: token(o.random), username, role, createdAt: at, expiresAt: expiry(at, at) };
      sessions.set(session.id, session);
      return session;
    },
    find(id) {
      if (typeof id !== 'string' || !ID.test(id)) return undefined;
      const session = sessions.get(id);
      if (session === undefined) return undefined;
      const at = o.now();
      if (session.expiresAt <= at) {
        sessions.delete(id);
        return undefined;
      }
      const touched = { ...session, expiresAt: expiry(session.createdAt, at) };
      sessions.set(id, touched);
      return touched;
    },
    remove(id) {
      sessions.delete(id);
    },
    removeUser(username) {
      for (const [id, s] of sessions) if (s.username === username) sessions.delete(id);
    },
    size: () => sessions.size,
  };
}
