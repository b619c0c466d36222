/**
 * The console's session cookie: parsed from a Cookie header that comes from anyone (malformed pairs are skipped,
 * never thrown on) and written HttpOnly, SameSite=Strict, Path=/ so the page's script cannot read it and no other
 * site's page can make the browser send it.
 */
export const SESSION_COOKIE = 'ame_console';

/** Cookie values by name; the first of a repeated name wins, as browsers send the most specific path first. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (typeof header !== 'string') return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (name.length > 0 && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export interface CookieOptions {
  /** Adds `Secure`: set it when the console is reached over TLS. */
  readonly secure: boolean;
}

export function sessionCookie(id: string, maxAgeMs: number, o: CookieOptions): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`];
  if (o.secure) attributes.push('Secure');
  return [`${SESSION_COOKIE}=${id}`, ...attributes].join('; ');
}

/** Tells the browser to forget the session cookie (logout, an expired session). */
export function clearedCookie(o: CookieOptions): string {
  return sessionCookie('', 0, o);
}
