/** Turning a PeerRef's address strings into multiaddrs libp2p can dial for that peer. */
import type { Multiaddr } from '@multiformats/multiaddr';
import { multiaddr } from '@multiformats/multiaddr';
import type { PeerRef } from './types.ts';

const P2P_CODE = 421;

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
    const named = ma.getComponents().find((c) => c.code === P2P_CODE)?.value;
    if (named !== undefined && named !== peer.id) continue;
    out.push(named === undefined ? ma : ma.decapsulateCode(P2P_CODE));
  }
  return out;
}
