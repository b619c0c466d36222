/** fleet/console: the fleet's web console — login, sessions, CSRF, the page (docs/fleet.md "Console"). */
export { CONSOLE_ERROR_CODES, ConsoleError, type ConsoleErrorCode } from './errors.ts';
export { createConsole, type ConsoleLogger, type ConsoleOptions, type FleetConsole, type SessionGrant } from './console.ts';
export { createSessionStore, csrfMatches, DEFAULT_IDLE_MS, DEFAULT_MAX_AGE_MS, type Session, type SessionStore, type SessionStoreOptions } from './sessions.ts';
export { clearedCookie, parseCookies, SESSION_COOKIE, sessionCookie, type CookieOptions } from './cookies.ts';
export { MAX_JSON_BODY, readBytes, readJsonObject, replyJson } from './http.ts';
export { CONSOLE_CSP, CONSOLE_PATH } from './page.ts';
export { createLoginThrottle, type LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';
