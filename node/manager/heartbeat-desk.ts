/**
 * Where temporary workers' heartbeats arrive (`manager/heartbeat`, node/worker/heartbeat-protocol.ts): each is
 * counted in this manager's UptimeBook under the caller's node key (its PeerId, authenticated by the transport),
 * and the Auditor puts the counts on the ledger in its next node-report (auditor.ts). The reply names the interval
 * the book counts in, so a worker beats once per interval whatever it was configured with.
 */
import { ed25519KeyFromPeerId, toHex } from '../crypto/index.ts';
import { NetError, type Rpc } from '../net/index.ts';
import type { UptimeBook } from '../ring/service/uptime-book.ts';
import { decodeHeartbeat, encodeHeartbeatReply, HEARTBEAT_METHOD } from '../worker/heartbeat-protocol.ts';

const safe = (n: bigint): number => (n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n));

/** Serves `manager/heartbeat` on `rpc`; returns the function that stops serving it. */
export function serveHeartbeats(rpc: Rpc, book: UptimeBook): () => void {
  rpc.handle(HEARTBEAT_METHOD, async (body, ctx) => {
    let node: Uint8Array;
    let beat: { served: bigint; units?: bigint };
    try {
      node = ed25519KeyFromPeerId(ctx.peer);
      beat = decodeHeartbeat(body);
    } catch (error) {
      throw new NetError('BAD_REQUEST', `heartbeat: ${(error as Error).message}`);
    }
    const counted = book.beat(toHex(node), safe(beat.served), safe(beat.units ?? 0n));
    return encodeHeartbeatReply(book.intervalMs, counted);
  });
  return () => rpc.unhandle(HEARTBEAT_METHOD);
}
