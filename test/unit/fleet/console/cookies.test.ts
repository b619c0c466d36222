/** The session cookie: written with its protective attributes, read back from any Cookie header without throwing. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearedCookie, parseCookies, SESSION_COOKIE, sessionCookie } from '../../../../fleet/console/index.ts';

describe('console cookies', () => {
  it('writes the session cookie HttpOnly, SameSite=Strict, for the whole origin, Secure only when asked', () => {
    const plain = sessionCookie('abc', 3_600_500, { secure: false });
    expect(plain).toBe(`${SESSION_COOKIE}=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600`);
    expect(sessionCookie('abc', 1000, { secure: true }).endsWith('; Secure')).toBe(true);
    expect(clearedCookie({ secure: false })).toBe(`${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
  });

  it('reads cookies from a header, keeping the first of a repeated name and skipping malformed pairs', () => {
    const c = parseCookies(`theme=dark; ${SESSION_COOKIE}=first; junk; =novalue; ${SESSION_COOKIE}=second;x=a=b`);
    expect(c.get(SESSION_COOKIE)).toBe('first');
    expect(c.get('theme')).toBe('dark');
    expect(c.get('x')).toBe('a=b');
    expect(c.has('junk')).toBe(false);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('never throws on any header and reads back what it wrote among other cookies (property)', () => {
    fc.assert(fc.property(fc.string(), (header) => void parseCookies(header)));
    const value = fc.stringMatching(/^[A-Za-z0-9_-]{0,43}$/);
    fc.assert(
      fc.property(value, fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), value)), (id, others) => {
        const pairs = others.filter(([name]) => name !== SESSION_COOKIE).map(([n, v]) => `${n}=${v}`);
        const header = [...pairs, sessionCookie(id, 1000, { secure: false }).split(';')[0]!].join('; ');
        return parseCookies(header).get(SESSION_COOKIE) === id;
      }),
    );
  });
});
