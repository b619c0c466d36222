/**
 * The fleet's web console (SPEC §10): admin login with the registry's scrypt check, in-memory cookie sessions,
 * CSRF protection, and the page itself. The console is served by the controller's API server so that the page,
 * its script and the JSON API share one origin; every action the page takes is a call of that API, authorised by
 * the session (`grant`) exactly as a token of the same role would be, and audited with the username as actor.
 *
 *   GET  /                     → 302 /console/
 *   GET  /console/             the page (page.ts), /console/console.js, /console/console.css
 *   GET  /console/session      {username, role, csrf, expiresAt}, or 401
 *   POST /console/login        body {"username", "password"} → the session (Set-Cookie); 401 + audit otherwise
 *   POST /console/logout       with the X-CSRF-Token header; ends the session
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RandomSource } from '../../node/crypto/index.ts';
import { AmeError } from '../../node/crypto/index.ts';
import type { AdminRole, Registry } from '../registry/index.ts';
import { clearedCookie, parseCookies, SESSION_COOKIE, sessionCookie, type CookieOptions } from './cookies.ts';
import { ConsoleError } from './errors.ts';
import { readJsonObject, replyJson } from './http.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { consoleAsset, CONSOLE_PATH } from './page.ts';
import { createSessionStore, csrfMatches, DEFAULT_MAX_AGE_MS, type Session } from './sessions.ts';

export interface ConsoleLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ConsoleOptions {
  readonly registry: Pick<Registry, 'admins' | 'audit'>;
  readonly now: () => number;
  readonly random: RandomSource;
  /** Marks the session cookie `Secure`: set it when the console is reached over TLS. */
  readonly secureCookie?: boolean;
  readonly idleMs?: number;
  readonly maxAgeMs?: number;
  readonly maxSessions?: number;
  /** Failed logins allowed per username and address in 15 minutes before further tries wait (default 5). */
  readonly maxLoginFailures?: number;
  readonly logger?: ConsoleLogger;
}

/** Who a console session acts for, with the account's role as the registry has it now. */
export interface SessionGrant {
  readonly username: string;
  readonly role: AdminRole;
}

export interface FleetConsole {
  /** Serves `/` and `/console…`; false for any other path (the API's), which it leaves untouched. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /**
   * The session a request's cookie names: undefined without one; UNAUTHORIZED for an unknown or expired session
   * or a removed account; FORBIDDEN for a state-changing method from another origin or without the CSRF header.
   */
  grant(req: IncomingMessage): SessionGrant | undefined;
  /** Sessions open now. */
  sessions(): number;
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
/** A username as the registry allows it; anything else is audited under a fixed name, never verbatim. */
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Browsers send Origin on every POST; a request from another origin never reaches a handler. Tools send none. */
function sameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host = '';
  try {
    host = new URL(origin).host;
  } catch {
    // a malformed Origin is another origin
  }
  if (host === '' || host !== req.headers.host) throw new ConsoleError('FORBIDDEN', 'a console request from another origin');
}

export function createConsole(o: ConsoleOptions): FleetConsole {
  const store = createSessionStore({
    now: o.now,
    random: o.random,
    ...(o.idleMs !== undefined ? { idleMs: o.idleMs } : {}),
    ...(o.maxAgeMs !== undefined ? { maxAgeMs: o.maxAgeMs } : {}),
    ...(o.maxSessions !== undefined ? { max: o.maxSessions } : {}),
  });
  const cookie: CookieOptions = { secure: o.secureCookie ?? false };
  const maxAgeMs = o.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const remote = (req: IncomingMessage) => ({ remote: req.socket.remoteAddress ?? null });
  const throttle = createLoginThrottle({ now: o.now, ...(o.maxLoginFailures !== undefined ? { maxFailures: o.maxLoginFailures } : {}) });

  /** The account's role now: a role changed or an account removed takes effect on the next request. */
  const roleOf = (username: string): AdminRole | undefined => o.registry.admins.list().find((a) => a.username === username)?.role;

  const live = (req: IncomingMessage): Session | undefined => {
    const id = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (id === undefined || id === '') return undefined;
    const session = store.find(id);
    if (session === undefined) throw new ConsoleError('UNAUTHORIZED', 'the console session expired or is unknown: log in again');
    return session;
  };

  const grant = (req: IncomingMessage): SessionGrant | undefined => {
    const session = live(req);
    if (session === undefined) return undefined;
    const role = roleOf(session.username);
    if (role === undefined) {
      store.removeUser(session.username);
      throw new ConsoleError('UNAUTHORIZED', `account ${session.username} no longer exists`);
    }
    if (!SAFE_METHODS.has(req.method ?? '')) {
      sameOrigin(req);
      if (!csrfMatches(session, req.headers['x-csrf-token'])) {
        throw new ConsoleError('FORBIDDEN', 'a console request that changes something must carry its session’s X-CSRF-Token header');
      }
    }
    return { username: session.username, role };
  };

  const sessionJson = (s: Session, role: AdminRole) => ({ username: s.username, role, csrf: s.csrf, expiresAt: s.expiresAt });

  const login = async (req: IncomingMessage, res: ServerResponse) => {
    sameOrigin(req);
    // JSON only: a cross-site form cannot send it without a CORS preflight this server never grants.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      throw new ConsoleError('BAD_INPUT', 'a login is a JSON body {"username", "password"} (Content-Type: application/json)');
    }
    const body = await readJsonObject(req);
    const { username, password } = body;
    const actor = typeof username === 'string' && USERNAME.test(username) ? username : '(not a username)';
    const key = `${actor}\u0000${remote(req).remote ?? ''}`;
    const waitMs = throttle.waitMs(key);
    if (waitMs > 0) throw new ConsoleError('TOO_MANY_ATTEMPTS', `too many failed logins: try again in ${Math.ceil(waitMs / 1000)} s`);
    let role: AdminRole;
    try {
      role = o.registry.admins.authenticate(username as string, password as string).role;
    } catch (error) {
      if (!(error instanceof AmeError) || error.code !== 'UNAUTHORIZED') throw error;
      throttle.failed(key);
      o.registry.audit.append(actor, 'console.login-failed', null, remote(req), o.now());
      o.logger?.warn({ actor, ...remote(req) }, 'console login refused');
      throw new ConsoleError('UNAUTHORIZED', 'wrong username or password');
    }
    throttle.succeeded(key);
    const session = store.create(username as string, role);
    o.registry.audit.append(session.username, 'console.login', null, remote(req), o.now());
    replyJson(res, 200, sessionJson(session, role), { 'Set-Cookie': sessionCookie(session.id, maxAgeMs, cookie) });
  };

  const logout = (req: IncomingMessage, res: ServerResponse) => {
    let who: SessionGrant | undefined;
    try {
      who = grant(req);
    } catch (error) {
      // An expired session is logged out already; a missing CSRF token still refuses (a forged logout).
      if (!(error instanceof ConsoleError) || error.code !== 'UNAUTHORIZED') throw error;
    }
    const id = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (id !== undefined) store.remove(id);
    if (who !== undefined) o.registry.audit.append(who.username, 'console.logout', null, null, o.now());
    res.writeHead(204, { 'Set-Cookie': clearedCookie(cookie), 'Cache-Control': 'no-store' });
    res.end();
  };

  const current = (req: IncomingMessage, res: ServerResponse) => {
    let session: Session | undefined;
    try {
      session = live(req);
    } catch (error) {
      if (!(error instanceof ConsoleError)) throw error;
    }
    const role = session === undefined ? undefined : roleOf(session.username);
    if (session === undefined || role === undefined) {
      replyJson(res, 401, { error: 'UNAUTHORIZED', message: 'not logged in' }, { 'Set-Cookie': clearedCookie(cookie) });
      return;
    }
    replyJson(res, 200, sessionJson(session, role));
  };

  return {
    async handle(req, res, url) {
      const path = url.pathname;
      if (path !== '/' && path !== '/console' && !path.startsWith('/console/')) return false;
      const method = req.method ?? '';
      if (SAFE_METHODS.has(method) && (path === '/' || path === '/console')) {
        res.writeHead(302, { Location: CONSOLE_PATH, 'Cache-Control': 'no-store' });
        res.end();
        return true;
      }
      if (method === 'POST' && path === '/console/login') await login(req, res);
      else if (method === 'POST' && path === '/console/logout') logout(req, res);
      else if (SAFE_METHODS.has(method) && path === '/console/session') current(req, res);
      else if (!(SAFE_METHODS.has(method) && consoleAsset(path, req, res))) throw new ConsoleError('NOT_FOUND', `no ${method} ${path}`);
      return true;
    },
    grant,
    sessions: () => store.size(),
  };
}
