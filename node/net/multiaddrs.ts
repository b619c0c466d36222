/** Turning a PeerRef's address strings into multiaddrs libp2p can dial for that peer. */
import type { Multiaddr } from '@multiformats/multiaddr';
import { multiaddr } from '@multiformats/multiaddr';
import type { PeerRef } from './types.ts';

const P2P_CODE = 421;
const CIRCUIT_CODE = 290;

/**
 * The peer's addresses as multiaddrs without their /p2p suffix (the peer store keys them by PeerId). Addresses that
 * do not parse, or that name a different PeerId, are skipped: a bad entry must not stop the good ones.
 */
export function dialableAddrs(peer: PeerRef): Multiaddr[] {
  const out: Multiaddr[] = [];
  for (const text of peer.addrs) {
    let ma: Multiaddr;
    try {
      ma = multiaddr(text);
    } catch {
      continue;
    }
    // A relayed address names its relay before /p2p-circuit: only a /p2p after that names the peer itself.
    const components = ma.getComponents();
    const circuit = components.findIndex((c) => c.code === CIRCUIT_CODE);
    const named = components.slice(Math.max(circuit, 0)).find((c) => c.code === P2P_CODE)?.value;
    if (named !== undefined && named !== peer.id) continue;
    out.push(named === undefined ? ma : ma.decapsulateCode(P2P_CODE));
  }
  return out;
}

/** A /p2p-circuit address: reached through a relay. */
export function isCircuitAddr(ma: Multiaddr | string): boolean {
  try {
    return (typeof ma === 'string' ? multiaddr(ma) : ma).getComponents().some((c) => c.code === CIRCUIT_CODE);
  } catch {
    return false;
  }
}

/** The IP of an /ip4 or /ip6 address, else undefined. */
function ipOf(ma: Multiaddr | string): { v: 4 | 6; ip: string } | undefined {
  let first;
  try {
    first = (typeof ma === 'string' ? multiaddr(ma) : ma).getComponents()[0];
  } catch {
    return undefined;
  }
  if (first?.value === undefined) return undefined;
  if (first.name === 'ip4') return { v: 4, ip: first.value };
  if (first.name === 'ip6') return { v: 6, ip: first.value.toLowerCase() };
  return undefined;
}

/** Loopback (127/8, ::1). */
export function isLoopbackAddr(ma: Multiaddr | string): boolean {
  const at = ipOf(ma);
  return at !== undefined && (at.v === 4 ? at.ip.startsWith('127.') : at.ip === '::1');
}

/**
 * An address others on the internet could dial: an IP that is not loopback, unspecified, private (RFC 1918),
 * carrier-grade NAT (100.64/10), link-local, or an IPv6 unique-local / link-local one. Relayed and DNS addresses
 * are not public in this sense.
 */
export function isPublicAddr(ma: Multiaddr | string): boolean {
  const at = ipOf(ma);
  if (at === undefined) return false;
  if (at.v === 6) return !(at.ip === '::' || at.ip === '::1' || /^f[cd]/.test(at.ip) || /^fe[89ab]/.test(at.ip) || at.ip.startsWith('::ffff:'));
  const [a = 0, b = 0] = at.ip.split('.').map(Number);
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b < 128) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b < 32) return false;
  if (a === 192 && b === 168) return false;
  return true;
}

/**
 * PeerRefs of multiaddrs that end in /p2p/<PeerId> (a bootstrap list): one per PeerId, with every address given
 * for it, in the order first seen; or the first text that names no peer (`bad`), for the caller to report.
 */
export function peersOfMultiaddrs(texts: readonly string[]): { readonly peers: PeerRef[] } | { readonly bad: string } {
  const byId = new Map<string, string[]>();
  for (const text of texts) {
    const id = /\/p2p\/([1-9A-HJ-NP-Za-km-z]+)$/.exec(text)?.[1];
    if (id === undefined) return { bad: text };
    byId.set(id, [...(byId.get(id) ?? []), text]);
  }
  return { peers: [...byId].map(([id, addrs]) => ({ id, addrs })) };
}
