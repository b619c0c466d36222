/**
 * Who may see the dashboard (SPEC.md §9): without a password, the local network only — loopback, the private
 * IPv4 ranges, link-local and IPv6 unique-local addresses; with `dashboard.password` set, anyone who sends it by
 * HTTP Basic auth (the user name is ignored), local or not. The comparison is constant-time over SHA-256
 * digests, so neither the password's content nor its length leaks through response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export type AccessDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 403; readonly code: 'UNAUTHORIZED' | 'FORBIDDEN'; readonly message: string };

function ipv4Octets(address: string): number[] | null {
  if (!isIPv4(address)) return null;
  return address.split('.').map(Number);
}

function isLocalIPv4(address: string): boolean {
  const o = ipv4Octets(address);
  if (o === null) return false;
  const [a, b] = o as [number, number, number, number];
  return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
}

/** Loopback or a private / link-local address, IPv4 or IPv6 (IPv4-mapped included). */
export function isLocalAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (isIPv4(address)) return isLocalIPv4(address);
  if (!isIPv6(address)) return false;
  const lower = address.toLowerCase().split('%')[0]!;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (mapped !== undefined) return isLocalIPv4(mapped);
  if (lower === '::1' || /^(?:0{1,4}:){7}0{0,3}1$/.test(lower)) return true;
  const first = Number.parseInt(lower.split(':')[0] || '0', 16);
  // fc00::/7 unique local, fe80::/10 link-local.
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** The password of a Basic Authorization header, or null when the header is absent or not Basic. */
export function basicPassword(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (match === null) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

export function checkAccess(remoteAddress: string | undefined, authorization: string | undefined, password: string | null): AccessDecision {
  if (password !== null) {
    const given = basicPassword(authorization);
    // Compared even when absent, so a missing header costs the same as a wrong one.
    const same = timingSafeEqual(digest(given ?? ''), digest(password));
    if (given !== null && same) return { ok: true };
    return { ok: false, status: 401, code: 'UNAUTHORIZED', message: 'this dashboard needs its password (HTTP Basic auth)' };
  }
  if (isLocalAddress(remoteAddress)) return { ok: true };
  return { ok: false, status: 403, code: 'FORBIDDEN', message: 'the dashboard answers the local network only (set dashboard.password to open it)' };
}
